package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Many warnings do not push the policy off an 80×24 screen: the policy
// comes first in its pane and the warnings follow it, a line above says so.
func TestProposeShowsThePolicyDespiteWarnings(t *testing.T) {
	t.Parallel()
	p := proposalFor(fixtureCallers()[0])
	p.Warnings = []string{
		strings.Repeat("Resource \"*\" for kms:Decrypt: the events named no resource to narrow them to. ", 3),
		strings.Repeat("Event history holds management events only: data events are not in it. ", 3),
		strings.Repeat("An IAM user with its own access key is still a long-lived key. ", 3),
		"the last warning",
	}
	st := runbook.State{Step: runbook.StepPropose, Propose: runbook.ProposeState{Proposals: []runbook.Proposal{p}}}
	v := newProposeView()
	w, h := 62, 19 // the body of an 80×24 screen
	v.setSize(w, h)
	v.sync(st)
	f := frame{st: st, sty: newStyles(true, true), w: w, h: h}
	screen := ansi.Strip(v.view(f))
	for _, want := range []string{`"Version": "2012-10-17"`, "4 warnings: read under the policy"} {
		if !strings.Contains(screen, want) {
			t.Errorf("propose at 80×24 lacks %q:\n%s", want, screen)
		}
	}
	for range 10 {
		v.vp.PageDown()
	}
	if screen := ansi.Strip(v.view(f)); !strings.Contains(screen, "the last warning") {
		t.Errorf("the warnings cannot be scrolled to:\n%s", screen)
	}
}

// With no caller to replace, enter only goes on: the help line says so
// rather than offering to create replacements that do not exist.
func TestProposeWithNothingToCreateSaysEnterGoesOn(t *testing.T) {
	t.Parallel()
	v := newProposeView()
	for _, tt := range []struct {
		name string
		st   runbook.State
		want string
	}{
		{"no proposal", runbook.State{Step: runbook.StepPropose}, "go on to deactivation"},
		{"a proposal", runbook.State{Step: runbook.StepPropose, Propose: runbook.ProposeState{Proposals: []runbook.Proposal{proposalFor(fixtureCallers()[0])}}}, "create the applied ones"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var helps []string
			for _, b := range v.keys(frame{st: tt.st}) {
				if b.Help().Key == "enter" {
					helps = append(helps, b.Help().Desc)
				}
			}
			if len(helps) != 1 || helps[0] != tt.want {
				t.Errorf("enter's help %q, want %q", helps, tt.want)
			}
		})
	}
}
