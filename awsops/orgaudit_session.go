package awsops

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// pacer is the one limiter of AssumeRoot calls, and how often STS
// throttled them anyway.
type pacer struct {
	lim       *rate.Limiter
	throttled atomic.Int64
}

// assumeRootSession opens a root session in a member account with a task
// policy, for the longest time AssumeRoot allows (900 s). Every attempt,
// retries included, waits for the limiter: a retry the SDK sent on its own
// would spend a token of AWS's bucket the limiter had promised to the next
// account, and throttles would cascade.
func assumeRootSession(ctx context.Context, c AssumeRootAPI, lim *pacer, account, task string) (aws.CredentialsProvider, error) {
	in := &sts.AssumeRootInput{
		TargetPrincipal: aws.String(account),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(task)},
		DurationSeconds: aws.Int32(assumeRootSeconds),
	}
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			// Back off past the bucket's refill before asking again.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		if err = lim.lim.Wait(ctx); err != nil {
			return nil, err
		}
		var out *sts.AssumeRootOutput
		out, err = c.AssumeRoot(ctx, in, func(o *sts.Options) { o.RetryMaxAttempts = 1 })
		if err == nil {
			k := out.Credentials
			return credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken)), nil
		}
		if apiCode(err) == "Throttling" {
			lim.throttled.Add(1)
		}
		if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
			return nil, err
		}
	}
	return nil, err
}

// auditManagement reads the management account's root user, which
// AssumeRoot cannot reach, from the account summary when the caller is in
// that account: whether root has a key, and MFA. Key IDs and last use
// need root itself (or the credential report).
func (a *OrgAudit) auditManagement(ctx context.Context, acct runbook.RootAudit) runbook.RootAudit {
	acct.HasKeys, acct.MFA, acct.LoginProfile = runbook.Unknown, runbook.Unknown, runbook.Unknown
	why := "unknown, because sts:AssumeRoot cannot reach the management account's root user"
	me, err := a.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(me.Account) != acct.Account {
		acct.Why = why + " and these credentials are not the management account's: sign in as that root user and check Security credentials"
		return acct
	}
	sum, err := a.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		_, text := describe("iam:GetAccountSummary", err)
		acct.Why = why + ", and " + lowerFirst(text)
		return acct
	}
	acct.Source = "account summary"
	if v, ok := sum.SummaryMap["AccountAccessKeysPresent"]; ok {
		acct.HasKeys = yesNo(v == 1)
	}
	if v, ok := sum.SummaryMap["AccountMFAEnabled"]; ok {
		acct.MFA = yesNo(v == 1)
	}
	acct.Why = "key IDs, last use and console password unknown, because sts:AssumeRoot cannot reach the management account's root user (the account summary says only whether root has a key and MFA)"
	return acct
}
