package awsops

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// ErrNoPlan says Plan cannot tell an effect's calls by reading the account.
var ErrNoPlan = errors.New("no plan for this effect")

// Plan answers the AWS calls an effect would make, as the effect itself
// would make them: its own code runs with dry-run write clients, so what a
// confirmation shows and what is sent come from one place, and every input
// is the real one read from the account (the keys a user holds, the
// policies on a role). The reads are real and come back too, WouldCall
// unset, so the caller can journal them; the writes come back WouldCall.
// Nothing is changed.
//
// Today it plans the clean-up of an attacker's resource, whose calls depend
// on what the account holds; other effects answer ErrNoPlan.
func (x *Executor) Plan(ctx context.Context, e runbook.Effect) ([]runbook.APICall, error) {
	c, ok := e.(runbook.CleanUpResource)
	if !ok {
		return nil, fmt.Errorf("plan %s: %w", e.EffectName(), ErrNoPlan)
	}
	planner := &Executor{opts: x.opts, cfg: x.cfg, clients: x.clients, read: x.read,
		write: newWriteClients(x.cfg, &dryRun{arn: x.arnFor})}
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
	if f, failed := planner.cleanUp(ctx, c).(runbook.EffectFailed); failed {
		return calls, fmt.Errorf("plan the clean-up of %s %s: %s", c.Resource.Type, c.Resource.ID, f.Message)
	}
	return calls, nil
}
