package awsops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// QuarantinePolicyPrefix starts the name of the policy AWS attaches to a
// user whose key it found in public (AWSCompromisedKeyQuarantine, V2, V3…).
const QuarantinePolicyPrefix = "AWSCompromisedKeyQuarantine"

// Identify learns who is calling, which account owns the key, who owns it
// (root or an IAM user), its status and last use, the owner's policies and
// whether AWS already quarantined it. A call that fails becomes a finding
// naming what it could not learn; identification goes on without it.
func Identify(ctx context.Context, c *Clients, keyID string) runbook.KeyIdentified {
	id := &identification{c: c, keyID: keyID}
	id.out.Key.KeyID = keyID
	id.caller(ctx)
	id.keyAccount(ctx)
	if k, a := id.out.Key.Account, id.out.Caller.Account; k != "" && a != "" && k != a {
		id.critical("", fmt.Sprintf("The key belongs to account %s, but your credentials are for account %s: "+
			"keyrunbook can investigate but will change nothing. Sign in to account %s to contain the key", k, a, k))
		id.info(fmt.Sprintf("Owner, status and policies were not read: they live in account %s", k))
		return id.out
	}
	id.owner(ctx)
	id.status(ctx)
	id.policies(ctx)
	id.summary(ctx)
	return id.out
}

// identification is one run of Identify: what it learned so far.
type identification struct {
	c      *Clients
	keyID  string
	out    runbook.KeyIdentified
	owned  bool // the owner is known: Key.Root or Key.User holds it
	listed bool // Status and Created come from ListAccessKeys
	report *credentialReport
}

func (id *identification) add(f runbook.Finding) {
	f.Step = runbook.StepIdentify
	id.out.Findings = append(id.out.Findings, f)
}

func (id *identification) failed(action string, err error, consequence string) {
	id.add(callFinding(runbook.StepIdentify, action, err, consequence))
}

func (id *identification) critical(action, msg string) {
	id.add(runbook.Finding{Action: action, Message: msg + ".", Severity: runbook.SeverityCritical})
}

func (id *identification) info(msg string) {
	id.add(runbook.Finding{Message: msg + ".", Severity: runbook.SeverityInfo})
}

func (id *identification) caller(ctx context.Context) {
	out, err := id.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		f := callFinding(runbook.StepIdentify, "sts:GetCallerIdentity", err,
			"keyrunbook cannot tell which account it works in, so it will change nothing")
		f.Severity = runbook.SeverityCritical
		id.add(f)
		return
	}
	id.out.Caller = runbook.Caller{
		Account:     aws.ToString(out.Account),
		ARN:         aws.ToString(out.Arn),
		AccessKeyID: id.c.callerKeyID(ctx),
	}
	if id.out.Caller.AccessKeyID == id.keyID {
		id.critical("", "You are signed in with the leaked key itself: deactivating it cuts keyrunbook off "+
			"and an attacker holding it sees everything you do. Sign in with other credentials")
	}
}

func (id *identification) keyAccount(ctx context.Context) {
	out, err := id.c.STS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(id.keyID)})
	if err != nil {
		id.failed("sts:GetAccessKeyInfo", err, "the key's account is unknown; keyrunbook assumes yours only if IAM finds the key in it")
		return
	}
	id.out.Key.Account = aws.ToString(out.Account)
}

// owner asks IAM who owns the key, then falls back to the caller's own keys
// (ListAccessKeys without UserName lists the caller's: root's for root).
func (id *identification) owner(ctx context.Context) {
	out, err := id.c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id.keyID)})
	switch {
	case err == nil:
		id.setOwner(aws.ToString(out.UserName))
		if lu := out.AccessKeyLastUsed; lu != nil {
			id.out.Key.LastUsed = aws.ToTime(lu.LastUsedDate)
			id.out.Key.LastUsedService = notApplicable(aws.ToString(lu.ServiceName))
			id.out.Key.LastUsedRegion = notApplicable(aws.ToString(lu.Region))
		}
		return
	case apiCode(err) == "NoSuchEntity":
		id.out.Key.Status = runbook.KeyGone
		id.add(runbook.Finding{Severity: runbook.SeverityWarning, Message: fmt.Sprintf(
			"IAM has no key %s in account %s: it was deleted already, or it belongs to another account", id.keyID, orUnknown(id.out.Caller.Account))})
		return
	}
	id.failed("iam:GetAccessKeyLastUsed", err, "the key's last use is unknown and its owner is looked for among your own keys")
	id.ownKeys(ctx)
}

// ownKeys looks for the key among the caller's own keys.
func (id *identification) ownKeys(ctx context.Context) {
	keys, err := id.listKeys(ctx, "")
	if err != nil {
		id.failed("iam:ListAccessKeys", err, "the key's owner is unknown")
		return
	}
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) != id.keyID {
			continue
		}
		if id.callerIsRoot() {
			id.setOwner("")
		} else {
			id.setOwner(aws.ToString(k.UserName))
		}
		id.setListed(k, len(keys))
		return
	}
	id.info("The key is not one of your own keys, and IAM would not say whose it is")
}

// setOwner records the owner IAM named. GetAccessKeyLastUsed names root's
// key's owner as empty, "root", "<root_account>", the account ID or the
// root ARN, depending on the API's mood; all mean root.
func (id *identification) setOwner(user string) {
	k := &id.out.Key
	if k.Account == "" && id.out.Caller.Account != "" {
		k.Account = id.out.Caller.Account
		id.info(fmt.Sprintf("IAM of account %s knows the key, so it is taken to be that account's", k.Account))
	}
	id.owned = true
	if isRootName(user, k.Account) {
		k.Root, k.User, k.UserARN = true, "", rootARN(k.Account)
		return
	}
	k.User = user
}

func isRootName(user, account string) bool {
	switch user {
	case "", "root", "<root_account>":
		return true
	}
	return (account != "" && (user == account || user == rootARN(account))) || strings.HasSuffix(user, ":root")
}

func rootARN(account string) string {
	if account == "" {
		return ""
	}
	return "arn:aws:iam::" + account + ":root"
}

func (id *identification) callerIsRoot() bool { return strings.HasSuffix(id.out.Caller.ARN, ":root") }

// status reads the key's status and creation. Root's keys are listed only
// by root itself; anyone else reads them from the credential report.
func (id *identification) status(ctx context.Context) {
	k := &id.out.Key
	if !id.owned || id.listed || k.Status == runbook.KeyGone {
		return
	}
	if !k.Root || id.callerIsRoot() {
		user := k.User
		keys, err := id.listKeys(ctx, user)
		if err == nil {
			for _, m := range keys {
				if aws.ToString(m.AccessKeyId) == id.keyID {
					id.setListed(m, len(keys))
					return
				}
			}
			id.add(runbook.Finding{Severity: runbook.SeverityWarning, Message: fmt.Sprintf(
				"IAM lists no key %s for %s: it may have been deleted a moment ago", id.keyID, k.Owner())})
			return
		}
		id.failed("iam:ListAccessKeys", err, "status and creation are read from the credential report instead")
	}
	id.fromReport(ctx)
}

func (id *identification) listKeys(ctx context.Context, user string) ([]iamtypes.AccessKeyMetadata, error) {
	in := &iam.ListAccessKeysInput{}
	if user != "" {
		in.UserName = aws.String(user)
	}
	var keys []iamtypes.AccessKeyMetadata
	p := iam.NewListAccessKeysPaginator(id.c.IAM, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		keys = append(keys, page.AccessKeyMetadata...)
	}
	return keys, nil
}

func (id *identification) setListed(m iamtypes.AccessKeyMetadata, keys int) {
	id.listed = true
	id.out.Key.Status = runbook.KeyStatus(m.Status)
	id.out.Key.Created = aws.ToTime(m.CreateDate)
	id.out.Key.OtherKeys = keys - 1
}

// fromReport fills status and creation from the credential report. The
// report names no key IDs, so an owner with two keys is matched by the last
// use IAM reported.
func (id *identification) fromReport(ctx context.Context) {
	k := &id.out.Key
	row, ok := id.reportRow(ctx)
	if !ok {
		return
	}
	if !k.Root && row.arn != "" {
		k.UserARN = row.arn
	}
	slot, n := row.match(k.LastUsed)
	if slot == nil {
		id.add(runbook.Finding{Severity: runbook.SeverityWarning, Message: fmt.Sprintf(
			"The credential report shows %d keys for %s and names no key IDs: the key's status is unknown", n, k.Owner())})
		return
	}
	k.Status, k.Created, k.OtherKeys = slot.status, slot.created, n-1
}

func (id *identification) reportRow(ctx context.Context) (reportRow, bool) {
	if id.report == nil {
		r, err := fetchCredentialReport(ctx, id.c.IAM)
		if err != nil {
			id.failed("iam:GetCredentialReport", err, "the key's status and creation are unknown")
			id.report = &credentialReport{}
			return reportRow{}, false
		}
		id.report = r
	}
	name := id.out.Key.User
	if id.out.Key.Root {
		name = reportRootUser
	}
	row, ok := id.report.rows[name]
	if !ok && id.report.rows != nil {
		id.info(fmt.Sprintf("The credential report has no row for %s", id.out.Key.Owner()))
	}
	return row, ok
}

// policies lists the IAM user's attached and inline policies and groups,
// and looks for AWS's quarantine policy among them.
func (id *identification) policies(ctx context.Context) {
	k := &id.out.Key
	if k.User == "" {
		return
	}
	user := aws.String(k.User)
	attached := iam.NewListAttachedUserPoliciesPaginator(id.c.IAM, &iam.ListAttachedUserPoliciesInput{UserName: user})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			id.failed("iam:ListAttachedUserPolicies", err, "attached policies, AWS's quarantine policy among them, are unknown")
			break
		}
		for _, p := range page.AttachedPolicies {
			k.AttachedPolicies = append(k.AttachedPolicies, aws.ToString(p.PolicyName))
		}
	}
	inline := iam.NewListUserPoliciesPaginator(id.c.IAM, &iam.ListUserPoliciesInput{UserName: user})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			id.failed("iam:ListUserPolicies", err, "inline policies are unknown")
			break
		}
		k.InlinePolicies = append(k.InlinePolicies, page.PolicyNames...)
	}
	groups := iam.NewListGroupsForUserPaginator(id.c.IAM, &iam.ListGroupsForUserInput{UserName: user})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			id.failed("iam:ListGroupsForUser", err, "the user's groups are unknown")
			break
		}
		for _, g := range page.Groups {
			k.Groups = append(k.Groups, aws.ToString(g.GroupName))
		}
	}
	for _, name := range append(append([]string(nil), k.AttachedPolicies...), k.InlinePolicies...) {
		if strings.HasPrefix(name, QuarantinePolicyPrefix) {
			k.QuarantinePolicy = name
			id.critical("", fmt.Sprintf("AWS already found this key in public and attached %s to %s. Leave the policy "+
				"on until the incident is closed. It denies the key iam:UpdateAccessKey, iam:DeleteAccessKey and "+
				"cloudtrail:LookupEvents among others: act with other credentials, not the leaked key", name, k.User))
			break
		}
	}
}

// summary reads root's MFA and whether root has keys (GetAccountSummary).
func (id *identification) summary(ctx context.Context) {
	out, err := id.c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		id.failed("iam:GetAccountSummary", err, "whether root has MFA and access keys is unknown")
		if id.out.Key.Root {
			if row, ok := id.reportRow(ctx); ok && row.mfa != nil {
				id.out.Key.RootMFA = row.mfa
			}
		}
		return
	}
	if v, ok := out.SummaryMap["AccountMFAEnabled"]; ok {
		id.out.Key.RootMFA = aws.Bool(v > 0)
	}
	if v, ok := out.SummaryMap["AccountAccessKeysPresent"]; ok {
		id.out.Key.RootKeysPresent = aws.Bool(v > 0)
	}
}

// notApplicable blanks IAM's "N/A", its word for a key never used.
func notApplicable(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
