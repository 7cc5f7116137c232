package tui

import (
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The demo makes its moves with no key pressed, each one's reason shown
// above the step, waiting for the effects in flight; it stops when told.
func TestDemoPlaysMovesAndNarratesThem(t *testing.T) {
	t.Parallel()
	var asked []runbook.Step
	demo := &Demo{Pace: time.Millisecond, Next: func(st runbook.State) (string, runbook.Event, bool) {
		asked = append(asked, st.Step)
		switch {
		case st.Step == runbook.StepIntake:
			return "Start from the key's ID.", runbook.SubmitKey{KeyID: testKey}, false
		case st.Step == runbook.StepIdentify:
			return "Sweep CloudTrail before turning anything off.", runbook.BeginInvestigation{From: fixedNow().Add(-time.Hour), To: fixedNow()}, false
		}
		return "", nil, true
	}}
	h := newHarness(t, runbook.ModeTraining, func(o *Options) { o.Demo = demo })
	h.wantStep(runbook.StepInvestigate)
	h.wantScreen("▶ The model response is over")
	for _, st := range asked {
		if st == runbook.StepIdentify && !h.m.State().Intake.Identified {
			t.Fatal("the demo moved before identification answered")
		}
	}
	if len(asked) != 3 {
		t.Errorf("the demo was asked %d times (%v), want once per move and once to end", len(asked), asked)
	}
}
