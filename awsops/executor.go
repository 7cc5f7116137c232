package awsops

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// DefaultPollInterval is how often the watch reads its signals: CloudTrail
// delivers management events to event history within minutes, so polling
// faster than every 30 seconds only spends the LookupEvents quota.
const DefaultPollInterval = 30 * time.Second

// DefaultMoveTimeout is how long VerifyMove waits for a caller to show up
// under its replacement before it answers "not moved yet".
const DefaultMoveTimeout = 15 * time.Minute

// ExecutorOptions configures an Executor. The zero value runs live, on the
// wall clock, with the defaults below.
type ExecutorOptions struct {
	// DryRun sends no mutating call: each is journaled as would-call and
	// answered with a plausible success (see dryrun.go). Reads are real.
	DryRun bool
	// Clock is the time the watch waits on; nil means the wall clock.
	Clock Clock
	// PollInterval is the wait before each watch reading; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// MoveTimeout bounds how long VerifyMove watches CloudTrail for a
	// caller's move; zero means DefaultMoveTimeout.
	MoveTimeout time.Duration
	// WaitForNextRun makes VerifyMove of a scheduled caller wait for its
	// next run (UsageCaller.NextRun) past MoveTimeout: training, where the
	// simulated clock makes that wait short. Live answers after MoveTimeout
	// and says when to verify again.
	WaitForNextRun bool
	// WatchWindow is the incident's watch window. Only dry-run uses it: a
	// dry watch has nothing to watch (nothing was turned off), so its one
	// reading is dated at the window's end.
	WatchWindow time.Duration
	// AlarmPrefix limits the CloudWatch alarms the watch reads to names
	// with this prefix; empty reads every alarm in ALARM.
	AlarmPrefix string
	// Root, when set, holds the root user's credentials for the key's
	// account (--root-profile): the first of the three ways to deactivate a
	// root key (issue 6).
	Root *aws.Config
	// RootSignIn, when set, is the console sign-in of the key account's
	// root user (training): ObtainRootCredentials opens root's session
	// with it, and the root key's changes are made with that session.
	RootSignIn RootSignInFunc
	// OrgAdmin, when set, holds credentials of the Organizations management
	// account or the delegated administrator, which can delete a member
	// account's root key through sts:AssumeRoot.
	OrgAdmin *aws.Config
	// Health reports the names of unhealthy workloads (training: the
	// simulated account's health signal). Nil in live and dry-run.
	Health func() []string
	// OnNewUserKey receives the access key apply created for an off-AWS
	// caller, so training can reconfigure the simulated workload at that
	// source IP. It is the only place a new secret leaves the executor
	// besides TakeNewSecret.
	OnNewUserKey func(callerSourceIP, keyID, secret string)
	// SecretDir, when set, is where a new key's secret is written
	// (WriteSecretFile) the moment CreateAccessKey answers, before anything
	// else; live runs set it to the action log's directory.
	SecretDir string
}

// Executor carries the runbook's effects out against AWS (or the simulated
// account). It implements runbook.Executor: every effect gets exactly one
// result event, every AWS call is emitted as a runbook.APICall before it is
// sent, and a failure is an EffectFailed that names the missing IAM action
// and claims nothing that was not done. Build one with NewExecutor.
type Executor struct {
	opts    ExecutorOptions
	cfg     aws.Config
	clients *Clients
	read    readClients
	write   writeClients

	// The executor holds no incident state: every effect carries what it
	// needs (the caller a replacement is for, the replacements the watch
	// reads, the blast radius the checklist reads again), so a resumed
	// incident's executor needs nothing restored. What it keeps are facts
	// of its own credentials and hand-offs.
	mu sync.Mutex
	// whoami is who the executor's credentials are, learned from the
	// identification or read when first needed.
	whoami runbook.Caller
	// accountRegions are the account's enabled regions, read when an effect
	// names none.
	accountRegions []string
	secrets        map[string]NewSecret // by caller ID, until taken
	// watchCalls is the shape of the last watch reading's noted calls.
	watchCalls string
	// planning makes the executor rehearse: its writes are dry and no
	// write is read back (Plan).
	planning bool
	// root is the root session the responder obtained (rootsession.go).
	root *rootSession
}

// NewSecret is a secret access key apply created, held in memory only until
// the TUI takes it to show once.
type NewSecret struct {
	KeyID  string
	Secret string
	// Path is the file the executor already wrote the secret to (SecretDir);
	// Secret is then empty.
	Path string
	// Orphans are keys of the same user this incident created whose secret
	// was never saved (a crash mid-apply); they were deleted.
	Orphans []string
}

// NewExecutor builds an executor on cfg. Every client it makes, and those
// of the identification and the sweep, note their calls as APICall events.
func NewExecutor(cfg aws.Config, opts ExecutorOptions) *Executor {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MoveTimeout <= 0 {
		opts.MoveTimeout = DefaultMoveTimeout
	}
	if opts.WatchWindow <= 0 {
		opts.WatchWindow = runbook.DefaultWatchWindow
	}
	cfg = withCallNotes(cfg)
	x := &Executor{opts: opts, cfg: cfg, clients: NewClients(cfg),
		secrets: map[string]NewSecret{}}
	x.read = newReadClients(cfg)
	x.write = newWriteClients(cfg, x.dryRun())
	return x
}

// DryRun reports whether the executor sends no mutating call.
func (x *Executor) DryRun() bool { return x.opts.DryRun }

// Clients returns the session's clients (the identification's and the
// sweep's), for callers that read more than the effects do.
func (x *Executor) Clients() *Clients { return x.clients }

// TakeNewSecret returns the secret access key apply created for a caller's
// replacement user, once: the key is forgotten as it is taken, so the TUI
// shows it once and may write it to a file of mode 0600. It never enters an
// event, an APICall, an error or a log.
func (x *Executor) TakeNewSecret(callerID string) (keyID, secret string, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.secrets[callerID]
	if !ok {
		return "", "", false
	}
	if s.Path != "" {
		return "", "", false // on disk already: SecretFile hands it over
	}
	delete(x.secrets, callerID)
	return s.KeyID, s.Secret, true
}

// SecretFile returns, once, the file apply wrote a caller's new secret to
// (ExecutorOptions.SecretDir) and the orphaned keys it replaced.
func (x *Executor) SecretFile(callerID string) (keyID, path string, orphans []string, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.secrets[callerID]
	if !ok || s.Path == "" {
		return "", "", nil, false
	}
	delete(x.secrets, callerID)
	return s.KeyID, s.Path, s.Orphans, true
}

// Run implements runbook.Executor: it finds the effect's handler in the
// one dispatch table (handlers.go).
func (x *Executor) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	ctx = withEmitter(ctx, serialEmit(emit))
	name := "unknown"
	if e != nil {
		name = e.EffectName()
	}
	if h, ok := handlers[name]; ok {
		return h(x, ctx, e)
	}
	return runbook.EffectFailed{Effect: name, Message: fmt.Sprintf("keyrunbook has no way to carry out %s: this is a bug, report it.", name)}
}

func (x *Executor) identify(ctx context.Context, e runbook.IdentifyKey) runbook.Event {
	out := Identify(ctx, x.clients, e.KeyID)
	if out.Caller.Account != "" {
		x.mu.Lock()
		x.whoami = out.Caller
		x.mu.Unlock()
	}
	// A member's root key is changed through sts:AssumeRoot, not root's
	// sign-in: the machine picks the way from OrgMember.
	if out.Key.Root && !out.Key.OrgMember && x.memberRootKey(ctx) {
		out.Key.OrgMember = true
	}
	return out
}

func (x *Executor) sweep(ctx context.Context, e runbook.SweepCloudTrail) runbook.Event {
	return Investigate(ctx, x.clients, e, emitterOf(ctx))
}

func (x *Executor) propose(_ context.Context, e runbook.ProposeReplacements) runbook.Event {
	return runbook.ProposalsReady{Proposals: Propose(runbook.Investigation{Callers: e.Callers}, e.Account)}
}

// dryRun returns the dry-run journal of mutations, or nil when live.
func (x *Executor) dryRun() *dryRun {
	if !x.opts.DryRun {
		return nil
	}
	return &dryRun{arn: x.arnFor}
}

// account is the account the executor acts in: its credentials', once
// identification read them, else read now.
func (x *Executor) account(ctx context.Context) string {
	return x.identity(ctx).Account
}

// identity is who the executor's credentials are: learned from the
// identification, else read now (a resumed incident identifies nothing).
// The key's account is this one whenever anything changes: the machine
// refuses every change while the two differ.
func (x *Executor) identity(ctx context.Context) runbook.Caller {
	x.mu.Lock()
	who := x.whoami
	x.mu.Unlock()
	if who.Account != "" {
		return who
	}
	out, err := x.clients.STS.GetCallerIdentity(ctx, nil)
	if err != nil {
		return who
	}
	x.mu.Lock()
	x.whoami.Account, x.whoami.ARN = aws.ToString(out.Account), aws.ToString(out.Arn)
	who = x.whoami
	x.mu.Unlock()
	return who
}

// arnFor builds the ARN of an IAM entity of the caller's account, for the
// plausible outputs of dry-run ("role/NAME").
func (x *Executor) arnFor(ctx context.Context, resource string) string {
	partition := "aws"
	who := x.identity(ctx)
	if parts := strings.SplitN(who.ARN, ":", 3); len(parts) == 3 {
		partition = parts[1]
	}
	return "arn:" + partition + ":iam::" + who.Account + ":" + resource
}

// homeRegion is where global services are called and regional reads
// without a better region go.
func (x *Executor) homeRegion() string { return x.clients.HomeRegion() }

// failed is an EffectFailed that is no AWS error: a sentence saying what to
// do next.
func failed(effect, format string, args ...any) runbook.EffectFailed {
	return runbook.EffectFailed{Effect: effect, Message: fmt.Sprintf(format, args...)}
}

// serialEmit makes emit safe to call from the goroutines of one effect:
// the engine's emit appends to the journal and is not.
func serialEmit(emit func(runbook.Event)) func(runbook.Event) {
	if emit == nil {
		return func(runbook.Event) {}
	}
	var mu sync.Mutex
	return func(ev runbook.Event) {
		mu.Lock()
		defer mu.Unlock()
		emit(ev)
	}
}
