package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 17: a careless trainee turns the key off with the workloads still
// on it and sits through the watch for sixteen simulated hours, restarting
// it each time it ends. The watch used to poll and journal every tick
// (55,295 records for such a run); now each window ends, says what blocks
// the deletion, and the log keeps only the readings that changed.
func TestCarelessWatchKeepsTheLogSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario for sixteen simulated hours")
	}
	t.Parallel()
	d := startDrill(t, "root-key-ec2-onprem")
	d.careless = true
	d.do(runbook.SubmitKey{KeyID: d.tr.sim.LeakedKeyID()})
	now := d.tr.sim.Now()
	d.do(runbook.BeginInvestigation{From: now.Add(-demoSweep), To: now})
	d.do(runbook.BeginProposals{})
	// Decide nothing: deactivate over the workloads, with a reason.
	d.do(runbook.ApplyProposals{})
	d.do(runbook.ProceedToDeactivate{Override: "careless: no time"})
	d.do(runbook.ConfirmDeactivate{})
	windows := 1
	for d.tr.sim.Now().Sub(d.state().DeactivatedAt) < 16*time.Hour {
		st := d.state()
		if st.Step != runbook.StepWatch || !st.WatchEnded {
			t.Fatalf("window %d: step %s, ended %v: the watch did not end with the workloads failing", windows, st.Step, st.WatchEnded)
		}
		d.do(runbook.RestartWatch{})
		windows++
	}
	st := d.state()
	if len(st.Blockers()) == 0 {
		t.Fatal("nothing blocks the deletion with the workloads failing")
	}
	if _, err := d.en.Submit(runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)}); err == nil {
		t.Fatal("the key was deleted over failing workloads")
	}
	d.do(runbook.RequestReactivate{Reason: "workloads failing"})
	raw, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	records := strings.Count(string(raw), "\n")
	if os.Getenv("KEEP_LOG") != "" {
		os.WriteFile(os.Getenv("KEEP_LOG"), raw, 0o600)
	}
	if records >= 1000 {
		t.Errorf("the careless run wrote %d records, want under 1,000", records)
	}
	t.Logf("%d windows over %s simulated: %d records, %d KB", windows, d.tr.sim.Now().Sub(st.DeactivatedAt).Round(time.Minute), records, len(raw)/1024)
}

// Issue 17: a trainee who neither revokes the sessions the key minted nor
// stops the instances the attacker launched with them must not score 100,
// and the debrief says which sessions and which instances.
func TestCarelessMintedSessionNamesTheLooseEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	t.Parallel()
	d := startDrill(t, "minted-session")
	d.investigate()
	d.replace()
	d.do(runbook.ProceedToDeactivate{})
	d.cleanUpPlanted()
	d.do(runbook.ConfirmDeactivate{})
	d.do(runbook.ConfirmDelete{Typed: runbook.LastFour(d.state().KeyID)})
	d.do(runbook.CloseIncident{Note: "careless"})
	db := d.debrief()
	text := db.Text()
	if db.Score >= 100 {
		t.Fatalf("scored %d with the sessions unrevoked and the instances running:\n%s", db.Score, text)
	}
	st := d.state()
	var wants []string
	for _, c := range st.Investigation.Minted {
		if !c.CrossAccount {
			wants = append(wants, c.KeyID)
		}
	}
	instances := 0
	for _, r := range st.Investigation.BlastRadius {
		if r.Type == "ec2-instance" && r.Action == "RunInstances" {
			wants = append(wants, r.ID)
			instances++
		}
	}
	if len(st.Investigation.Minted) == 0 || instances == 0 {
		t.Fatalf("the investigation found %d minted session(s) and %d instance(s): the scenario lost its loose ends", len(st.Investigation.Minted), instances)
	}
	for _, want := range append(wants, "Sessions the key minted revoked (−", "Attacker's compute stopped (−", "still running: ") {
		if !strings.Contains(text, want) {
			t.Errorf("the debrief does not name %q:\n%s", want, text)
		}
	}
	t.Logf("careless minted-session:\n%s", text)
}

// The attacker-only drill has no legitimate caller: its debrief scores
// nothing about moving callers, and a careful run keeps all 100.
func TestAttackerOnlyDebriefScoresOnlyWhatApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	t.Parallel()
	d := startDrill(t, "attacker-only")
	d.model()
	db := d.debrief()
	text := db.Text()
	if strings.Contains(text, "legitimate caller") {
		t.Errorf("the debrief scores moving callers the scenario does not have:\n%s", text)
	}
	if db.Score != 100 {
		t.Errorf("scored %d:\n%s", db.Score, text)
	}
}
