package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Retiring root keys that no caller used in the trail's window: no
// replacement is needed, so each is deleted through an AssumeRoot session
// with the IAMDeleteRootUserCredentials task policy. Deletion is the only
// way: no root task policy allows iam:UpdateAccessKey, so a member's root
// key cannot be deactivated first (the reversible step for a key in use is
// an SCP, see RootDenySCP).

// RetireJournal writes one record of a deletion: the intent before the
// call (Outcome empty), the result after it. An error stops the campaign
// before the next deletion.
type RetireJournal func(typ runbook.RecordType, r runbook.RootKeyRetirement) error

// RetireRootKeys deletes each key, one AssumeRoot session per account,
// paced like the audit. With dryRun the session is opened and the key read
// (reads are real), and the result says "would delete". It returns every
// key's outcome.
//
// It first reads the features of centralized root access again (the audit
// that listed the keys may be minutes old): when one that deletion needs is
// off, every session would be refused, so it journals and sends nothing and
// returns the refusal, with the calls that enable it. Callers say so before
// their review (OrgAuditResult.Features.DeleteRefusal); this is the last
// guard.
func (a *OrgAudit) RetireRootKeys(ctx context.Context, keys []runbook.RootKeyRetirement, dryRun bool, journal RetireJournal) ([]runbook.RootKeyRetirement, error) {
	if refusal := a.rootFeatures(ctx).DeleteRefusal(); refusal != "" {
		return nil, errors.New(refusal)
	}
	lim := &pacer{lim: rate.NewLimiter(rate.Limit(cmp0(a.AssumeRootRate, DefaultAssumeRootRate)), 1)}
	byAccount := map[string][]runbook.RootKeyRetirement{}
	var order []string
	for _, k := range keys {
		if _, seen := byAccount[k.Account]; !seen {
			order = append(order, k.Account)
		}
		byAccount[k.Account] = append(byAccount[k.Account], k)
	}
	var out []runbook.RootKeyRetirement
	for _, acct := range order {
		for _, k := range byAccount[acct] {
			k.Outcome = ""
			if err := journal(runbook.RecordIntent, k); err != nil {
				return out, err
			}
		}
		results := a.retireAccount(ctx, lim, acct, byAccount[acct], dryRun)
		for _, r := range results {
			if err := journal(runbook.RecordResult, r); err != nil {
				return append(out, results...), err
			}
		}
		out = append(out, results...)
	}
	return out, nil
}

func (a *OrgAudit) retireAccount(ctx context.Context, lim *pacer, acct string, keys []runbook.RootKeyRetirement, dryRun bool) []runbook.RootKeyRetirement {
	fail := func(text string) []runbook.RootKeyRetirement {
		out := slices.Clone(keys)
		for i := range out {
			out[i].Outcome = "failed: " + text
		}
		return out
	}
	creds, err := assumeRootSession(ctx, a.STS, lim, acct, DeleteRootCredentialsTask)
	if err != nil {
		_, text := describe("sts:AssumeRoot", err)
		return fail(text)
	}
	c := a.RootIAM(creds)
	listed := func() (map[string]bool, error) {
		l, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
		if err != nil {
			return nil, err
		}
		ids := map[string]bool{}
		for _, k := range l.AccessKeyMetadata {
			ids[aws.ToString(k.AccessKeyId)] = true
		}
		return ids, nil
	}
	before, err := listed()
	if err != nil {
		_, text := describe("iam:ListAccessKeys", err)
		return fail(text)
	}
	out := slices.Clone(keys)
	for i, k := range out {
		switch {
		case !before[k.KeyID]:
			out[i].Outcome = "deleted" // gone already: a retry after a crash
		case dryRun:
			out[i].Outcome = "would delete"
		default:
			if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(k.KeyID)}); err != nil && apiCode(err) != "NoSuchEntity" {
				_, text := describe("iam:DeleteAccessKey", err)
				out[i].Outcome = "failed: " + text
			}
		}
	}
	if dryRun {
		return out
	}
	after, err := listed()
	for i, k := range out {
		switch {
		case out[i].Outcome != "":
		case err != nil:
			_, text := describe("iam:ListAccessKeys", err)
			out[i].Outcome = "failed: DeleteAccessKey was sent, but reading the keys back failed: " + text
		case after[k.KeyID]:
			out[i].Outcome = fmt.Sprintf("failed: DeleteAccessKey was sent, but %s is still listed", k.KeyID)
		default:
			out[i].Outcome = "deleted"
		}
	}
	return out
}
