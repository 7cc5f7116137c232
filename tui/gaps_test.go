package tui

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestFailedSweepBlocksDecisions is the first finding driven by
// keys: LookupEvents denied, the sweep fails, and enter ×3 + "yes" used to
// deactivate the key under a screen saying "No use of this key".
func TestFailedSweepBlocksDecisions(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "SweepCloudTrail"
	h.toIdentified()
	h.press("enter")
	h.wantStep(runbook.StepInvestigate)
	h.wantScreen("Investigation incomplete", "the CloudTrail sweep failed", "unknown, because")
	if strings.Contains(h.screen(), "No use of this key") {
		t.Fatalf("a failed sweep reads as a clean one:\n%s", h.screen())
	}
	h.press("enter", "enter", "enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepInvestigate)
	if slices.Contains(h.x.effectsRun(), "DeactivateKey") {
		t.Fatal("the key was deactivated on a failed sweep")
	}

	// r retries the sweep; once it reads everything, enter goes on.
	h.press("r")
	if strings.Contains(h.screen(), "Investigation incomplete") {
		t.Fatalf("the retried sweep still shows a gap:\n%s", h.screen())
	}
	h.press("enter")
	h.wantStep(runbook.StepPropose)
}

func TestIncompleteInvestigationOverride(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "SweepCloudTrail"
	h.toIdentified()
	h.press("enter")
	h.press("o")
	h.wantScreen("Go on with an incomplete investigation", "the CloudTrail sweep failed")
	h.typeText("LookupEvents denied; acting on the alert")
	h.press("enter")
	h.wantStep(runbook.StepPropose)
	o := h.m.State().Investigate.GapOverride
	if o == nil || o.Reason != "LookupEvents denied; acting on the alert" || len(o.Missing) == 0 {
		t.Fatalf("override = %+v", o)
	}
}

// TestDeleteScreenSaysWhatTheDeletionRead: after someone turned the key
// back on, the Delete screen used to keep saying "✓ the key is Inactive".
func TestDeleteScreenSaysWhatTheDeletionRead(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "DeleteKey"
	h.x.failWith = &runbook.EffectFailed{Effect: "DeleteKey", Code: runbook.CodeKeyNotInactive,
		Message: "Key " + testKey + " reads Active in IAM, not Inactive: someone turned it back on."}
	h.toDelete()
	h.wantScreen("✓ IAM reads the key Inactive")
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepDelete)
	h.wantScreen("✗ the key reads Active in IAM")
	if strings.Contains(h.screen(), "✓ IAM reads the key Inactive") {
		t.Fatalf("the screen still asserts the key is inactive:\n%s", h.screen())
	}
	// And the machine will not delete it on a second try.
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	if n := strings.Count(strings.Join(h.x.effectsRun(), ","), "DeleteKey"); n != 1 {
		t.Errorf("DeleteKey ran %d times, want 1", n)
	}
}

// TestCallsAreJournaledBeforeTheyAreSent: the executor emits a call before
// sending it; the TUI used to journal it only when the screen's loop got to
// the message, so a kill in between lost the record of a call AWS received.
func TestCallsAreJournaledBeforeTheyAreSent(t *testing.T) {
	var onDisk []bool
	h := newHarness(t, runbook.ModeLive)
	h.toIdentified()
	path := h.path
	h.m.exec = executorFunc(func(_ context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
		emit(runbook.APICall{Service: "cloudtrail", Operation: "LookupEvents", Input: []byte(`{"marker":"call-1"}`)})
		// Here the SDK would send the call.
		raw, _ := os.ReadFile(path)
		onDisk = append(onDisk, strings.Contains(string(raw), "call-1"))
		return runbook.EffectFailed{Effect: e.EffectName(), Message: "stop here"}
	})
	h.press("enter")
	if len(onDisk) != 1 || !onDisk[0] {
		t.Fatalf("the call was on disk before it was sent: %v", onDisk)
	}
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), "call-1"); n != 1 {
		t.Errorf("the call is journaled %d times, want once", n)
	}
}

// TestWatchSignalsUnknownWhileReadsFail: the watch used to show "✓ use of
// the leaked key none" while every reading failed.
func TestWatchSignalsUnknownWhileReadsFail(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "PollWatch"
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepWatch)
	h.wantScreen("? use of the leaked key", "unknown: the reading failed")
	if strings.Contains(h.screen(), "✓ use of the leaked key") {
		t.Fatalf("a failed reading shows as quiet:\n%s", h.screen())
	}
}
