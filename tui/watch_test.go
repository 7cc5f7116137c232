package tui

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// watchWith deactivates and lets the watch read what shape says, three
// readings of ten minutes: the whole window.
func watchWith(t *testing.T, shape func(obs *runbook.WatchObserved)) *harness {
	t.Helper()
	h := newHarness(t, runbook.ModeTraining)
	h.x.reading = shape
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	return h
}

// The attacker retrying the dead key is named, with the advice to keep
// the key off, and the window passes.
func TestWatchScreenNamesTheAttackerAndSaysKeepTheKeyOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.hold["PollWatch"] = true
	h.x.reading = func(obs *runbook.WatchObserved) {
		obs.KeyUses = 1
		obs.Uses = []runbook.KeyUse{{First: obs.At, Last: obs.At, Count: 1, SourceIP: "189.45.3.201", UserAgent: "aws-cli/2", Tool: "aws-cli",
			Action: "iam:ListUsers", Region: "us-east-1", ErrorCode: "InvalidClientTokenId"}}
	}
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.release("PollWatch")
	h.wantScreen("suspicious caller c-evil at 189.45.3.201 (aws-cli)", "iam:ListUsers in us-east-1, failed InvalidClientTokenId",
		"Keep the key off", "containment works")
	h.wantStep(runbook.StepWatch)
	h.release("PollWatch")
	h.release("PollWatch")
	h.wantStep(runbook.StepDelete)
	h.wantScreen("189.45.3.201 still tries the dead key")
}

// A workload failing ends the window unpassed, with the roll-back advice
// and the list of what blocks the deletion.
func TestWatchScreenListsWhatBlocksDeletion(t *testing.T) {
	t.Parallel()
	h := watchWith(t, func(obs *runbook.WatchObserved) {
		obs.KeyUses = 3
		obs.Uses = []runbook.KeyUse{{First: obs.At, Last: obs.At, Count: 3, SourceIP: "20.57.112.9", Tool: "terraform",
			Action: "cloudformation:DescribeStacks", Region: "us-west-2", ErrorCode: "InvalidClientTokenId"}}
		obs.Unread = []runbook.UnreadSignal{{Signal: "alarms", Region: "us-west-2", Action: "cloudwatch:DescribeAlarms", Reason: "AWS denied cloudwatch:DescribeAlarms to your credentials"}}
	})
	h.wantScreen("The window has passed; the watch stopped",
		"workload c-ci at 20.57.112.9 (terraform)", "roll back (R)",
		"? alarms in ALARM", "unknown in us-west-2")
	// At 80×24 the rest scrolls above the clean-up list.
	h.press("pgdown")
	h.wantScreen("cannot be deleted yet")
	h.wantStep(runbook.StepWatch)
}

// A reading that failed leaves the key's use unknown on screen, never the
// last good reading's "none".
func TestWatchScreenShowsAFailedReadingAsUnknown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.x.failWatch = true
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepWatch)
	h.wantScreen("? use of the leaked key   unknown: the reading failed", "? alarms in ALARM         unknown", "cloudtrail:LookupEvents: grant it")
	if strings.Contains(h.screen(), "none") || strings.Contains(h.screen(), "Quiet") {
		t.Error("a failed reading shows a signal as quiet")
	}
}
