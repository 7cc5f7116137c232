package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// drillSweep is the sweep window of the scripted runs: eight days hold the
// oldest attacker's first call (6 days 4 hours back, root-key-ec2-onprem)
// and every workload's schedule (the longest is 1 day); the default 90 days
// would only make the test slower, at 100 LookupEvents a second.
const drillSweep = 8 * 24 * time.Hour

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
	en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeTraining, WatchWindow: runbook.DefaultWatchWindow}, j)
	if err != nil {
		t.Fatal(err)
	}
	return &drill{t: t, sc: sc, tr: tr, en: en, j: j, log: log}
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
			ev.EventName(), x.polls, st.KeyUses, st.Denied, st.Alarms, st.Unhealthy)
	case err != nil:
		d.t.Fatalf("%s: %v (step %s)", ev.EventName(), err, st.Step)
	case st.LastError != nil:
		d.t.Fatalf("%s: step %s failed: %+v", ev.EventName(), st.Step, *st.LastError)
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
// "apply". A Lambda caller whose function the investigation could not name
// gets the function the trainee would read off the account.
func (d *drill) investigate() {
	d.t.Helper()
	d.do(runbook.SubmitKey{KeyID: d.tr.sim.LeakedKeyID()})
	now := d.tr.sim.Now()
	d.do(runbook.BeginInvestigation{From: now.Add(-drillSweep), To: now})
	d.do(runbook.BeginProposals{})
	for _, p := range d.state().Proposals {
		if p.Target == "" {
			p.Target = d.workloadOf(p.CallerID).RunsOn
			d.do(runbook.EditProposal{Proposal: p})
		}
		d.do(runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionApply})
	}
}

// workloadOf is the scenario's workload behind a caller, found by its
// source IP: the ground truth a trainee reads in the account's console.
func (d *drill) workloadOf(callerID string) sim.Workload {
	d.t.Helper()
	c, _ := d.state().Investigation.Caller(callerID)
	for _, w := range d.sc.Workloads {
		if w.Legitimate && workloadIP(d.sc, w) == c.SourceIP {
			return w
		}
	}
	d.t.Fatalf("caller %s (%s) is no workload of the scenario", callerID, c.SourceIP)
	return sim.Workload{}
}

// replace applies every proposal and checks each caller moved. A caller
// that runs on a schedule (a CI pipeline every 8 hours) shows up under its
// replacement only at its next run: the trainee waits for it, then checks
// again. A key only the attacker used has no caller to move.
func (d *drill) replace() {
	d.t.Helper()
	d.do(runbook.ApplyProposals{})
	if len(d.state().Proposals) == 0 {
		return
	}
	d.do(runbook.VerifyMoves{})
	var wait time.Duration
	for _, p := range d.state().Proposals {
		if !p.Moved {
			wait = max(wait, d.longestGap(p.CallerID))
		}
	}
	if wait > 0 {
		d.tr.sim.Advance(wait)
		d.do(runbook.VerifyMoves{})
	}
	for _, p := range d.state().Proposals {
		if !p.Applied || !p.Moved {
			d.t.Fatalf("%s (%s %s on %s): applied %v, moved %v", p.CallerID, p.Kind, p.Name, p.Target, p.Applied, p.Moved)
		}
	}
}

// longestGap is the longest a caller's workload can go between two runs
// of one of its calls: its period plus its jitter.
func (d *drill) longestGap(callerID string) time.Duration {
	var gap time.Duration
	for _, call := range d.workloadOf(callerID).Calls {
		gap = max(gap, span(d.t, call.Every)+span(d.t, call.Jitter))
	}
	return gap
}

// span reads a scenario duration ("8h", "1d", "1d12h").
func span(t *testing.T, s string) time.Duration {
	t.Helper()
	if s == "" {
		return 0
	}
	var days time.Duration
	if n, rest, ok := strings.Cut(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("duration %q: %v", s, err)
		}
		days, s = time.Duration(v)*24*time.Hour, rest
	}
	d, err := time.ParseDuration(s)
	if err != nil && s != "" {
		t.Fatalf("duration %q: %v", s, err)
	}
	return days + d
}

// cleanUpPlanted removes every blast-radius resource the drill counts as
// planted; one the investigation did not find fails the drill.
func (d *drill) cleanUpPlanted() {
	d.t.Helper()
	for _, want := range drillFor(d.sc).Planted {
		i := slices.IndexFunc(d.state().Investigation.BlastRadius, func(r runbook.Resource) bool {
			return r.Type == want.Type && r.ID == want.ID
		})
		if i < 0 {
			d.t.Fatalf("%s %s is planted but not in the blast radius: %+v", want.Type, want.ID, d.state().Investigation.BlastRadius)
		}
		d.do(runbook.CleanUp{Resource: d.state().Investigation.BlastRadius[i]})
	}
}

// stopCompute stops every instance the investigation found the key
// launched.
func (d *drill) stopCompute() {
	d.t.Helper()
	for _, r := range d.state().Investigation.BlastRadius {
		if r.Type == "ec2-instance" && r.Action == "RunInstances" {
			d.do(runbook.CleanUp{Resource: r})
		}
	}
}

// revokeMinted denies the sessions the key minted, where this account can.
func (d *drill) revokeMinted() {
	d.t.Helper()
	if len(d.state().RevocationPlan().Targets) > 0 {
		d.do(runbook.RevokeSessions{})
	}
}

// model plays the model response: investigate, replace every legitimate
// caller and see it move, deactivate, remove the attacker's persistence,
// let the watch pass, delete with the last four characters, close.
func (d *drill) model() {
	d.t.Helper()
	d.investigate()
	d.replace()
	d.do(runbook.ProceedToDeactivate{})
	d.cleanUpPlanted()
	d.stopCompute()
	d.revokeMinted()
	d.do(runbook.ConfirmDeactivate{})
	if st := d.state(); st.Step != runbook.StepDelete || !st.WatchPassed {
		d.t.Fatalf("the watch did not pass: step %s, key uses %d, unhealthy %v", st.Step, st.KeyUses, st.Unhealthy)
	}
	d.do(runbook.ConfirmDelete{Typed: runbook.LastFour(d.state().KeyID)})
	d.do(runbook.CloseIncident{Note: "model response"})
}

func TestEveryScenarioCanBeWon(t *testing.T) {
	if testing.Short() {
		t.Skip("plays every scenario end to end")
	}
	infos := sim.Scenarios()
	if len(infos) < 3 {
		t.Fatalf("want the three shipped scenarios, got %d", len(infos))
	}
	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			d := startDrill(t, info.Name)
			d.model()
			db := d.debrief()
			if db.Score != 100 {
				t.Errorf("model response scored %d, want 100:\n%s", db.Score, db.Text())
			}
			if st := d.state(); st.Step != runbook.StepClosed {
				t.Errorf("ended at %s", st.Step)
			}
			t.Logf("%s: %d requests, %d reading(s) of the attacker failing on the dead key, simulated %s, real %s",
				info.Name, len(d.tr.sim.Requests()), d.contained, d.tr.sim.Now().Sub(sim.DefaultStart).Round(time.Minute), time.Since(start).Round(time.Millisecond))
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
		if _, ok := e.(runbook.PollWatch); !ok || tried || st.WatchLast.IsZero() || st.KeyUses > 0 {
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
