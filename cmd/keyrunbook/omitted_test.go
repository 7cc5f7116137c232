package main

import (
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// Issue 19 point 5's "done when": in minted-session the attacker's launch
// of 48 instances has a CloudTrail response past the 100 KB limit, omitted
// as AWS omits it; the responder still sees every instance, named from the
// event's Resources, and what could not be seen, on screen (the blind
// spots, the attacker's resources at deactivation) and in the report.
func TestOmittedRecordOnScreenAndInTheReport(t *testing.T) {
	d := startDrill(t, "minted-session")
	d.investigate()
	inv := d.state().Investigate.Investigation
	var launched []runbook.Resource
	for _, r := range inv.BlastRadius {
		if r.Type == "ec2-instance" && r.Region == "ap-southeast-2" {
			launched = append(launched, r)
		}
	}
	if len(launched) != 48 {
		t.Fatalf("the blast radius names %d instances in ap-southeast-2, want the 48 launched", len(launched))
	}
	const blind = "CloudTrail omitted the parameters or response of 1 event(s) for their size (RunInstances)"

	// The investigation's screen, stopped after the sweep: b shows the
	// blind spots.
	d2 := startDrill(t, "minted-session")
	d2.do(runbook.SubmitKey{KeyID: d2.tr.sim.LeakedKeyID(), ExposedAt: d2.tr.sim.ExposedAt()})
	now := d2.tr.sim.Now()
	d2.do(runbook.BeginInvestigation{From: now.Add(-demoSweep), To: now})
	var inv2 tea.Model = tui.New(tui.Options{Engine: d2.en, Executor: d2.tr.exec, LogPath: d2.log, Now: d2.tr.sim.Now,
		Training: &tui.TrainingInfo{Scenario: d2.sc.Name, Brief: d2.sc.Brief}})
	inv2, _ = inv2.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	inv2, _ = inv2.Update(tea.KeyPressMsg{Code: 'b', Text: "b"})
	screen := ansi.Strip(inv2.View().Content)
	if !strings.Contains(strings.Join(strings.Fields(screen), " "), strings.Join(strings.Fields(blind), " ")) || !strings.Contains(screen, "could not be seen") {
		t.Errorf("the investigation's blind spots do not say what could not be seen:\n%s", screen)
	}
	if !strings.Contains(screen, "blast radius") {
		t.Errorf("the investigation does not show its blast radius:\n%s", screen)
	}

	// At deactivation the attacker's resources list names the instances.
	d.replace()
	d.do(runbook.ProceedToDeactivate{})
	var model tea.Model = tui.New(tui.Options{Engine: d.en, Executor: d.tr.exec, LogPath: d.log, Now: d.tr.sim.Now,
		Training: &tui.TrainingInfo{Scenario: d.sc.Name, Brief: d.sc.Brief}})
	model, _ = model.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	screen = ansi.Strip(model.View().Content)
	if !strings.Contains(screen, launched[0].ID) {
		t.Errorf("the attacker's resources at deactivation do not name %s:\n%s", launched[0].ID, screen)
	}

	raw, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	records, vr := runbook.ReadJournal(strings.NewReader(string(raw)))
	r, err := runbook.BuildReport(records, vr)
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown())
	for _, want := range []string{blind, "could not be seen", "| ec2-instance | " + launched[0].ID + " | ap-southeast-2 |", "| ec2-instance | " + launched[47].ID + " | ap-southeast-2 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
