package tui

import (
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
			if got := h.m.State().ExposedAt; !got.Equal(tt.want) {
				t.Errorf("exposed at %s, want %s", got, tt.want)
			}
		})
	}
}
