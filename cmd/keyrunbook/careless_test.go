package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 17: a careless trainee turns the key off with the workloads still
// on it and sits through the watch, restarting it each time it ends. The
// watch used to poll and journal every tick (55,295 records in a 16-minute
// careless drill at ×60, sixteen simulated hours); now each window ends,
// says what blocks the deletion, and the log keeps only the readings that
// changed. The test sits through three hours and checks what each further
// window adds, so sixteen hours stay under 1,000 records (measured with
// CARELESS_HOURS=16: 444 records).
func TestCarelessWatchKeepsTheLogSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario for hours of simulated time")
	}
	hours := 3 * time.Hour
	if h, err := time.ParseDuration(os.Getenv("CARELESS_HOURS") + "h"); err == nil && h > 0 {
		hours = h
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
	d.do(runbook.SignInAsRoot{MFACode: d.tr.sim.RootMFACode()})
	d.do(runbook.ConfirmDeactivate{})
	windows := 1
	firstWindow := 0
	for d.tr.sim.Now().Sub(d.state().Contain.DeactivatedAt) < hours {
		if windows == 1 {
			firstWindow = countRecords(t, d.log)
		}
		st := d.state()
		if st.Step != runbook.StepWatch || !st.Watch.Ended {
			t.Fatalf("window %d: step %s, ended %v: the watch did not end with the workloads failing", windows, st.Step, st.Watch.Ended)
		}
		d.do(runbook.RestartWatch{})
		windows++
	}
	st := d.state()
	if len(st.Watch.Blockers()) == 0 {
		t.Fatal("nothing blocks the deletion with the workloads failing")
	}
	if _, err := d.en.Submit(runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)}); err == nil {
		t.Fatal("the key was deleted over failing workloads")
	}
	d.do(runbook.RequestReactivate{Reason: "workloads failing"})
	records := countRecords(t, d.log)
	// What sixteen hours (32 windows) would write at this run's pace.
	perWindow := float64(records-firstWindow) / float64(windows-1)
	sixteenHours := firstWindow + int(perWindow*31)
	if records >= 1000 || sixteenHours >= 1000 {
		t.Errorf("the careless run wrote %d records in %d windows (%.1f a window after the first): sixteen hours would write %d, want under 1,000",
			records, windows, perWindow, sixteenHours)
	}
	t.Logf("%d windows over %s simulated: %d records (%.1f a window after the first; sixteen hours ≈ %d)",
		windows, d.tr.sim.Now().Sub(st.Contain.DeactivatedAt).Round(time.Minute), records, perWindow, sixteenHours)
}

func countRecords(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(raw), "\n")
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
	for _, c := range st.Investigate.Investigation.Minted {
		if !c.CrossAccount {
			wants = append(wants, c.KeyID)
		}
	}
	instances := 0
	for _, r := range st.Investigate.Investigation.BlastRadius {
		if r.Type == "ec2-instance" && r.Action == "RunInstances" {
			wants = append(wants, r.ID)
			instances++
		}
	}
	if len(st.Investigate.Investigation.Minted) == 0 || instances == 0 {
		t.Fatalf("the investigation found %d minted session(s) and %d instance(s): the scenario lost its loose ends", len(st.Investigate.Investigation.Minted), instances)
	}
	for _, want := range append(wants, "Sessions the key minted revoked (−", "Attacker's compute stopped (−", "still running: ") {
		if !strings.Contains(text, want) {
			t.Errorf("the debrief does not name %q:\n%s", want, text)
		}
	}
	t.Logf("careless minted-session:\n%s", text)
}
