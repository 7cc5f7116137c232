package tui

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestGlobalKeysDoWhatTheHelpLineOffers: a global key the help (?)
// offers is live, and one it does not offer does nothing, on an open step and
// on a final one, in live mode and in training (hints).
func TestGlobalKeysDoWhatTheHelpLineOffers(t *testing.T) {
	tests := []struct {
		name  string
		mode  runbook.Mode
		abort bool // reach Aborted, a final step, first
		// offered are help entries that must be there, absent those that
		// must not; dead are keys that must change nothing.
		offered, absent, dead []string
	}{
		{"live, open step", runbook.ModeLive, false, []string{"A abort", "? help"}, []string{"r retry", "h hint", "q quit"}, []string{"r", "h", "q"}},
		{"training, open step", runbook.ModeTraining, false, []string{"h hint", "A abort"}, []string{"r retry", "q quit"}, []string{"r", "q"}},
		{"training, final step", runbook.ModeTraining, true, []string{"q quit"}, []string{"h hint", "A abort", "r retry"}, []string{"h", "A", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.mode)
			h.toInvestigated()
			if tt.abort {
				h.press("A", "enter")
				h.typeText("drill over")
				h.press("enter")
				h.wantStep(runbook.StepAborted)
			}
			// The full help (?): the help line is cut to the width.
			var entries []string
			for _, col := range h.m.fullHelp() {
				for _, b := range col {
					if b.Enabled() {
						entries = append(entries, b.Help().Key+" "+b.Help().Desc)
					}
				}
			}
			help := strings.Join(entries, " • ")
			for _, s := range tt.offered {
				if !strings.Contains(help, s) {
					t.Errorf("the help line lacks %q: %q", s, help)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(help, s) {
					t.Errorf("the help line offers %q: %q", s, help)
				}
			}
			for _, k := range tt.dead {
				before, step := h.screen(), h.step()
				h.press(k)
				if h.screen() != before || h.step() != step {
					t.Errorf("%q, not offered, changed the screen:\n%s", k, h.screen())
				}
			}
		})
	}
}

// TestEveryOpenStepHasAView: a step the runbook adds to its path shows its
// own view (stepViews), not the closing screen, and only the final steps
// go without one.
func TestEveryOpenStepHasAView(t *testing.T) {
	m := Model{}
	views := m.stepViews()
	for _, st := range append(runbook.MainSteps, runbook.StepReactivate, runbook.StepAborted) {
		if _, ok := views[st]; ok == st.Final() {
			t.Errorf("step %s: has a view %v, final %v: every open step needs one, a final one none", st, ok, st.Final())
		}
	}
}
