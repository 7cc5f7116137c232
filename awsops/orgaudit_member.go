package awsops

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// readRoot reads a member's root user through its root session: the keys
// and their last use, MFA (the account summary) and the console password
// (a login profile). The three reads are independent, so they run at once:
// the audit's last account finishes three round trips sooner. A failed
// read leaves its answer unknown and says why.
func readRoot(ctx context.Context, c RootCredentialsAPI, acct runbook.RootAudit) runbook.RootAudit {
	var why [3][]string
	var wg sync.WaitGroup
	wg.Go(func() { acct.HasKeys, acct.Keys, why[0] = readRootKeys(ctx, c) })
	wg.Go(func() {
		sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			_, text := describe("iam:GetAccountSummary", err)
			why[1] = append(why[1], "MFA unknown, because "+lowerFirst(text))
		} else if v, ok := sum.SummaryMap["AccountMFAEnabled"]; ok {
			acct.MFA = yesNo(v == 1)
		}
	})
	wg.Go(func() {
		_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
		switch {
		case err == nil:
			acct.LoginProfile = runbook.Yes
		case apiCode(err) == "NoSuchEntity":
			acct.LoginProfile = runbook.No
		default:
			_, text := describe("iam:GetLoginProfile", err)
			why[2] = append(why[2], "console password unknown, because "+lowerFirst(text))
		}
	})
	wg.Wait()
	acct.Why = strings.Join(append(append(why[0], why[1]...), why[2]...), "; ")
	return acct
}

func readRootKeys(ctx context.Context, c RootCredentialsAPI) (runbook.Answer, []runbook.RootKey, []string) {
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		_, text := describe("iam:ListAccessKeys", err)
		return runbook.Unknown, nil, []string{"keys unknown, because " + lowerFirst(text)}
	}
	var out []runbook.RootKey
	var why []string
	for _, k := range keys.AccessKeyMetadata {
		rk := runbook.RootKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: aws.ToTime(k.CreateDate)}
		last, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
		if err != nil {
			_, text := describe("iam:GetAccessKeyLastUsed", err)
			why = append(why, "last use of "+rk.ID+" unknown, because "+lowerFirst(text))
		} else if lu := last.AccessKeyLastUsed; lu != nil {
			rk.LastUsedKnown = true
			if lu.LastUsedDate != nil {
				rk.LastUsed, rk.Service, rk.Region = aws.ToTime(lu.LastUsedDate), aws.ToString(lu.ServiceName), aws.ToString(lu.Region)
			}
		}
		out = append(out, rk)
	}
	return yesNo(len(out) > 0), out, why
}
