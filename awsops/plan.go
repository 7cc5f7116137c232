package awsops

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// ErrNoPlan says an effect changes nothing, so it has no calls to confirm.
var ErrNoPlan = errors.New("no plan for this effect")

// Plan answers the AWS calls an effect would make, as the effect itself
// would make them: its own handler runs with dry write clients, so what a
// confirmation shows and what is sent come from one place, and every input
// is the real one read from the account (the keys a user holds, the
// association an instance has, whether a role exists already). The reads
// are real and come back too, WouldCall unset, so the caller can journal
// them; the writes come back WouldCall, including the sts:AssumeRoot a
// root key's deletion opens its session with. Nothing is changed.
//
// A root key's change planned before root's session exists (the drill's
// sign-in not made yet, a member's sts:AssumeRoot not opened) names the
// calls root will make once it does: each is noted with root as its actor,
// Via runbook.ViaAfterSignIn for the sign-in, or after the AssumeRoot it
// opens the session with.
//
// Effects that change nothing answer ErrNoPlan. An effect that would fail
// (a root key keyrunbook holds no credentials for) answers the calls read
// so far and its failure's message as the error.
func (x *Executor) Plan(ctx context.Context, e runbook.Effect) ([]runbook.APICall, error) {
	if !e.Mutates() {
		return nil, fmt.Errorf("plan %s: %w", e.EffectName(), ErrNoPlan)
	}
	h, ok := handlers[e.EffectName()]
	if !ok {
		return nil, fmt.Errorf("plan %s: %w", e.EffectName(), ErrNoPlan)
	}
	x.mu.Lock()
	root := x.root
	x.mu.Unlock()
	// The root session the responder obtained plans root's calls as they
	// are sent; before it exists, rootCredentials plans them as root's
	// after the sign-in.
	planner := &Executor{opts: x.opts, cfg: x.cfg, clients: x.clients, read: x.read,
		write:  newWriteClients(x.cfg, &dryRun{arn: x.arnFor}),
		whoami: x.identity(ctx), secrets: map[string]NewSecret{}, planning: true, root: root}
	// A plan is no incident's: nothing it learns reaches the training
	// account or the screen's secrets.
	planner.opts.OnNewUserKey = nil
	var (
		mu    sync.Mutex
		calls []runbook.APICall
	)
	ctx = withEmitter(ctx, func(ev runbook.Event) {
		if call, ok := ev.(runbook.APICall); ok {
			mu.Lock()
			calls = append(calls, call)
			mu.Unlock()
		}
	})
	if f, failed := h(planner, ctx, e).(runbook.EffectFailed); failed {
		return calls, fmt.Errorf("plan %s: %s", e.EffectName(), f.Message)
	}
	return calls, nil
}
