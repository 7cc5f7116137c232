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
	d.do(runbook.BeginInvestigation{From: now.Add(-drillSweep), To: now})
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
