package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// A root user's key has three honest paths (issue 6):
//  1. root's own credentials (--root-profile, or a responder signed in as
//     root): UpdateAccessKey/DeleteAccessKey without UserName act on root;
//  2. an Organizations member account: sts:AssumeRoot cannot deactivate
//     (no root task policy allows iam:UpdateAccessKey), so the reversible
//     containment is an SCP denying the root principal, and deletion goes
//     through AssumeRoot with IAMDeleteRootUserCredentials;
//  3. neither: the responder does it by hand in the console and retries;
//     keyrunbook then reads the key's status again.

// DeleteRootCredentialsTask is the root task policy that allows deleting a
// member account's root access keys through sts:AssumeRoot.
const DeleteRootCredentialsTask = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"

// assumeRootSeconds is the longest root session AssumeRoot grants (900 s).
const assumeRootSeconds = 900

// RootDenySCP is the service control policy that contains a member
// account's root user reversibly: it denies every action to the root
// principal unless it acts through an sts:AssumeRoot session.
const RootDenySCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyRootUnlessAssumedRoot","Effect":"Deny","Action":"*","Resource":"*",` +
	`"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}`

func (x *Executor) rootSetStatus(ctx context.Context, effect string, t runbook.KeyTarget, status iamtypes.StatusType) runbook.Event {
	done := func(dry bool) runbook.Event {
		if status == iamtypes.StatusTypeInactive {
			return runbook.KeyDeactivated{At: x.now(), DryRun: dry}
		}
		return runbook.KeyReactivated{At: x.now(), DryRun: dry}
	}
	if x.opts.Root == nil && x.memberRootKey(ctx) {
		// No root task policy allows UpdateAccessKey: an SCP (orgscp.go).
		if status == iamtypes.StatusTypeInactive {
			return x.containWithSCP(ctx, effect)
		}
		return x.releaseSCP(ctx, effect)
	}
	cfg, as, fail := x.rootCredentials(ctx, effect)
	if fail != nil {
		return *fail
	}
	actor := as.actor
	if actor != "" || x.opts.DryRun {
		// Dry-run journals the call root would make, whoever runs it; every
		// call is journaled as root's (issue 18).
		rootCtx := asActor(ctx, orRoot(actor, x.account(ctx)), as.via)
		_, err := x.write.iam(cfg).UpdateAccessKey(rootCtx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(t.KeyID), Status: status})
		if err != nil {
			return effectFailed(effect, "iam:UpdateAccessKey", err)
		}
		if x.rehearsing() {
			return done(true)
		}
		got, err := x.userKeyStatus(rootCtx, cfg, "", t.KeyID)
		if err != nil {
			f := effectFailed(effect, "iam:ListAccessKeys", err)
			f.Message = "UpdateAccessKey was sent as root, but reading the key back failed: " + f.Message + " Retry reads it again."
			return f
		}
		if got != runbook.KeyStatus(status) {
			return failed(effect, "UpdateAccessKey was sent as root, but IAM lists root key %s as %s. Retry.", t.KeyID, orGone(got))
		}
		return done(false)
	}
	// Without root's credentials the change is the responder's to make; it
	// may be made already (this is the retry after doing it by hand).
	got, source := x.rootKeyStatus(ctx, t.KeyID)
	if got == runbook.KeyStatus(status) {
		return done(false)
	}
	verb := "make the key inactive (Actions → Deactivate)"
	if status == iamtypes.StatusTypeActive {
		verb = "make the key active again (Actions → Activate)"
	}
	msg := fmt.Sprintf("Key %s belongs to the root user, and keyrunbook holds no root credentials (give them with --root-profile). %s. By hand: %s; %s. Status now: %s.",
		t.KeyID, x.orgAdvice(ctx, status == iamtypes.StatusTypeInactive), consoleSteps(x.account(ctx), t.KeyID, verb), retryReads, statusNow(got, source))
	return runbook.EffectFailed{Effect: effect, Message: msg}
}

func (x *Executor) rootDelete(ctx context.Context, e runbook.DeleteKey) runbook.Event {
	effect, t := e.EffectName(), e.KeyTarget
	cfg, as, fail := x.rootCredentials(ctx, effect)
	if fail != nil {
		return *fail
	}
	actor, via, note := as.actor, "as root", as.via
	if actor == "" && !x.opts.DryRun {
		got, source := x.rootKeyStatus(ctx, t.KeyID)
		switch {
		case got == runbook.KeyGone:
			return runbook.KeyDeleted{At: x.now()}
		case got == runbook.KeyActive && !x.scpContains(ctx):
			return failed(effect, "Root key %s reads %s: someone turned it back on. Deactivate and watch again before deleting.", t.KeyID, statusNow(got, source))
		}
		var access runbook.RootAccess
		if held, ok := x.heldRoot(runbook.RootAssume); ok {
			cfg, access = held.cfg, held.access
		} else {
			if x.opts.OrgAdmin == nil {
				return failed(effect, "Key %s belongs to the root user, and keyrunbook holds no root credentials (--root-profile) nor the Organizations management account's (for sts:AssumeRoot). "+
					"By hand: %s; %s. Status now: %s.", t.KeyID, consoleSteps(x.account(ctx), t.KeyID, "delete the key (Actions → Delete, then type the key ID)"), retryReads, statusNow(got, source))
			}
			var f *runbook.EffectFailed
			if cfg, access, f = x.assumeRootSession(ctx, effect, x.account(ctx)); f != nil {
				return *f
			}
		}
		actor, via, note = access.Actor, "through sts:AssumeRoot", access.Via+", task policy "+access.TaskPolicy
	}
	rootCtx := asActor(ctx, orRoot(actor, x.account(ctx)), note)
	_, err := x.write.iam(cfg).DeleteAccessKey(rootCtx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(t.KeyID)})
	if err != nil && apiCode(err) != "NoSuchEntity" {
		return effectFailed(effect, "iam:DeleteAccessKey", err)
	}
	if x.rehearsing() {
		return runbook.KeyDeleted{At: x.now(), DryRun: true}
	}
	got, err := x.userKeyStatus(rootCtx, cfg, "", t.KeyID)
	if err != nil {
		// The root session may not list keys; our own reads can tell.
		got, _ = x.rootKeyStatus(ctx, t.KeyID)
	}
	if got != runbook.KeyGone {
		return failed(effect, "DeleteAccessKey was sent %s, but root key %s still reads %s. Retry.", via, t.KeyID, got)
	}
	return runbook.KeyDeleted{At: x.now()}
}

// orRoot is actor, or the account's root user when dry-run rehearses a
// call root would make with no root credentials held.
func orRoot(actor, account string) string {
	if actor != "" {
		return actor
	}
	return runbook.RootARN(account)
}

// rootCredentials returns root's configuration and root's ARN (the actor
// of the calls made with it) when keyrunbook holds root's credentials for
// the key's account: the root session the responder obtained in a drill
// (ObtainRootCredentials), the --root-profile's, or the responder's own
// when signed in as root. The actor is "" when it holds none.
//
// A Plan made before the drill's sign-in has no root session yet, but
// knows it will: the sign-in (RootSignIn) opens it before any root change
// runs (the machine refuses one until then). It is answered root's ARN,
// noted runbook.ViaAfterSignIn, and the responder's configuration, which
// the plan's dry write clients never send with: the handler then names
// the calls root will make once signed in.
func (x *Executor) rootCredentials(ctx context.Context, effect string) (aws.Config, actorNote, *runbook.EffectFailed) {
	acct := x.account(ctx)
	if held, ok := x.heldRoot(runbook.RootSignIn); ok {
		return held.cfg, actorNote{actor: held.access.Actor}, nil
	}
	if x.opts.Root == nil {
		who := x.identity(ctx)
		switch {
		case strings.HasSuffix(who.ARN, ":root") && who.Account == acct:
			return x.cfg, actorNote{actor: who.ARN}, nil
		case x.planning && x.opts.RootSignIn != nil && !x.memberRootKey(ctx):
			return x.cfg, actorNote{actor: runbook.RootARN(acct), via: runbook.ViaAfterSignIn}, nil
		}
		return x.cfg, actorNote{}, nil
	}
	cfg := withCallNotes(*x.opts.Root)
	out, err := x.read.sts(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		f := effectFailed(effect, "sts:GetCallerIdentity", err)
		f.Message = "The root credentials given with --root-profile do not work: " + f.Message
		return aws.Config{}, actorNote{}, &f
	}
	arn := aws.ToString(out.Arn)
	if !strings.HasSuffix(arn, ":root") || aws.ToString(out.Account) != acct {
		f := failed(effect, "The credentials given with --root-profile are %s, not the root user of account %s: give that account's root credentials, or leave the option out.", arn, acct)
		return aws.Config{}, actorNote{}, &f
	}
	return cfg, actorNote{actor: arn}, nil
}

// assumeRoot opens a 15-minute root session in the key's (member) account
// from the management account, allowed only to delete root credentials.
func (x *Executor) assumeRoot(ctx context.Context, effect, account string) (aws.Config, time.Time, *runbook.EffectFailed) {
	admin := withCallNotes(*x.opts.OrgAdmin)
	out, err := x.write.rootSession(admin).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(account),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(DeleteRootCredentialsTask)},
		DurationSeconds: aws.Int32(assumeRootSeconds),
	})
	if err != nil {
		f := effectFailed(effect, "sts:AssumeRoot", err)
		if isUnsupported(err) {
			f.Message = "This account does not support sts:AssumeRoot"
		}
		f.Message += fmt.Sprintf(". From the management account: aws sts assume-root --target-principal %s --task-policy-arn arn=%s, "+
			"then with that session: aws iam delete-access-key --access-key-id KEY; or %s; %s.",
			account, DeleteRootCredentialsTask, consoleSteps(account, "", "delete the key"), retryReads)
		return aws.Config{}, time.Time{}, &f
	}
	c := out.Credentials
	cfg := x.cfg.Copy()
	cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	return cfg, aws.ToTime(c.Expiration), nil
}

// statusNow words a status read for a message: "Active (read from …)".
func statusNow(st runbook.KeyStatus, source string) string {
	name := string(st)
	switch st {
	case runbook.KeyUnknown:
		name = "unknown"
	case runbook.KeyGone:
		name = "deleted"
	}
	return name + " (" + source + ")"
}

// rootKeyStatus reads a root key's status without root's credentials: IAM
// reports a deleted key as NoSuchEntity, GetAccountSummary counts root's
// keys, and the credential report carries root's key slots. AWS rebuilds
// that report at most every four hours, so a change made by hand minutes
// ago is read from CloudTrail instead: the console's UpdateAccessKey event
// names the key and the status it set. source says where the answer came
// from.
func (x *Executor) rootKeyStatus(ctx context.Context, keyID string) (runbook.KeyStatus, string) {
	iamr := x.read.iam(x.cfg)
	last, err := iamr.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if apiCode(err) == "NoSuchEntity" {
		return runbook.KeyGone, "IAM no longer knows the key"
	}
	if sum, err := iamr.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err == nil {
		if v, ok := sum.SummaryMap["AccountAccessKeysPresent"]; ok && v == 0 {
			return runbook.KeyGone, "the account summary shows no root access keys"
		}
	}
	if st, at, ok := x.lastStatusChange(ctx, keyID); ok {
		return st, "CloudTrail shows it set " + string(st) + " at " + at.Format(time.RFC3339)
	}
	rep, rerr := fetchCredentialReport(ctx, x.clients.IAM)
	if rerr != nil {
		missing, text := describe("iam:GetCredentialReport", rerr)
		if missing != "" {
			return runbook.KeyUnknown, "your credentials lack " + missing
		}
		return runbook.KeyUnknown, strings.TrimSuffix(text, ".")
	}
	var lastUsed time.Time
	if err == nil && last.AccessKeyLastUsed != nil {
		lastUsed = aws.ToTime(last.AccessKeyLastUsed.LastUsedDate)
	}
	slot, n := rep.rows[reportRootUser].match(lastUsed)
	if slot == nil {
		return runbook.KeyUnknown, fmt.Sprintf("the credential report shows %d root keys and names no key IDs", n)
	}
	return slot.status, "read from the credential report, which AWS rebuilds at most every 4 hours"
}

// lastStatusChange finds the latest successful UpdateAccessKey of the key
// in the last four hours (the credential report's longest age). IAM events
// are recorded in us-east-1.
func (x *Executor) lastStatusChange(ctx context.Context, keyID string) (runbook.KeyStatus, time.Time, bool) {
	now := x.now()
	recs, err := x.lookup(ctx, DefaultRegion, cttypes.LookupAttributeKeyEventName, "UpdateAccessKey", now.Add(-4*time.Hour), now.Add(time.Second))
	if err != nil {
		return runbook.KeyUnknown, time.Time{}, false
	}
	var st runbook.KeyStatus
	var at time.Time
	for _, r := range recs {
		var p struct {
			AccessKeyID string `json:"accessKeyId"`
			Status      string `json:"status"`
		}
		if r.Failed() || json.Unmarshal(r.RequestParameters, &p) != nil || p.AccessKeyID != keyID {
			continue
		}
		if r.EventTime.After(at) {
			st, at = runbook.KeyStatus(p.Status), r.EventTime
		}
	}
	return st, at, !at.IsZero()
}

// orgAdvice explains what an Organizations member account can do instead,
// or "" when the account is no member (or it cannot be told).
func (x *Executor) orgAdvice(ctx context.Context, deactivating bool) string {
	out, err := x.read.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || out.Organization == nil {
		return "The account is not a known Organizations member, so no management account can act for root"
	}
	acct, mgmt := x.account(ctx), aws.ToString(out.Organization.MasterAccountId)
	if mgmt == acct {
		return "The account is its organization's management account: no other account can act for its root user"
	}
	if !deactivating {
		return fmt.Sprintf("Account %s is a member of organization %s: if you contained root with a service control policy, detach it from the management account (%s)", acct, aws.ToString(out.Organization.Id), mgmt)
	}
	return fmt.Sprintf("Account %s is a member of organization %s. sts:AssumeRoot cannot deactivate a root key (no root task policy allows iam:UpdateAccessKey); "+
		"the reversible containment is this service control policy, attached to the account from the management account %s: "+
		"aws organizations create-policy --type SERVICE_CONTROL_POLICY --name keyrunbook-deny-root --description 'leaked root key' --content '%s' "+
		"and aws organizations attach-policy --policy-id ID --target-id %s. keyrunbook cannot see an SCP from the member account, so the step completes only "+
		"once the key itself reads inactive; deletion later works through sts:AssumeRoot (IAMDeleteRootUserCredentials) with --org-admin-profile",
		acct, aws.ToString(out.Organization.Id), mgmt, RootDenySCP, acct)
}

const retryReads = "then press retry: keyrunbook reads the key's status again"

func consoleSteps(account, keyID, action string) string {
	key := "the key"
	if keyID != "" {
		key = "key " + keyID
	}
	return fmt.Sprintf("sign in to the AWS console as the root user of account %s (its email address, password and MFA), "+
		"open the account menu → Security credentials, find %s under Access keys and %s", account, key, action)
}

// isUnsupported reports whether the endpoint does not know the operation or
// the service (the simulated account serves a subset of AWS).
func isUnsupported(err error) bool {
	switch apiCode(err) {
	case "InvalidAction", "UnknownOperationException", "UnknownOperation", "MissingAction",
		"UnsupportedOperation", "NotImplemented", "InvalidQueryParameter":
		return true
	}
	return false
}
