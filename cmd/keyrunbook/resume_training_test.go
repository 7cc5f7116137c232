package main

import (
	"os"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 17: a drill quit half-way resumes. Its simulated account is rebuilt
// from the scenario and the changes the log records: the key is inactive
// again, the workloads run on their replacements (none fails), the
// attacker's user is gone; the drill then plays on to Closed with 100.
func TestTrainingDrillResumesFromItsLog(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	t.Parallel()
	d := startDrill(t, "root-key-ec2-onprem")
	for d.state().Step != runbook.StepDelete {
		mv, ok := d.plan.next(d.state())
		if !ok || mv.event == nil {
			t.Fatalf("the model stopped at %s", d.state().Step)
		}
		d.tr.sim.Advance(mv.wait)
		d.do(mv.event)
	}
	quitAt := d.tr.sim.Now()
	if err := d.j.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(d.log)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := runbook.Replay(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rebuildTraining(t.Context(), rp.Machine.State(), rp.Records, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.stop)
	if !tr.sim.Now().Equal(quitAt) {
		t.Errorf("rebuilt account at %s, the drill quit at %s", tr.sim.Now(), quitAt)
	}
	id, ok := tr.exec.Run(t.Context(), runbook.IdentifyKey{KeyID: tr.sim.LeakedKeyID()}, nil).(runbook.KeyIdentified)
	if !ok || id.Key.Status != runbook.KeyInactive {
		t.Errorf("the leaked key is %q in the rebuilt account, want Inactive", id.Key.Status)
	}
	if broken := unhealthy(tr.sim); len(broken) > 0 {
		t.Errorf("workloads failing in the rebuilt account: %v (their replacements were not rebuilt)", broken)
	}

	// Go on from the log, as resume does, in the rebuilt account.
	j, records, err := runbook.OpenJournal(d.log, tr.sim.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	rp, err = runbook.ReplayRecords(records)
	if err != nil {
		t.Fatal(err)
	}
	d.tr, d.j, d.en = tr, j, runbook.ResumeEngine(rp.Machine, j)
	d.plan = newModelPlan(d.sc, tr.sim)
	d.model()
	if db := d.debrief(); db.Score != 100 || d.state().Step != runbook.StepClosed {
		t.Errorf("the resumed drill ended at %s with %d:\n%s", d.state().Step, db.Score, db.Text())
	}
}
