package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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
	f, err := os.Open(os.Getenv("KP_SCENARIO"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.ParseScenario(f)
	f.Close()
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
		cfg.APIOptions = append(cfg.APIOptions, nameOperation)
		return cfg
	}
	cfg, rootCfg := load(os.Getenv("KP_ID"), os.Getenv("KP_SECRET")), load(os.Getenv("KP_ROOT_ID"), os.Getenv("KP_ROOT_SECRET"))
	clk := remoteClock{base}
	if os.Getenv("KP_ORG_RETIRE") != "" {
		kpOrgRetire(t, ctx, cfg, log, clk)
		fmt.Println("KP: closed")
		return
	}
	opts := awsops.ExecutorOptions{Root: &rootCfg, Clock: clk, WatchWindow: kpWatch,
		SecretDir: filepath.Dir(log), PollInterval: 5 * time.Minute,
		OnNewUserKey: func(ip, keyID, _ string) { remote(t, base, "creds", url.Values{"ip": {ip}, "key": {keyID}}) }}
	if member := os.Getenv("KP_MEMBER"); member != "" {
		// A member's root key, from the management account, as `keyrunbook
		// org` opens its runbook: the member's role for the rest, the SCP and
		// sts:AssumeRoot with the management account's credentials.
		mgmt := cfg
		cfg, _ = memberConfig(mgmt, member, sim.MemberRole, clk.Now)
		opts.Root, opts.OrgAdmin = nil, &mgmt
	}
	x := awsops.NewExecutor(cfg, opts)
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
	verifies, pointed := 0, false
	for range 300 {
		st := en.Machine().State()
		var ev runbook.Event
		switch {
		case st.Step == runbook.StepClosed:
			return
		case len(st.Effects.Failed) > 0:
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
			for _, p := range st.Propose.Proposals {
				if oidc := kpOIDCProposal(st, sc, p); oidc != nil {
					ev = runbook.EditProposal{Proposal: *oidc}
					break
				}
				if p.Target == "" {
					// The trainee reads the function off the account.
					c, _ := st.Investigate.Investigation.Caller(p.CallerID)
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
			for _, p := range st.Propose.Proposals {
				if p.Kind == runbook.ReplaceOIDCRole && p.Applied && !p.Moved && !pointed {
					// The responder points the workflow at its new role.
					pointed = true
					remote(t, base, "role", url.Values{"workload": {os.Getenv("KP_OIDC")}, "role": {p.Name}})
				}
			}
			// Twice at most: a caller that has not moved by then (the
			// second look is a simulated day later) is left to the
			// deactivation's guard, as a responder would decide.
			if slices.ContainsFunc(st.Propose.Proposals, func(p runbook.Proposal) bool { return !p.Moved }) && verifies < 2 {
				if verifies > 0 {
					// Scheduled callers show up under their replacement at
					// their next run: wait a day of simulated time.
					remote(t, base, "advance", url.Values{"d": {"24h"}})
				}
				ev = runbook.VerifyMoves{}
				verifies++
			}
		case st.Step == runbook.StepDeactivate:
			ev = runbook.ConfirmDeactivate{}
			if st.Investigate.Investigation != nil && len(st.Investigate.Investigation.Minted) > 0 && st.Contain.Revocation == nil && len(st.RevocationPlan().Targets) > 0 {
				// The sessions the key minted outlive its deactivation.
				ev = runbook.RevokeSessions{}
			}
			if r, ok := kpToCleanUp(st, sc); ok {
				ev = runbook.CleanUp{Resource: r}
			}
		case (st.Step == runbook.StepWatch || st.Step == runbook.StepDelete) && os.Getenv("KP_ROLLBACK") != "" && st.Contain.Rollbacks == 0:
			ev = runbook.RequestReactivate{Reason: "kill-point run: the watch showed impact"}
		case st.Step == runbook.StepWatch:
			ev = runbook.RestartWatch{}
		case st.Step == runbook.StepDelete && st.NeedsRootSignIn():
			// A member's root key: a root session through sts:AssumeRoot.
			ev = runbook.SignInAsRoot{}
		case st.Step == runbook.StepDelete:
			ev = runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)}
		case st.Step == runbook.StepHarden && st.Harden.Checklist == nil:
			ev = runbook.RecheckHardening{}
		case st.Step == runbook.StepHarden && st.Harden.ContainmentSCPOpen():
			// A member's root key is gone: the SCP that contained it goes too.
			ev = runbook.ReleaseContainmentSCP{}
		case st.Step == runbook.StepHarden:
			ev = runbook.CloseIncident{Note: "kill-point run"}
		default:
			t.Fatalf("no move at %s", st.Step)
		}
		if err := en.Run(ctx, x, ev); err != nil {
			t.Fatalf("%s at %s: %v", ev.EventName(), st.Step, err)
		}
	}
	st := en.Machine().State()
	var props []string
	for _, p := range st.Propose.Proposals {
		props = append(props, fmt.Sprintf("%s %s %s applied=%t moved=%t", p.CallerID, p.Kind, p.Target, p.Applied, p.Moved))
	}
	t.Fatalf("not closed after 300 moves: %s; proposals: %s", st.Step, strings.Join(props, "; "))
}

// kpToCleanUp is the next thing of the attacker's the model responder
// removes before deactivating: what the drill counts as planted, the
// instances the key launched, console passwords it set.
func kpToCleanUp(st runbook.State, sc *sim.Scenario) (runbook.Resource, bool) {
	cleaned := func(r runbook.Resource) bool {
		return slices.ContainsFunc(st.Delete.CleanedUp, func(c runbook.Resource) bool { return c.Type == r.Type && c.ID == r.ID })
	}
	for _, want := range drillFor(sc).Planted {
		i := slices.IndexFunc(st.Investigate.Investigation.BlastRadius, func(r runbook.Resource) bool { return r.Type == want.Type && r.ID == want.ID })
		if i >= 0 && !cleaned(st.Investigate.Investigation.BlastRadius[i]) {
			return st.Investigate.Investigation.BlastRadius[i], true
		}
	}
	for _, r := range st.Investigate.Investigation.BlastRadius {
		if (r.Type == "ec2-instance" && r.Action == "RunInstances" || r.Type == "login-profile") && !cleaned(r) {
			return r, true
		}
	}
	return runbook.Resource{}, false
}

// kpOIDCProposal is the edit that turns the proposal of the workload named
// by KP_OIDC into an OIDC role trusting its repository, as the responder
// does with the kind and target keys; nil when there is none to make.
func kpOIDCProposal(st runbook.State, sc *sim.Scenario, p runbook.Proposal) *runbook.Proposal {
	name := os.Getenv("KP_OIDC")
	if name == "" || p.Applied || st.Investigate.Investigation == nil {
		return nil
	}
	c, _ := st.Investigate.Investigation.Caller(p.CallerID)
	if workloadAt(sc, c.SourceIP) != name {
		return nil
	}
	if p.Kind == runbook.ReplaceOIDCRole && !strings.Contains(p.Target, "<") {
		return nil
	}
	for p.Kind != runbook.ReplaceOIDCRole {
		next, ok := runbook.SwitchKind(p, c)
		if !ok {
			return nil
		}
		p = next
	}
	for _, w := range sc.Workloads {
		if w.Name == name {
			// github.com/ORG/REPO/.github/workflows/FILE
			parts := strings.Split(w.RunsOn, "/")
			p.Target = "repo:" + parts[1] + "/" + parts[2] + ":*"
		}
	}
	return &p
}

// nameOperation tells the parent's proxy which operation each request is.
func nameOperation(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("kpNameOperation",
		func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set(kpOpHeader, awsops.OperationOf(ctx))
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
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
		if st := k.en.Machine().State(); st.Watch.KeyUses > 0 && !st.Watch.Passed {
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
