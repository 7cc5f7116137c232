package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 8's "done when": every shipped scenario can be won with a score of
// 100 by a model response, played headless through the engine with the
// real executor against the simulated account, wired as `keyrunbook train`
// wires it (startTraining). A careless response loses points, and the
// debrief says why.

// maxDrillPolls bounds the watch readings of one scripted event: a watch
// that never passes would otherwise run the headless engine forever. At
// the executor's 30-second poll, a 30-minute window takes 60.
const maxDrillPolls = 200

// drill is one headless training run: the simulated account and executor
// startTraining builds, and an engine journaling into a temporary log.
type drill struct {
	t   *testing.T
	sc  *sim.Scenario
	tr  *training
	en  *runbook.Engine
	j   *runbook.Journal
	log string
	// plan is the model response (model.go).
	plan *modelPlan
	// during, when set, runs before each effect the executor carries out,
	// with the engine between two steps: a trainee's key press mid-effect.
	during func(runbook.Effect)
	// contained counts the attacker's failed uses of the dead key the
	// watch showed (readings × uses), which the model lets pass.
	contained int
	// careless turns the model's judgement of the watch off: the trainee
	// leaves workloads on the key on purpose.
	careless bool
}

func startDrill(t *testing.T, name string) *drill {
	t.Helper()
	sc, err := sim.LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	// Speed 0: the simulated clock jumps instead of waiting, so the watch
	// window passes in no real time.
	tr, err := startTraining(t.Context(), sc, 0, runbook.DefaultWatchWindow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.stop)
	log := filepath.Join(t.TempDir(), "drill.jsonl")
	j, err := runbook.CreateJournal(log, string(runbook.ModeTraining), "", tr.sim.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeTraining, WatchWindow: runbook.DefaultWatchWindow, Scenario: name}, j)
	if err != nil {
		t.Fatal(err)
	}
	return &drill{t: t, sc: sc, tr: tr, en: en, j: j, log: log, plan: newModelPlan(sc, tr.sim)}
}

// scripted is a drill's runbook.Executor: the training executor, with the
// model's reading of the watch and the drill's during hook before each
// effect, and a bound on the watch readings.
type scripted struct {
	d      *drill
	polls  int
	cancel context.CancelFunc
}

// Run implements runbook.Executor.
func (x *scripted) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	if _, ok := e.(runbook.PollWatch); ok && !x.d.careless {
		x.d.judgeWatch(ctx)
	}
	if x.d.during != nil {
		x.d.during(e)
	}
	ev := x.d.tr.exec.Run(ctx, e, emit)
	if _, ok := ev.(runbook.WatchObserved); ok {
		x.polls++
		if x.polls >= maxDrillPolls {
			x.cancel()
		}
	}
	return ev
}

// do runs ev and every effect that follows; a refusal or an effect that
// failed ends the test with the state.
func (d *drill) do(ev runbook.Event) {
	d.t.Helper()
	ctx, cancel := context.WithCancel(d.t.Context())
	defer cancel()
	x := &scripted{d: d, cancel: cancel}
	err := d.en.Run(ctx, x, ev)
	st := d.state()
	switch {
	case x.polls >= maxDrillPolls:
		d.t.Fatalf("%s: the watch did not pass after %d readings: key uses %d, denied %v, alarms %v, unhealthy %v",
			ev.EventName(), x.polls, st.Watch.KeyUses, st.Watch.Denied, st.Watch.Alarms, st.Watch.Unhealthy)
	case err != nil:
		d.t.Fatalf("%s: %v (step %s)", ev.EventName(), err, st.Step)
	case st.Effects.LastError != nil:
		d.t.Fatalf("%s: step %s failed: %+v", ev.EventName(), st.Step, *st.Effects.LastError)
	}
}

func (d *drill) state() runbook.State { return d.en.Machine().State() }

// debrief scores the run as playTraining does.
func (d *drill) debrief() runbook.Debrief {
	d.t.Helper()
	f, err := os.Open(d.log)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	records, res := runbook.ReadJournal(f)
	if !res.OK {
		d.t.Fatalf("the action log does not verify: %s", res.Reason)
	}
	db, err := runbook.Score(drillFor(d.sc), records, unhealthy(d.tr.sim), 0)
	if err != nil {
		d.t.Fatal(err)
	}
	return db
}

// investigate runs intake, the sweep and the proposals, each decided
// "apply" as the model response decides them (model.go).
func (d *drill) investigate() {
	d.t.Helper()
	// The model response takes the exposure time the brief gives.
	d.do(runbook.SubmitKey{KeyID: d.tr.sim.LeakedKeyID(), ExposedAt: d.tr.sim.ExposedAt()})
	now := d.tr.sim.Now()
	d.do(runbook.BeginInvestigation{From: now.Add(-demoSweep), To: now})
	d.do(runbook.BeginProposals{})
	for {
		mv, _ := d.plan.next(d.state())
		if _, apply := mv.event.(runbook.ApplyProposals); apply || d.state().Step != runbook.StepPropose {
			return
		}
		d.do(mv.event)
	}
}

// replace applies every proposal and checks each caller moved, waiting for
// a scheduled caller's next run as the model does.
func (d *drill) replace() {
	d.t.Helper()
	d.do(runbook.ApplyProposals{})
	// A caller that never moves makes the model check again: a few checks
	// are enough to tell.
	for range 5 {
		mv, _ := d.plan.next(d.state())
		if _, done := mv.event.(runbook.ProceedToDeactivate); done || d.state().Step != runbook.StepReplace {
			break
		}
		d.tr.sim.Advance(mv.wait)
		d.do(mv.event)
	}
	for _, p := range d.state().Propose.Proposals {
		if !p.Applied || !p.Moved {
			d.t.Fatalf("%s (%s %s on %s): applied %v, moved %v", p.CallerID, p.Kind, p.Name, p.Target, p.Applied, p.Moved)
		}
	}
}

// cleanUpPlanted removes every blast-radius resource the drill counts as
// planted; one the investigation did not find fails the drill.
func (d *drill) cleanUpPlanted() {
	d.t.Helper()
	for _, want := range drillFor(d.sc).Planted {
		i := slices.IndexFunc(d.state().Investigate.Investigation.BlastRadius, func(r runbook.Resource) bool {
			return r.Type == want.Type && r.ID == want.ID
		})
		if i < 0 {
			d.t.Fatalf("%s %s is planted but not in the blast radius: %+v", want.Type, want.ID, d.state().Investigate.Investigation.BlastRadius)
		}
		d.do(runbook.CleanUp{Resource: d.state().Investigate.Investigation.BlastRadius[i]})
	}
}

// model plays the model response (model.go) to the end, move by move.
func (d *drill) model() {
	d.t.Helper()
	for range maxDemoMoves {
		mv, ok := d.plan.next(d.state())
		if !ok {
			return
		}
		if mv.event == nil {
			d.t.Fatalf("the model has no move at %s: blockers %+v", d.state().Step, d.state().Watch.Blockers())
		}
		d.tr.sim.Advance(mv.wait)
		d.do(mv.event)
	}
	d.t.Fatalf("the model did not close the incident in %d moves", maxDemoMoves)
}

// Issue 17's "done when": `keyrunbook train --demo --no-tui` plays every
// shipped scenario's model response to Closed with 100, headless, and
// writes each action log.
func TestDemoPlaysEveryScenarioToClosedWith100(t *testing.T) {
	if testing.Short() {
		t.Skip("plays every scenario end to end")
	}
	infos := sim.Scenarios()
	if len(infos) < 3 {
		t.Fatalf("want the shipped scenarios, got %d", len(infos))
	}
	dir := t.TempDir()
	start := time.Now()
	code, out, errOut := call(t, "train", "--demo", "--no-tui", "--log", filepath.Join(dir, "demo.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, info := range infos {
		if !strings.Contains(out, "Debrief — "+info.Name+": 100/100") {
			t.Errorf("%s did not score 100:\n%s", info.Name, out)
		}
	}
	// Nothing is scored that does not apply: attacker-only has no
	// legitimate caller to move.
	_, attackerOnly, _ := strings.Cut(out, "Debrief — attacker-only")
	attackerOnly, _, _ = strings.Cut(attackerOnly, "Action log")
	if attackerOnly == "" || strings.Contains(attackerOnly, "legitimate caller") {
		t.Errorf("attacker-only's debrief scores moving callers it does not have:\n%s", attackerOnly)
	}
	for _, narration := range []string{"Deactivate now, not delete", "keyrunbook never needs the secret", "its replacement is instance-role", "Watched 30m0s"} {
		if !strings.Contains(out, narration) {
			t.Errorf("the narration lacks %q", narration)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "keyrunbook-demo-*.jsonl"))
	if len(logs) != len(infos) {
		t.Fatalf("%d action logs written, want %d", len(logs), len(infos))
	}
	for _, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rp, err := runbook.Replay(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if st := rp.Machine.State(); st.Step != runbook.StepClosed {
			t.Errorf("%s ended at %s", filepath.Base(path), st.Step)
		}
	}
	t.Logf("%d scenarios played in %s", len(infos), time.Since(start).Round(time.Millisecond))
}

// The model response through the scripted drill, which also reads the
// watch as a careful responder would (judgeWatch).
func TestEveryScenarioCanBeWon(t *testing.T) {
	if testing.Short() {
		t.Skip("plays every scenario end to end")
	}
	for _, info := range sim.Scenarios() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			d := startDrill(t, info.Name)
			d.model()
			db := d.debrief()
			if db.Score != 100 {
				t.Errorf("model response scored %d, want 100:\n%s", db.Score, db.Text())
			}
			if st := d.state(); st.Step != runbook.StepClosed {
				t.Errorf("ended at %s", st.Step)
			}
			t.Logf("%s: %d requests, %d reading(s) of the attacker failing on the dead key, simulated %s",
				info.Name, len(d.tr.sim.Requests()), d.contained, d.tr.sim.Now().Sub(sim.DefaultStart).Round(time.Minute))
		})
	}
}

// A careless trainee tries to delete the key while the watch still runs
// and leaves the attacker's user in the account: the run still closes,
// scores lower, and the debrief names both mistakes.
func TestCarelessResponseLosesPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	t.Parallel()
	name := sim.Scenarios()[0].Name
	d := startDrill(t, name)
	d.investigate()
	d.replace()
	d.do(runbook.ProceedToDeactivate{})
	tried := false
	d.during = func(e runbook.Effect) {
		st := d.state()
		if _, ok := e.(runbook.PollWatch); !ok || tried || st.Watch.Last.IsZero() || st.Watch.KeyUses > 0 {
			return
		}
		tried = true
		_, err := d.en.Submit(runbook.ConfirmDelete{Typed: runbook.LastFour(d.state().KeyID)})
		var refusal *runbook.Refusal
		if !errors.As(err, &refusal) {
			t.Errorf("deleting during the watch was not refused: %v", err)
		}
	}
	d.do(runbook.ConfirmDeactivate{})
	d.during = nil
	if !tried {
		t.Fatal("the watch ended before the careless delete could be tried")
	}
	d.do(runbook.ConfirmDelete{Typed: runbook.LastFour(d.state().KeyID)})
	d.do(runbook.CloseIncident{Note: "careless"})
	db := d.debrief()
	if db.Score >= 100 {
		t.Fatalf("careless response scored %d:\n%s", db.Score, db.Text())
	}
	text := db.Text()
	var users []string
	for _, r := range drillFor(d.sc).Planted {
		if r.Type == "iam-user" {
			users = append(users, "iam-user "+r.ID)
		}
	}
	if len(users) == 0 {
		t.Fatalf("scenario %s plants no IAM user to leave behind", name)
	}
	for _, want := range append([]string{"tried to delete the key before the watch window passed", "left in the account: "}, users...) {
		if !strings.Contains(text, want) {
			t.Errorf("the debrief does not say %q:\n%s", want, text)
		}
	}
	t.Logf("careless response on %s:\n%s", name, text)
}

// Issue 14: in llm-jacking-ci the attacker enables Bedrock model access,
// reads a secret, verifies an SES sender, shares a snapshot and suspends
// GuardDuty, while the CI deploys its function. A response that removes the
// planted user but leaves every follow-up open loses points for each, and
// the debrief names them; the CI's function is never offered for clean-up.
func TestCarelessResponseLeavesTheFollowUps(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario end to end")
	}
	t.Parallel()
	d := startDrill(t, "llm-jacking-ci")
	want := []string{"bedrock-invoke", "bedrock-model-access", "guardduty-disabled", "secret-read", "ses-identity", "snapshot-shared"}
	got := drillFor(d.sc).FollowUps
	if !slices.Equal(got, want[1:]) && !slices.Equal(got, want) {
		t.Fatalf("the drill expects follow-ups %v, want %v", got, want[1:])
	}
	d.investigate()
	for _, r := range d.state().Investigate.Investigation.AttackerResources() {
		if r.Type == "lambda-function" {
			t.Errorf("the CI's function %s is offered for clean-up", r.ID)
		}
	}
	d.replace()
	d.do(runbook.ProceedToDeactivate{})
	d.cleanUpPlanted()
	d.do(runbook.ConfirmDeactivate{})
	d.do(runbook.ConfirmDelete{Typed: runbook.LastFour(d.state().KeyID)})
	d.do(runbook.CloseIncident{Note: "careless: follow-ups left"})
	db := d.debrief()
	if db.Score >= 100 {
		t.Fatalf("careless response scored %d:\n%s", db.Score, db.Text())
	}
	for _, tech := range drillFor(d.sc).FollowUps {
		if !strings.Contains(db.Text(), tech) {
			t.Errorf("the debrief does not name the open follow-up %s:\n%s", tech, db.Text())
		}
	}
	t.Logf("careless response on llm-jacking-ci:\n%s", db.Text())
}
