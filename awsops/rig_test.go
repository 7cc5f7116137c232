package awsops

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

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
	// repeatReads counts the requests of watch readings that repeated the
	// one before: their calls are not noted (watch.go), by design.
	repeatReads int
}

type rigOptions struct {
	scenario string
	mutate   func(*sim.Scenario)
	// rootConsole: the responder can sign in as root (the drill's sign-in
	// with MFA, signInAsRoot), and opts.Root holds a root console session
	// (--root-profile) for the tests of the executor alone.
	rootConsole   bool
	dryRun        bool
	noReconfigure bool          // do not switch an on-prem workload to its new key
	watchWindow   time.Duration // zero: the default 30 minutes
	secretDir     string        // ExecutorOptions.SecretDir
}

func newContainRig(t *testing.T, o rigOptions) *containRig {
	t.Helper()
	sc, err := sim.LoadScenario(o.scenario)
	if err != nil {
		t.Fatal(err)
	}
	if o.mutate != nil {
		o.mutate(sc)
	}
	s, url := startScenario(t, sc)
	id, secret := s.ResponderCredentials()
	cfg := clientsFor(t, url, id, secret).Config
	clock := NewSimClock(s.Now, s.Advance, 0)
	opts := ExecutorOptions{DryRun: o.dryRun, Clock: clock, PollInterval: 5 * time.Minute,
		Health: func() []string { return unhealthy(s) }, SecretDir: o.secretDir}
	if o.rootConsole {
		rid, rsecret := s.RootConsoleCredentials()
		rootCfg := clientsFor(t, url, rid, rsecret).Config
		opts.Root = &rootCfg
		opts.RootSignIn = func(_ context.Context, code string) (aws.CredentialsProvider, error) {
			id, secret, err := s.RootSignIn(s.RootEmail(), code)
			return credentials.NewStaticCredentialsProvider(id, secret, ""), err
		}
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
	rig    *containRig
	polls  int
	stop   func(runbook.Event) bool
	cancel context.CancelFunc
}

func (g *guarded) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	before := 0
	if g.rig != nil {
		before = len(g.rig.sim.Requests())
	}
	noted := 0
	ev := g.x.Run(ctx, e, func(p runbook.Event) {
		if _, ok := p.(runbook.APICall); ok {
			noted++
		}
		emit(p)
	})
	if _, ok := ev.(runbook.WatchObserved); ok {
		g.polls++
		if g.rig != nil && noted == 0 {
			g.rig.repeatReads += len(g.rig.sim.Requests()) - before
		}
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
		r.t.Fatalf("%s: %v (step %s, last error %+v)", ev.EventName(), err, r.state().Step, r.state().Effects.LastError)
	}
}

// doUntil runs an event until the engine is done or stop returns true for
// a result; it returns the engine's error (context.Canceled when stopped).
func (r *containRig) doUntil(ev runbook.Event, stop func(runbook.Event) bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := &guarded{x: r.x, rig: r, stop: stop, cancel: cancel}
	err := r.en.Run(ctx, g, ev)
	if g.polls >= maxPolls {
		r.t.Fatalf("%s: the watch did not end after %d readings: %+v", ev.EventName(), g.polls, r.state())
	}
	return err
}

// sweep runs the CloudTrail sweep of the last eight days in the regions
// given, outside the engine: for tests that need the investigation only.
func (r *containRig) sweep(regions ...string) *runbook.Investigation {
	r.t.Helper()
	now := r.clock.Now()
	ev, _ := runEffect(r.t, r.x, runbook.SweepCloudTrail{KeyID: r.sim.LeakedKeyID(), From: now.Add(-8 * 24 * time.Hour), To: now, Regions: regions})
	done, ok := ev.(runbook.SweepFinished)
	if !ok {
		r.t.Fatalf("sweep: %+v", ev)
	}
	return &done.Investigation
}

func (r *containRig) state() runbook.State { return r.en.Machine().State() }

// signInAsRoot signs in as root with the code the root user's MFA device
// shows now, as the drill asks before a root key's first change.
func (r *containRig) signInAsRoot() {
	r.t.Helper()
	r.do(runbook.SignInAsRoot{MFACode: r.sim.RootMFACode()})
	if r.state().Contain.RootAccess == nil {
		r.t.Fatalf("the root sign-in did not give a session: %+v", r.state().Effects.LastError)
	}
}

// investigate runs intake to the proposals, every one decided "apply".
func (r *containRig) investigate() {
	r.t.Helper()
	r.do(runbook.SubmitKey{KeyID: r.sim.LeakedKeyID()})
	now := r.clock.Now()
	// Eight days cover the attacker's first call (6 days back) and every
	// workload's schedule; the 90-day default would only make the test slow.
	r.do(runbook.BeginInvestigation{From: now.Add(-8 * 24 * time.Hour), To: now})
	if st := r.state(); st.Investigate.Investigation == nil || st.Investigate.Sweeping {
		r.t.Fatalf("sweep did not finish: %+v", st.Effects.LastError)
	}
	r.do(runbook.BeginProposals{})
	for _, p := range r.state().Propose.Proposals {
		r.do(runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionApply})
	}
}

// blastResource finds a resource of the investigation's blast radius; an
// empty id takes the first of the type.
func blastResource(t *testing.T, st runbook.State, typ, id string) runbook.Resource {
	t.Helper()
	return blastIn(t, st.Investigate.Investigation, typ, id)
}

func blastIn(t *testing.T, inv *runbook.Investigation, typ, id string) runbook.Resource {
	t.Helper()
	for _, res := range inv.BlastRadius {
		if res.Type == typ && (res.ID == id || id == "") {
			return res
		}
	}
	t.Fatalf("no %s %s in the blast radius: %+v", typ, id, inv.BlastRadius)
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

// countCalls counts the calls journaled as made (not would-calls, not notes
// of a signal that could not be read).
func countCalls(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(readLog(t, path)), "\n") {
		var rec runbook.Record
		var call runbook.APICall
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Name == "APICall" && json.Unmarshal(rec.Data, &call) == nil && !call.WouldCall && call.Error == "" {
			n++
		}
	}
	return n
}
