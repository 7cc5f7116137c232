package awsops

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Every operation here acts on exactly one key, named by its ID and its
// owner. None calls UpdateAccessKey or DeleteAccessKey without UserName
// except for a root key with root's own credentials: IAM applies a call
// without UserName to the caller's own keys, which is never what a
// responder means unless the caller is root.

func (x *Executor) deactivate(ctx context.Context, e runbook.DeactivateKey) runbook.Event {
	if e.Root {
		return x.rootSetStatus(ctx, e.EffectName(), e.KeyTarget, iamtypes.StatusTypeInactive)
	}
	at, dry, fail := x.setUserKeyStatus(ctx, e.EffectName(), e.KeyTarget, iamtypes.StatusTypeInactive)
	if fail != nil {
		return *fail
	}
	return runbook.KeyDeactivated{At: at, DryRun: dry}
}

func (x *Executor) reactivate(ctx context.Context, e runbook.ReactivateKey) runbook.Event {
	if e.Root {
		return x.rootSetStatus(ctx, e.EffectName(), e.KeyTarget, iamtypes.StatusTypeActive)
	}
	at, dry, fail := x.setUserKeyStatus(ctx, e.EffectName(), e.KeyTarget, iamtypes.StatusTypeActive)
	if fail != nil {
		return *fail
	}
	return runbook.KeyReactivated{At: at, DryRun: dry}
}

// setUserKeyStatus sets an IAM user's key to status and reads it back: a
// deactivation counts only once IAM lists the key as inactive.
func (x *Executor) setUserKeyStatus(ctx context.Context, effect string, t runbook.KeyTarget, status iamtypes.StatusType) (at time.Time, dry bool, fail *runbook.EffectFailed) {
	if t.User == "" {
		f := failed(effect, "The owner of key %s is unknown, so keyrunbook will not change it: IAM would apply a call without a user name to your own keys. "+
			"Find the owner (iam:GetAccessKeyLastUsed names it), or set the key %s in the console, then retry.", t.KeyID, status)
		return time.Time{}, false, &f
	}
	_, err := x.write.iam(x.cfg).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String(t.User), AccessKeyId: aws.String(t.KeyID), Status: status})
	if err != nil {
		f := effectFailed(effect, "iam:UpdateAccessKey", err)
		if apiCode(err) == "NoSuchEntity" {
			f.Message = fmt.Sprintf("IAM has no key %s for user %s: it was deleted, or the owner changed. Identify the key again.", t.KeyID, t.User)
		}
		return time.Time{}, false, &f
	}
	if x.rehearsing() {
		return x.now(), true, nil
	}
	got, err := x.userKeyStatus(ctx, x.cfg, t.User, t.KeyID)
	if err != nil {
		f := effectFailed(effect, "iam:ListAccessKeys", err)
		f.Message = fmt.Sprintf("UpdateAccessKey to %s was sent, but reading the key back failed, so it is not confirmed: %s Retry reads it again.", status, f.Message)
		return time.Time{}, false, &f
	}
	if got != runbook.KeyStatus(status) {
		f := failed(effect, "UpdateAccessKey to %s was sent, but IAM lists key %s as %s. Retry, or check the key in the console.", status, t.KeyID, orGone(got))
		return time.Time{}, false, &f
	}
	return x.now(), false, nil
}

// userKeyStatus lists the user's keys (root's when user is empty and cfg is
// root's) and returns the key's status, KeyGone when it is not listed.
func (x *Executor) userKeyStatus(ctx context.Context, cfg aws.Config, user, keyID string) (runbook.KeyStatus, error) {
	in := &iam.ListAccessKeysInput{}
	if user != "" {
		in.UserName = aws.String(user)
	}
	p := iam.NewListAccessKeysPaginator(x.read.iam(cfg), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return runbook.KeyUnknown, err
		}
		for _, k := range page.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) == keyID {
				return runbook.KeyStatus(k.Status), nil
			}
		}
	}
	return runbook.KeyGone, nil
}

func (x *Executor) deleteKey(ctx context.Context, e runbook.DeleteKey) runbook.Event {
	if e.Root {
		return x.rootDelete(ctx, e)
	}
	t := e.KeyTarget
	if t.User == "" {
		return failed(e.EffectName(), "The owner of key %s is unknown, so keyrunbook will not delete it. Identify the key again.", t.KeyID)
	}
	if !x.opts.DryRun {
		// The machine knows the key was deactivated; IAM knows whether it
		// still is. Someone may have turned it back on since.
		got, err := x.userKeyStatus(ctx, x.cfg, t.User, t.KeyID)
		switch {
		case err != nil:
			return effectFailed(e.EffectName(), "iam:ListAccessKeys", err)
		case got == runbook.KeyGone:
			return runbook.KeyDeleted{At: x.now()}
		case got != runbook.KeyInactive:
			f := failed(e.EffectName(), "Key %s reads %s in IAM, not Inactive: someone turned it back on. Deactivate and watch again before deleting.", t.KeyID, got)
			f.Code = runbook.CodeKeyNotInactive
			return f
		}
	}
	_, err := x.write.iam(x.cfg).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{
		UserName: aws.String(t.User), AccessKeyId: aws.String(t.KeyID)})
	if err != nil && apiCode(err) != "NoSuchEntity" {
		return effectFailed(e.EffectName(), "iam:DeleteAccessKey", err)
	}
	if x.rehearsing() {
		return runbook.KeyDeleted{At: x.now(), DryRun: true}
	}
	got, err := x.userKeyStatus(ctx, x.cfg, t.User, t.KeyID)
	if err != nil {
		f := effectFailed(e.EffectName(), "iam:ListAccessKeys", err)
		f.Message = "DeleteAccessKey was sent, but confirming the key is gone failed: " + f.Message + " Retry reads it again."
		return f
	}
	if got != runbook.KeyGone {
		return failed(e.EffectName(), "DeleteAccessKey was sent, but IAM still lists key %s (%s). Retry.", t.KeyID, got)
	}
	return runbook.KeyDeleted{At: x.now()}
}

func (x *Executor) now() time.Time { return x.opts.Clock.Now() }

// rehearsing reports whether the writes are dry (dry-run, or a Plan): a
// dry write changed nothing, so reading it back would only disagree.
func (x *Executor) rehearsing() bool { return x.opts.DryRun || x.planning }

func orGone(s runbook.KeyStatus) string {
	if s == runbook.KeyGone {
		return "deleted"
	}
	return string(s)
}

// readKeyStatus reads the key's status again for the Delete step: with
// root's credentials for a root key when keyrunbook holds them, else as
// deletion itself would find it. A status that cannot be read fails the
// effect, so the step says unknown and why, never a status it did not read.
func (x *Executor) readKeyStatus(ctx context.Context, e runbook.ReadKeyStatus) runbook.Event {
	effect, t := e.EffectName(), e.KeyTarget
	if t.Root {
		if cfg, as, fail := x.rootCredentials(ctx, effect); fail == nil && as.actor != "" {
			got, err := x.userKeyStatus(asActor(ctx, as.actor, as.via), cfg, "", t.KeyID)
			if err != nil {
				return effectFailed(effect, "iam:ListAccessKeys", err)
			}
			return runbook.KeyStatusRead{Status: got, At: x.now()}
		}
		got, source := x.rootKeyStatus(ctx, t.KeyID)
		if got == runbook.KeyUnknown {
			return failed(effect, "The status of root key %s could not be read: %s. Retry reads it again.", t.KeyID, source)
		}
		if got == runbook.KeyActive && x.scpContains(ctx) {
			// A member's root key: Active, but root is denied (orgscp.go).
			return runbook.KeyStatusRead{Status: got, At: x.now(), ContainedBySCP: true,
				Source: source + "; the SCP " + RootDenySCPName(x.account(ctx)) + " denies the root user unless aws:AssumedRoot"}
		}
		return runbook.KeyStatusRead{Status: got, At: x.now(), Source: source}
	}
	if t.User == "" {
		return failed(effect, "The owner of key %s is unknown, so its status cannot be read. Identify the key again.", t.KeyID)
	}
	got, err := x.userKeyStatus(ctx, x.cfg, t.User, t.KeyID)
	if err != nil {
		return effectFailed(effect, "iam:ListAccessKeys", err)
	}
	return runbook.KeyStatusRead{Status: got, At: x.now()}
}
