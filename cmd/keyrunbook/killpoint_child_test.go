package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The child of the kill-point test (killpoint_test.go): a separate process
// that plays a live incident to the end against the parent's simulated
// account, with the real executor and a real action log, the way the TUI
// drives the engine (pending effects first on resume). The parent SIGKILLs
// it mid-call, then runs it again to resume. It runs only when the parent
// sets KP_URL.

// kpWatch is the child's watch window; its clock is the parent's simulated
// one, so the window passes in no real time.
const kpWatch = 30 * time.Minute

func TestKillPointChild(t *testing.T) {
	base := os.Getenv("KP_URL")
	if base == "" {
		t.Skip("run by TestKillPoints")
	}
	sc, err := sim.LoadScenario(os.Getenv("KP_SCENARIO"))
	if err != nil {
		t.Fatal(err)
	}
	log := os.Getenv("KP_LOG")
	ctx := context.Background()
	load := func(id, secret string) aws.Config {
		cfg, err := awsops.LoadConfig(ctx, awsops.Target{Region: "us-east-1", Endpoint: base, Logger: logging.Nop{},
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg, rootCfg := load(os.Getenv("KP_ID"), os.Getenv("KP_SECRET")), load(os.Getenv("KP_ROOT_ID"), os.Getenv("KP_ROOT_SECRET"))
	clk := remoteClock{base}
	x := awsops.NewExecutor(cfg, awsops.ExecutorOptions{Root: &rootCfg, Clock: clk, WatchWindow: kpWatch,
		SecretDir: filepath.Dir(log), PollInterval: 5 * time.Minute,
		OnNewUserKey: func(ip, keyID, _ string) { remote(t, base, "creds", url.Values{"ip": {ip}, "key": {keyID}}) }})
	x.Clients().SweepRate = trainingSweepRate

	var en *runbook.Engine
	var pending []runbook.Effect
	if os.Getenv("KP_PHASE") == "start" {
		j, err := runbook.CreateJournal(log, string(runbook.ModeLive), "", clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		if en, err = runbook.StartEngine(runbook.Config{Mode: runbook.ModeLive, WatchWindow: kpWatch}, j); err != nil {
			t.Fatal(err)
		}
	} else {
		j, records, err := runbook.OpenJournalRepair(log, clk.Now, func(runbook.TornTail) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		rp, err := runbook.ReplayRecords(records)
		if err != nil {
			t.Fatal(err)
		}
		en, pending = runbook.ResumeEngine(rp.Machine, j), rp.Pending
	}
	kx := &kpExecutor{inner: x, en: en}
	// As the TUI does on resume: each effect left without a result runs
	// again first, which reads the real state back.
	for _, e := range pending {
		if err := en.Run(ctx, kx, kx.Run(ctx, e, kx.emit)); err != nil {
			t.Fatalf("pending %s: %v", e.EffectName(), err)
		}
	}
	kpPlay(t, ctx, en, kx, sc, base, clk)
	fmt.Println("KP: closed")
}

// kpPlay drives the incident from wherever it stands to closed: the model
// response of the scenario drills, chosen from the state, so that a
// resumed run picks up where the killed one stopped.
func kpPlay(t *testing.T, ctx context.Context, en *runbook.Engine, x runbook.Executor, sc *sim.Scenario, base string, clk remoteClock) {
	verified := false
	for range 300 {
		st := en.Machine().State()
		var ev runbook.Event
		switch {
		case st.Step == runbook.StepClosed:
			return
		case len(st.Failed) > 0:
			ev = runbook.Retry{}
		case st.Step == runbook.StepIntake:
			ev = runbook.SubmitKey{KeyID: os.Getenv("KP_KEY")}
		case st.Step == runbook.StepIdentify:
			now := clk.Now()
			ev = runbook.BeginInvestigation{From: now.Add(-demoSweep), To: now}
		case st.Step == runbook.StepInvestigate:
			ev = runbook.BeginProposals{}
		case st.Step == runbook.StepPropose:
			ev = runbook.ApplyProposals{}
			for _, p := range st.Proposals {
				if p.Target == "" {
					// The trainee reads the function off the account.
					c, _ := st.Investigation.Caller(p.CallerID)
					for _, w := range sc.Workloads {
						if w.Legitimate && workloadIP(sc, w) == c.SourceIP {
							p.Target = w.RunsOn
						}
					}
					ev = runbook.EditProposal{Proposal: p}
					break
				}
				if p.Decision == runbook.DecisionUndecided {
					ev = runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionApply}
					break
				}
			}
		case st.Step == runbook.StepReplace:
			ev = runbook.ProceedToDeactivate{}
			if slices.ContainsFunc(st.Proposals, func(p runbook.Proposal) bool { return !p.Moved }) {
				if verified {
					// Scheduled callers show up under their replacement at
					// their next run: wait a day of simulated time.
					remote(t, base, "advance", url.Values{"d": {"24h"}})
				}
				ev, verified = runbook.VerifyMoves{}, true
			}
		case st.Step == runbook.StepDeactivate:
			ev = runbook.ConfirmDeactivate{}
			if st.Investigation != nil && len(st.Investigation.Minted) > 0 && st.Revocation == nil && len(st.RevocationPlan().Targets) > 0 {
				// The sessions the key minted outlive its deactivation.
				ev = runbook.RevokeSessions{}
			}
			for _, want := range drillFor(sc).Planted {
				i := slices.IndexFunc(st.Investigation.BlastRadius, func(r runbook.Resource) bool { return r.Type == want.Type && r.ID == want.ID })
				if i >= 0 && !slices.ContainsFunc(st.CleanedUp, func(r runbook.Resource) bool { return r.Type == want.Type && r.ID == want.ID }) {
					ev = runbook.CleanUp{Resource: st.Investigation.BlastRadius[i]}
					break
				}
			}
		case st.Step == runbook.StepWatch:
			ev = runbook.RestartWatch{}
		case st.Step == runbook.StepDelete:
			ev = runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)}
		case st.Step == runbook.StepHarden && st.Checklist == nil:
			ev = runbook.RecheckHardening{}
		case st.Step == runbook.StepHarden:
			ev = runbook.CloseIncident{Note: "kill-point run"}
		default:
			t.Fatalf("no move at %s", st.Step)
		}
		if err := en.Run(ctx, x, ev); err != nil {
			t.Fatalf("%s at %s: %v", ev.EventName(), st.Step, err)
		}
	}
	t.Fatalf("not closed after 300 moves: %s", en.Machine().State().Step)
}

// kpExecutor is the executor as the TUI runs it: each AWS call journaled
// before it is sent, from the effect's goroutine; the watch restarted for
// the attacker's failed attempts, as the drills' model responder does.
type kpExecutor struct {
	inner runbook.Executor
	en    *runbook.Engine
	polls int
}

func (k *kpExecutor) emit(ev runbook.Event) {
	switch p := ev.(type) {
	case runbook.APICall:
		_ = k.en.NoteCall(k.en.Machine().Step(), p)
	case runbook.SweepProgress:
		_, _ = k.en.Machine().Apply(p)
	}
}

func (k *kpExecutor) Run(ctx context.Context, e runbook.Effect, _ func(runbook.Event)) runbook.Event {
	if _, ok := e.(runbook.PollWatch); ok {
		if k.polls++; k.polls > maxDrillPolls {
			return runbook.EffectFailed{Effect: e.EffectName(), Message: "too many watch readings"}
		}
		if st := k.en.Machine().State(); st.KeyUses > 0 && !st.WatchPassed {
			_, _ = k.en.Submit(runbook.RestartWatch{})
		}
	}
	return k.inner.Run(ctx, e, k.emit)
}

// remoteClock is the parent's simulated clock, read and advanced over HTTP.
type remoteClock struct{ base string }

func (c remoteClock) Now() time.Time {
	resp, err := http.Get(c.base + "/__kp/now")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var s string
	fmt.Fscan(resp.Body, &s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func (c remoteClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		resp, err := http.Get(c.base + "/__kp/advance?d=" + d.String())
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	return ctx.Err()
}

func remote(t *testing.T, base, what string, q url.Values) {
	resp, err := http.Get(base + "/__kp/" + what + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
