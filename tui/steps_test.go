package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestInvestigateSortsAndRelabels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toInvestigated()
	h.wantScreen("! suspicious  off-aws     189.45.3.201", "sorted by suspicious first", "c-evil")
	h.press("s")
	h.wantScreen("sorted by events")
	if first := h.m.investigate.callers[0].ID; first != "c-lambda" {
		t.Errorf("by events the first caller is %s, want c-lambda", first)
	}
	h.wantScreen("c-evil · off-aws") // the selection stays on its caller
	h.press("k")                     // c-ci, above it by events
	h.wantScreen("c-ci · off-aws")
	h.press("l")
	inv := h.m.State().Investigate.Investigation
	if c, _ := inv.Caller("c-ci"); c.Label != runbook.LabelSuspicious {
		t.Errorf("c-ci label = %s after l, want suspicious", c.Label)
	}
	h.wantScreen("c-ci · off-aws") // the selection follows the caller
}

func TestSweepProgressPerRegion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.hold["SweepCloudTrail"] = true
	h.toIdentified()
	h.press("enter")
	h.wantScreen("sweeping CloudTrail", "3 of 3 regions finished", "us-west-2", "9194 ev", "██")
	h.release("SweepCloudTrail")
	h.wantScreen("9231 events · 4 callers")
	if log := readLog(t, h.path); strings.Contains(log, `"SweepProgress"`) {
		t.Error("sweep progress was journaled; it is shown only")
	}
}

func TestRollbackFromWatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.hold["PollWatch"] = true
	h.x.breakFirstWatch = true
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepWatch)
	h.wantScreen("0s of 30m00s watched", "no reading yet")
	h.release("PollWatch")
	h.wantScreen("✗ replacements denied", "report-builder-keyrunbook denied", "secretsmanager:GetSecretValue", "R rolls back")
	h.press("R")
	h.typeText("report-builder lost access to its secret")
	h.press("enter")
	h.wantScreen("Roll back: make the key active again", `"Status": "Active"`)
	h.press("enter")
	h.wantStep(runbook.StepPropose)
	h.wantScreen("↺ rolled back: report-builder lost access to its secret", "↺ rollback ×1")
	// The poll that was in flight answers a watch that no longer exists.
	h.release("PollWatch")
	h.wantStep(runbook.StepPropose)
	h.wantScreen("· Done after you moved on: watching")
}

func TestDeleteNeedsTheLastFour(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toDelete()
	h.wantScreen(`iam DeleteAccessKey {"AccessKeyId":`, "type the last four characters")
	h.typeText("AAAA")
	h.press("enter")
	h.wantStep(runbook.StepDelete)
	h.wantScreen("the confirmation does not match")
	if slices.Contains(h.x.effectsRun(), "DeleteKey") {
		t.Fatal("deleted with the wrong last four")
	}
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepHarden)
}

// Typing the last four after leaving the field does not drop them: a key-ID
// character no key is bound to puts the keyboard back in the field.
func TestDeleteTypingAfterLeavingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toDelete()
	h.press("esc")
	if h.m.remove.input.Focused() {
		t.Fatal("esc left the field focused")
	}
	h.typeText("7")
	if !h.m.remove.input.Focused() || h.m.remove.input.Value() != "7" {
		t.Fatalf("after esc and 7: focused %v, field %q", h.m.remove.input.Focused(), h.m.remove.input.Value())
	}
	h.press("ctrl+u")
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepHarden)
}

func TestProposeEditsNameAndTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toProposed()
	h.press("e")
	h.wantScreen("Name of the lambda-role for c-lambda")
	h.press("ctrl+u")
	h.typeText("report-builder-exec-2")
	h.press("enter")
	h.press("t")
	h.wantScreen("the Lambda function name")
	h.press("ctrl+u")
	h.typeText("report-builder-v2")
	h.press("enter")
	p := h.m.State().Propose.Proposals[0]
	if p.Name != "report-builder-exec-2" || p.Target != "report-builder-v2" {
		t.Fatalf("proposal after edits: name %q, target %q", p.Name, p.Target)
	}
	h.wantScreen("name report-builder-exec-2 · target report-builder-v2")
	h.press("e", "ctrl+u")
	h.typeText("bad name!")
	h.press("enter")
	h.wantScreen("may use only letters,")
	if got := h.m.State().Propose.Proposals[0].Name; got != "report-builder-exec-2" {
		t.Errorf("a refused edit changed the name to %q", got)
	}
}

func TestReplaceWaitsForMoveChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.hold["VerifyMove"] = true
	h.toReplaced() // ends with v: both checks running
	h.wantScreen("checking…")
	h.press("enter")
	h.wantStep(runbook.StepReplace)
	h.wantScreen("The move check for c-lambda is still running")
	h.release("VerifyMove")
	h.release("VerifyMove")
	h.press("enter")
	h.wantStep(runbook.StepDeactivate)
}

func TestReplaceGoesBackToFixAProposal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toReplaced()
	h.wantScreen("b back to the proposals")
	h.press("b")
	h.wantStep(runbook.StepPropose)
	// Already applied replacements stay applied and are not created again.
	h.press("enter")
	h.wantStep(runbook.StepReplace)
	for _, p := range h.m.State().Propose.Proposals {
		if !p.Applied {
			t.Errorf("proposal %s lost its applied state going back", p.CallerID)
		}
	}
}

// With nothing to create and nothing created before, creating goes straight to
// deactivation: an empty Replace step asked for one more enter.
func TestEmptyReplaceStepIsSkipped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toProposed()
	h.press("n", "down", "n", "enter")
	h.wantStep(runbook.StepDeactivate)
	if log := readLog(t, h.path); !strings.Contains(log, `"ProceedToDeactivate"`) {
		t.Error("going on to deactivation was not journaled")
	}
}

// The clean-up is a checklist: pick all, one confirmation listing every
// call with the inputs read from the account, and what went with the user
// shows as removed without being picked again.
func TestCleanUpChecklistOneConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toDeactivate()
	h.wantScreen("[ ] ✗ present iam-user", "a pick all")
	h.press("a")
	h.wantScreen("2 picked", "[x] ✗ present iam-user", "[x] ✗ present access-key")
	h.press("c")
	h.wantScreen("Remove what the attacker created", "These 2 calls will be made", `iam DeleteAccessKey {"AccessKeyId":`, `"AKIAXATTACKERKEY2345", "UserName": "support-admin"}`, `iam DeleteUser {"UserName": "support-admin"}`)
	if strings.Contains(h.screen(), "each one listed") {
		t.Fatal("the confirmation shows a placeholder instead of the real input")
	}
	h.press("enter")
	h.wantScreen("2 of 2 cleaned up", "✓ removed iam-user", "✓ removed access-key")
	log := readLog(t, h.path)
	if n := strings.Count(log, `"name":"CleanUp"`); n != 1 {
		t.Errorf("%d CleanUp events journaled, want 1", n)
	}
	if !strings.Contains(log, `"ListAccessKeys"`) {
		t.Error("the read the plan made is not in the action log")
	}
	if strings.Contains(log, `"wouldCall":true`) {
		t.Error("a planned call was journaled as if it had been made")
	}
}

// A user removed alone takes its key with it: the key shows as removed at
// once, not "present" until it is clicked.
func TestCleanUpUserShowsItsKeyRemoved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.toDeactivate()
	h.press("c")
	h.wantScreen(`iam DeleteUser {"UserName": "support-admin"}`)
	h.press("enter")
	h.wantScreen("2 of 2 cleaned up")
}

// A scheduled caller's move cannot be seen before its next run: Replace
// says when that is, and in training that the check waits for it.
func TestReplaceSaysWhenAScheduledCallerRunsNext(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.hold["VerifyMove"] = true
	h.toReplaced() // ends with v: both checks running
	h.wantScreen("next expected run 10:00 UTC (in 7h00m): the check waits for", "on the simulated clock")
	if strings.Count(h.screen(), "next expected run") != 1 {
		t.Error("a caller without a schedule got a next run")
	}
}
