package awsops

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// RootSignInFunc signs in to the console as the key account's root user
// with the MFA device's code and returns the session's credentials. Only
// training has one (the simulated account's sign-in page): a real console
// sign-in is a person's, and live runs take root's credentials from
// --root-profile instead.
type RootSignInFunc func(ctx context.Context, mfaCode string) (aws.CredentialsProvider, error)

// rootSession is the root session the responder obtained (ObtainRootCredentials).
type rootSession struct {
	cfg    aws.Config
	access runbook.RootAccess
}

// actorKey carries, in a call's context, who sends the call when it is not
// the responder: noteCalls and dry-run's notes put it on the APICall.
type actorKey struct{}

type actorNote struct{ actor, via string }

// asActor marks the calls made with ctx as actor's (a root user's ARN),
// opened via via ("" for root's own sign-in or --root-profile).
func asActor(ctx context.Context, actor, via string) context.Context {
	return context.WithValue(ctx, actorKey{}, actorNote{actor, via})
}

// noteActor puts ctx's actor on a call's note.
func noteActor(ctx context.Context, c *runbook.APICall) {
	if a, ok := ctx.Value(actorKey{}).(actorNote); ok {
		c.Actor, c.Via = a.actor, a.via
	}
}

// obtainRoot opens the root session the machine asked for: the root user's
// sign-in with MFA (training's RootSignIn) for a standalone account, or
// sts:AssumeRoot from the management account (OrgAdmin) for a member.
func (x *Executor) obtainRoot(ctx context.Context, e runbook.ObtainRootCredentials) runbook.Event {
	effect := e.EffectName()
	switch e.Method {
	case runbook.RootSignIn:
		if x.opts.RootSignIn == nil {
			return failed(effect, "keyrunbook cannot sign in to the console for you: %s; or give root's credentials with --root-profile.",
				consoleSteps(e.Account, e.KeyID, "make the change there"))
		}
		creds, err := x.opts.RootSignIn(ctx, e.MFACode)
		if err != nil {
			return failed(effect, "The sign-in page refused it: %v. Read the code your MFA device shows now and sign in again.", err)
		}
		cfg := x.cfg.Copy()
		cfg.Credentials = aws.NewCredentialsCache(creds)
		actor := runbook.RootARN(e.Account)
		who, err := x.read.sts(cfg).GetCallerIdentity(asActor(ctx, actor, ""), &sts.GetCallerIdentityInput{})
		if err != nil {
			return effectFailed(effect, "sts:GetCallerIdentity", err)
		}
		if arn := aws.ToString(who.Arn); arn != actor {
			return failed(effect, "The session signed in is %s, not the root user of account %s: sign in with that account's root email address.", arn, e.Account)
		}
		access := runbook.RootAccess{Method: e.Method, Actor: actor, MFA: e.MFACode != "", At: x.now()}
		x.setRoot(cfg, access)
		return runbook.RootCredentialsObtained{Access: access}
	case runbook.RootAssume:
		cfg, access, f := x.assumeRootSession(ctx, effect, e.Account)
		if f != nil {
			return *f
		}
		x.setRoot(cfg, access)
		return runbook.RootCredentialsObtained{Access: access}
	}
	return failed(effect, "keyrunbook knows no way %q to obtain root's credentials: this is a bug, report it.", e.Method)
}

// assumeRootSession opens a member account's root session with
// IAMDeleteRootUserCredentials through sts:AssumeRoot, naming the
// management account's caller that opened it.
func (x *Executor) assumeRootSession(ctx context.Context, effect, account string) (aws.Config, runbook.RootAccess, *runbook.EffectFailed) {
	if x.opts.OrgAdmin == nil {
		f := failed(effect, "sts:AssumeRoot is called from the organization's management account: give its credentials with --org-admin-profile.")
		return aws.Config{}, runbook.RootAccess{}, &f
	}
	via := "the management account"
	if who, err := x.read.sts(withCallNotes(*x.opts.OrgAdmin)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		via = aws.ToString(who.Arn)
	}
	cfg, expires, f := x.assumeRoot(ctx, effect, account)
	if f != nil {
		return aws.Config{}, runbook.RootAccess{}, f
	}
	return cfg, runbook.RootAccess{Method: runbook.RootAssume, Actor: runbook.RootARN(account),
		Via: "sts:AssumeRoot by " + via, TaskPolicy: DeleteRootCredentialsTask, At: x.now(), Expires: expires}, nil
}

func (x *Executor) setRoot(cfg aws.Config, access runbook.RootAccess) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.root = &rootSession{cfg: withCallNotes(cfg), access: access}
}

// heldRoot is the root session obtained by method (for the key's account:
// the machine asked for it with the key's account) that is still valid a
// minute from now (an AssumeRoot session lasts 15 minutes).
func (x *Executor) heldRoot(method runbook.RootMethod) (*rootSession, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.root
	if r == nil || r.access.Method != method {
		return nil, false
	}
	if !r.access.Expires.IsZero() && x.opts.Clock.Now().Add(time.Minute).After(r.access.Expires) {
		return nil, false
	}
	return r, true
}
