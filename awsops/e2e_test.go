package awsops

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

// containRig is one training run's parts: the simulated account, the
// executor signed in as the responder, and the engine with its journal.
type containRig struct {
	t     *testing.T
	sim   *sim.Sim
	url   string
	x     *Executor
	en    *runbook.Engine
	clock *SimClock
	log   string
}

type rigOptions struct {
	scenario      string
	mutate        func(*sim.Scenario)
	rootKey       bool // give root a second key, the responder's --root-profile
	dryRun        bool
	noReconfigure bool          // do not switch an on-prem workload to its new key
	watchWindow   time.Duration // zero: the default 30 minutes
}

// rootConsoleRef names the root key a test adds to stand for credentials
// the responder holds for the root user (--root-profile).
const rootConsoleRef = "root-console"

func newContainRig(t *testing.T, o rigOptions) *containRig {
	t.Helper()
	sc, err := sim.LoadScenario(o.scenario)
	if err != nil {
		t.Fatal(err)
	}
	if o.rootKey {
		sc.Root.Keys = append(sc.Root.Keys, sim.Key{Ref: rootConsoleRef, Created: "-30d"})
	}
	if o.mutate != nil {
		o.mutate(sc)
	}
	s, url := startScenario(t, sc)
	id, secret := s.ResponderCredentials()
	cfg := clientsFor(t, url, id, secret).Config
	clock := NewSimClock(s.Now, s.Advance, 0)
	opts := ExecutorOptions{DryRun: o.dryRun, Clock: clock, PollInterval: 5 * time.Minute,
		Health: func() []string { return unhealthy(s) }}
	if o.rootKey {
		rid, rsecret, ok := s.KeyCredentials(rootConsoleRef)
		if !ok {
			t.Fatal("no root console key")
		}
		rootCfg := clientsFor(t, url, rid, rsecret).Config
		opts.Root = &rootCfg
	}
	if !o.noReconfigure {
		opts.OnNewUserKey = func(ip, keyID, _ string) {
			for _, w := range s.Scenario().Workloads {
				if w.SourceIP == ip && w.Legitimate {
					if err := s.SetWorkloadCredentials(w.Name, keyID); err != nil {
						t.Errorf("reconfigure %s: %v", w.Name, err)
					}
				}
			}
		}
	}
	x := NewExecutor(cfg, opts)
	x.clients.SweepRate = 1000
	x.lookupRate = 1000
	mode := runbook.ModeTraining
	if o.dryRun {
		mode = runbook.ModeDryRun
	}
	log := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := runbook.CreateJournal(log, string(mode), "", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	en, err := runbook.StartEngine(runbook.Config{Mode: mode, WatchWindow: o.watchWindow}, j)
	if err != nil {
		t.Fatal(err)
	}
	return &containRig{t: t, sim: s, url: url, x: x, en: en, clock: clock, log: log}
}

// unhealthy is training's health signal: legitimate workloads failing.
func unhealthy(s *sim.Sim) []string {
	var out []string
	for _, h := range s.Health() {
		if h.Legitimate && !h.Healthy {
			out = append(out, h.Workload)
		}
	}
	return out
}

// maxPolls bounds the watch readings of one scripted event: a watch that
// never passes would otherwise run the headless engine forever.
const maxPolls = 60

// guarded runs the executor and stops the engine (by cancelling its
// context) after stop says so, or after maxPolls watch readings.
type guarded struct {
	x      runbook.Executor
	polls  int
	stop   func(runbook.Event) bool
	cancel context.CancelFunc
}

func (g *guarded) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	ev := g.x.Run(ctx, e, emit)
	if _, ok := ev.(runbook.WatchObserved); ok {
		g.polls++
	}
	if g.polls >= maxPolls || (g.stop != nil && g.stop(ev)) {
		g.cancel()
	}
	return ev
}

// do runs an event and every effect that follows, failing on a refusal.
func (r *containRig) do(ev runbook.Event) {
	r.t.Helper()
	if err := r.doUntil(ev, nil); err != nil {
		r.t.Fatalf("%s: %v (step %s, last error %+v)", ev.EventName(), err, r.state().Step, r.state().LastError)
	}
}

// doUntil runs an event until the engine is done or stop returns true for
// a result; it returns the engine's error (context.Canceled when stopped).
func (r *containRig) doUntil(ev runbook.Event, stop func(runbook.Event) bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := &guarded{x: r.x, stop: stop, cancel: cancel}
	err := r.en.Run(ctx, g, ev)
	if g.polls >= maxPolls {
		r.t.Fatalf("%s: the watch did not end after %d readings: %+v", ev.EventName(), g.polls, r.state())
	}
	return err
}

func (r *containRig) state() runbook.State { return r.en.Machine().State() }

// investigate runs intake to the proposals, every one decided "apply".
func (r *containRig) investigate() {
	r.t.Helper()
	r.do(runbook.SubmitKey{KeyID: r.sim.LeakedKeyID()})
	now := r.clock.Now()
	// Eight days cover the attacker's first call (6 days back) and every
	// workload's schedule; the 90-day default would only make the test slow.
	r.do(runbook.BeginInvestigation{From: now.Add(-8 * 24 * time.Hour), To: now})
	if st := r.state(); st.Investigation == nil || st.Sweeping {
		r.t.Fatalf("sweep did not finish: %+v", st.LastError)
	}
	r.do(runbook.BeginProposals{})
	for _, p := range r.state().Proposals {
		r.do(runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionApply})
	}
}

func TestE2ETrainingIntakeToClosed(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootKey: true})
	r.investigate()
	if n := len(r.state().Proposals); n != 2 {
		t.Fatalf("want proposals for the billing worker and the backup host, got %d: %+v", n, r.state().Proposals)
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	var userCaller string
	for _, p := range r.state().Proposals {
		if !p.Applied || !p.Moved {
			t.Fatalf("%s (%s): applied %v, moved %v", p.CallerID, p.Kind, p.Applied, p.Moved)
		}
		if p.Kind == runbook.ReplaceIAMUser {
			userCaller = p.CallerID
		}
	}
	keyID, secret, ok := r.x.TakeNewSecret(userCaller)
	if !ok || secret == "" || keyID == "" {
		t.Fatalf("the new user's secret was not held for the screen: %q %v", keyID, ok)
	}
	if _, _, again := r.x.TakeNewSecret(userCaller); again {
		t.Error("the secret could be taken twice")
	}

	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{})
	st := r.state()
	if st.Step != runbook.StepDelete || !st.WatchPassed {
		t.Fatalf("watch did not pass: step %s, uses %d, denied %v, unhealthy %v, error %+v", st.Step, st.KeyUses, st.Denied, st.Unhealthy, st.LastError)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)})
	backdoor := blastResource(t, r.state(), "access-key", "")
	r.do(runbook.CleanUp{Resource: blastResource(t, r.state(), "iam-user", "backup-admin")})
	r.do(runbook.CloseIncident{Note: "drill"})

	st = r.state()
	if st.Step != runbook.StepClosed || len(st.CleanedUp) != 1 || len(st.Checklist) == 0 {
		t.Fatalf("not closed cleanly: step %s, cleaned %v, checklist %d", st.Step, st.CleanedUp, len(st.Checklist))
	}
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Errorf("workloads left broken: %v", bad)
	}
	if status := r.keyStatus(t, "backup-admin", backdoor.ID); status != runbook.KeyGone {
		t.Errorf("the attacker's key reads %s after the clean-up", status)
	}
	if status := r.rootKeyStatus(t, st.KeyID); status != runbook.KeyGone {
		t.Errorf("the leaked root key reads %s after deletion", status)
	}
	log := readLog(t, r.log)
	if strings.Contains(log, secret) {
		t.Error("the new secret access key is in the action log")
	}
	for _, want := range []string{`"operation":"UpdateAccessKey"`, `"operation":"DeleteAccessKey"`, `"operation":"CreateAccessKey"`,
		`"operation":"AssociateIamInstanceProfile"`, `"operation":"DeleteUser"`, `"name":"KeyDeleted"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the action log lacks %s", want)
		}
	}
}

// The backup host never gets its new key: the watch shows the impact, the
// responder rolls back, fixes the host, and goes on to the end with every
// workload healthy.
func TestE2ETrainingRollBackWhenAWorkloadWasNotMoved(t *testing.T) {
	// The backup job runs hourly: a 30-minute window could miss it, so the
	// responder watches for 90 minutes.
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootKey: true, noReconfigure: true, watchWindow: 90 * time.Minute})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	var user runbook.Proposal
	for _, p := range r.state().Proposals {
		if p.Kind == runbook.ReplaceIAMUser {
			user = p
		}
	}
	if user.Moved {
		t.Fatal("the backup host was reported moved though it still holds the leaked key")
	}
	r.do(runbook.ProceedToDeactivate{})
	impact := func(ev runbook.Event) bool {
		w, ok := ev.(runbook.WatchObserved)
		return ok && (w.KeyUses > 0 || len(w.Unhealthy) > 0)
	}
	if err := r.doUntil(runbook.ConfirmDeactivate{}, impact); !errors.Is(err, context.Canceled) {
		t.Fatalf("the watch ended without showing impact: %v, %+v", err, r.state())
	}
	st := r.state()
	if !slices.Contains(st.Unhealthy, "nas-backup") || st.KeyUses == 0 {
		t.Fatalf("impact not shown: unhealthy %v, key uses %d", st.Unhealthy, st.KeyUses)
	}
	r.do(runbook.RequestReactivate{Reason: "nas-backup fails: it still uses the leaked key"})
	if st := r.state(); st.Step != runbook.StepPropose || st.Key.Status != runbook.KeyActive {
		t.Fatalf("not rolled back: %s %s", st.Step, st.Key.Status)
	}
	r.clock.Advance(2 * time.Hour) // the backup job runs hourly
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Fatalf("still broken after the roll-back: %v", bad)
	}

	// The responder puts the new key on the host and tries again.
	keyID, _, ok := r.x.TakeNewSecret(user.CallerID)
	if !ok {
		t.Fatal("no new key to give the host")
	}
	if err := r.sim.SetWorkloadCredentials("nas-backup", keyID); err != nil {
		t.Fatal(err)
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{})
	if st := r.state(); st.Step != runbook.StepDelete {
		t.Fatalf("second watch did not pass: %+v", st)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(r.state().KeyID)})
	r.do(runbook.CloseIncident{Note: "after one roll-back"})
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Errorf("workloads left broken: %v", bad)
	}
	if st := r.state(); st.Step != runbook.StepClosed || st.Rollbacks != 1 {
		t.Errorf("step %s, roll-backs %d", st.Step, st.Rollbacks)
	}
}

// A responder whose policy denies iam:UpdateAccessKey: deactivation ends
// in EffectFailed naming the action, stays retryable, and nothing is
// journaled as done.
func TestE2EMissingPermissionNamesTheAction(t *testing.T) {
	deny := sim.InlinePolicy{Name: "no-key-changes", Document: []byte(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Action":"iam:UpdateAccessKey","Resource":"*"}]}`)}
	r := newContainRig(t, rigOptions{scenario: "attacker-only", mutate: func(sc *sim.Scenario) {
		for i := range sc.Users {
			if sc.Users[i].Name == sc.Responder.User {
				sc.Users[i].InlinePolicies = append(sc.Users[i].InlinePolicies, deny)
			}
		}
	}})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	digest := r.sim.StateDigest()
	for range 2 { // the first try, then a retry
		ev := runbook.Event(runbook.ConfirmDeactivate{})
		if r.state().LastError != nil {
			ev = runbook.Retry{}
		}
		r.do(ev)
		st := r.state()
		if st.Step != runbook.StepDeactivate || st.LastError == nil || st.LastError.Action != "iam:UpdateAccessKey" {
			t.Fatalf("want a failure naming iam:UpdateAccessKey at deactivation, got step %s, %+v", st.Step, st.LastError)
		}
		if len(st.Failed) != 1 {
			t.Fatalf("the failed deactivation is not retryable: %v", st.Failed)
		}
	}
	if r.sim.StateDigest() != digest {
		t.Error("the account changed though the deactivation was denied")
	}
	if status := r.keyStatus(t, r.state().Key.User, r.state().KeyID); status != runbook.KeyActive {
		t.Errorf("the key reads %s", status)
	}
	if log := readLog(t, r.log); strings.Contains(log, `"name":"KeyDeactivated"`) {
		t.Error("the action log claims a deactivation that did not happen")
	}
}

// blastResource finds a resource of the investigation's blast radius; an
// empty id takes the first of the type.
func blastResource(t *testing.T, st runbook.State, typ, id string) runbook.Resource {
	t.Helper()
	for _, res := range st.Investigation.BlastRadius {
		if res.Type == typ && (res.ID == id || id == "") {
			return res
		}
	}
	t.Fatalf("no %s %s in the blast radius: %+v", typ, id, st.Investigation.BlastRadius)
	return runbook.Resource{}
}

// keyStatus reads a user's key as the responder.
func (r *containRig) keyStatus(t *testing.T, user, keyID string) runbook.KeyStatus {
	t.Helper()
	st, err := r.x.userKeyStatus(context.Background(), r.x.cfg, user, keyID)
	if apiCode(err) == "NoSuchEntity" {
		return runbook.KeyGone
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rootKeyStatus reads a root key with root's credentials.
func (r *containRig) rootKeyStatus(t *testing.T, keyID string) runbook.KeyStatus {
	t.Helper()
	st, err := r.x.userKeyStatus(context.Background(), *r.x.opts.Root, "", keyID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
