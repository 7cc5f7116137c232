package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 14: the exposure time is asked at intake (tab to its field) and
// journaled with the key; a malformed one is refused before the machine.
func TestIntakeTakesTheExposureTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typed string
		want        time.Time
		step        runbook.Step
		screen      string
	}{
		{"unknown", "", time.Time{}, runbook.StepIdentify, ""},
		{"minutes in UTC", "2026-11-20 18:30", time.Date(2026, 11, 20, 18, 30, 0, 0, time.UTC), runbook.StepIdentify, ""},
		{"malformed", "yesterday", time.Time{}, runbook.StepIntake, "YYYY-MM-DD HH:MM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runbook.ModeTraining)
			h.typeText(testKey)
			h.press("tab")
			h.wantScreen("Exposed at (UTC)", "tab key ID / exposure time")
			h.typeText(tt.typed)
			h.press("enter")
			h.wantStep(tt.step)
			if tt.screen != "" {
				h.wantScreen(tt.screen)
			}
			if got := h.m.State().Intake.ExposedAt; !got.Equal(tt.want) {
				t.Errorf("exposed at %s, want %s", got, tt.want)
			}
		})
	}
}

// An undecided caller says, in its pane, that deactivation waits for the
// responder's verdict and which key gives it; l decides it, journaled.
func TestUndecidedCallerIsDecidedWithL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.x.undecided = "first seen 2 days after the key was exposed"
	h.toInvestigated()
	h.wantScreen("your verdict is needed before deactivation", "Press l to label it", "l relabel")
	c, ok := h.m.investigate.selected()
	if !ok {
		t.Fatal("no caller selected")
	}
	h.press("l")
	got, _ := h.m.State().Investigate.Investigation.Caller(c.ID)
	if got.Undecided != "" || got.Label != runbook.LabelLegitimate {
		t.Fatalf("after l: label %s, undecided %q", got.Label, got.Undecided)
	}
	if log := readLog(t, h.path); !strings.Contains(log, `"RelabelCaller"`) {
		t.Error("the verdict is not in the action log")
	}
}

// A follow-up (rotate the secret the attacker read) is on the checklist;
// F records the responder's word that it is done.
func TestFollowUpConfirmedWithF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.x.followUp = true
	h.toHarden()
	h.wantScreen("Rotate reporting/warehouse", "after secret-read by caller c-")
	h.press("?")
	h.wantScreen("F     first open follow-up done")
	h.press("?")
	h.press("F")
	st := h.m.State()
	if len(st.Harden.FollowUpsDone) != 1 || st.Harden.FollowUpsDone[0].Technique != "secret-read" {
		t.Fatalf("follow-ups done %+v", st.Harden.FollowUpsDone)
	}
	h.wantScreen("done, says the responder")
	h.press("F")
	h.wantScreen("no follow-up is open")
}
