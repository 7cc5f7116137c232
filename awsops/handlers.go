package awsops

import (
	"context"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// handler carries out one effect with the executor's clients and clock.
type handler func(x *Executor, ctx context.Context, e runbook.Effect) runbook.Event

// handlers is the one dispatch table: an effect of runbook's registry per
// entry (handlers_test.go checks they agree). The emitter of APICall and
// progress events rides in ctx (emitterOf).
var handlers = map[string]handler{
	"IdentifyKey":         handle((*Executor).identify),
	"SweepCloudTrail":     handle((*Executor).sweep),
	"ProposeReplacements": handle((*Executor).propose),
	"ApplyReplacement":    handle((*Executor).apply),
	"VerifyMove":          handle((*Executor).verifyMove),
	"DeactivateKey":       handle((*Executor).deactivate),
	"PollWatch":           handle((*Executor).pollWatch),
	"ReactivateKey":       handle((*Executor).reactivate),
	"DeleteKey":           handle((*Executor).deleteKey),
	"ReadKeyStatus":       handle((*Executor).readKeyStatus),
	"CheckHardening":      handle((*Executor).checkHardening),
	"CleanUpResource":     handle((*Executor).cleanUp),
	"ScanTrailSource":     handle((*Executor).scanTrailSource),
	"RevokeOlderSessions": handle((*Executor).revokeSessions),
	"ProveProposal":       handle((*Executor).prove),
	// The root-key drill's sign-in, or sts:AssumeRoot (rootsession.go).
	"ObtainRootCredentials": handle((*Executor).obtainRoot),
	// The SCP that contained a member's root key, removed at Harden (orgscp.go).
	"RemoveContainmentSCP": handle((*Executor).removeContainmentSCP),
}

// handle adapts a typed handler to the table.
func handle[E runbook.Effect](fn func(*Executor, context.Context, E) runbook.Event) handler {
	return func(x *Executor, ctx context.Context, e runbook.Effect) runbook.Event {
		typed, ok := e.(E)
		if !ok {
			return failed(e.EffectName(), "%s was asked with %T: this is a bug, report it.", e.EffectName(), e)
		}
		return fn(x, ctx, typed)
	}
}
