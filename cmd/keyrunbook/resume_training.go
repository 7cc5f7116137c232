package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// A training drill's simulated account lives in the process that played
// it. Resuming one rebuilds it: the same scenario started again, and the
// changes the action log records (replacements, deactivation, clean-ups,
// revocations) carried out again, each at its time on the simulated
// clock, so the workloads see what they saw then.

// scenarioRef is what a drill's log records of its scenario: its name, or
// its file's absolute path.
func scenarioRef(o trainOptions, sc *sim.Scenario) string {
	if o.scenarioFile != "" {
		if abs, err := filepath.Abs(o.scenarioFile); err == nil {
			return abs
		}
		return o.scenarioFile
	}
	return sc.Name
}

func loadScenarioRef(ref string) (*sim.Scenario, error) {
	if strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".json") {
		return loadScenario("", ref)
	}
	return loadScenario(ref, "")
}

// rebuildTraining starts the drill's scenario again and replays the changes
// its log records. The clock jumps while it replays; speed is the pace of
// simulated time afterwards.
func rebuildTraining(ctx context.Context, st runbook.State, records []runbook.Record, speed float64) (*training, error) {
	if st.Scenario == "" {
		return nil, fmt.Errorf("the log does not name its scenario (it was written before drills could be resumed): start a new drill with 'keyrunbook train'")
	}
	sc, err := loadScenarioRef(st.Scenario)
	if err != nil {
		return nil, err
	}
	t, err := startTraining(ctx, sc, 0, st.Watch.Window)
	if err != nil {
		return nil, err
	}
	if a := st.Contain.RootAccess; a != nil && a.Method == runbook.RootSignIn {
		// The drill signed in as root: the rebuilt account's root session
		// is opened again (the device's code is the simulator's to read),
		// so the root key's changes replay, and go on, as root's.
		in := runbook.ObtainRootCredentials{KeyID: st.KeyID, Account: st.Intake.Key.Account, Method: a.Method, MFACode: t.sim.RootMFACode()}
		if f, failed := t.exec.Run(ctx, in, nil).(runbook.EffectFailed); failed {
			t.stop()
			return nil, fmt.Errorf("rebuild the simulated account: the root sign-in failed again: %s", f.Message)
		}
	}
	for _, c := range runbook.Changes(records) {
		advanceTo(t, c.At)
		if f, failed := t.exec.Run(ctx, c.Effect, nil).(runbook.EffectFailed); failed {
			t.stop()
			return nil, fmt.Errorf("rebuild the simulated account: %s failed again: %s", c.Effect.EffectName(), f.Message)
		}
	}
	advanceTo(t, records[len(records)-1].Time)
	t.clock.Speed, t.speed = speed, speed
	return t, nil
}

// advanceTo moves the simulated clock forward to at, never back.
func advanceTo(t *training, at time.Time) {
	if d := at.Sub(t.sim.Now()); d > 0 {
		t.sim.Advance(d)
	}
}

// resumeTraining continues a drill in the TUI from its rebuilt account,
// and debriefs it at the end as a drill played in one go. rp is the log
// as resumeRun replayed it: it is read once.
func resumeTraining(ctx context.Context, o resumeOptions, rp *runbook.Replayed) error {
	io, path := o.IO, o.path
	t, err := rebuildTraining(ctx, rp.Machine.State(), rp.Records, trainingSpeed)
	if err != nil {
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	defer t.stop()
	// The log goes on in simulated time, where the drill left it.
	j, records, err := runbook.OpenJournal(path, t.sim.Now)
	if err != nil {
		return fmt.Errorf("reopen the action log: %w", err)
	}
	defer j.Close()
	if rp, err = runbook.ReplayRecords(records); err != nil {
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	en := runbook.ResumeEngine(rp.Machine, j)
	final, err := o.runProgram(ctx, tui.New(tui.Options{
		Engine: en, Executor: t.exec, LogPath: path, Pending: rp.Pending, Now: t.sim.Now, Export: exportProposal, Plan: t.exec.Plan,
		Training: &tui.TrainingInfo{Scenario: t.sc.Name, Brief: t.sc.Brief, ClockSpeed: fmt.Sprintf("simulated time ×%g", t.speed), Hints: hint,
			RootSignIn: rootSignInInfo(t.sim)},
	}))
	if err != nil {
		return fmt.Errorf("resume: %w (the action log is %s)", err, path)
	}
	fm := final.(tui.Model)
	db, err := debrief(j, path, drillFor(t.sc), unhealthy(t.sim), fm.HintsUsed())
	if err != nil {
		return err
	}
	fmt.Fprint(io.out, db.Text())
	if msg := fm.ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, "\n"+msg)
	}
	return nil
}

// trainingSpeed is a resumed drill's pace: train's default --speed.
const trainingSpeed = 60
