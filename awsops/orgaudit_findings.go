package awsops

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Where AssumeRoot cannot be used, Security Hub's aggregated findings of
// control IAM.4 ("IAM root user access key should not exist") still say,
// per account, whether a root key existed when the control last ran. They
// say nothing of last use, MFA or the console password.

// securityHub reads every account's IAM.4 finding. why prefixes each
// fallback account's explanation; when Security Hub cannot be read, the
// map is nil and why says so.
func (a *OrgAudit) securityHub(ctx context.Context, advice string) (map[string]runbook.RootAudit, string) {
	if a.Findings == nil {
		return nil, "unknown, because " + lowerFirst(advice)
	}
	eq := func(v string) []shtypes.StringFilter {
		return []shtypes.StringFilter{{Value: aws.String(v), Comparison: shtypes.StringFilterComparisonEquals}}
	}
	p := securityhub.NewGetFindingsPaginator(a.Findings, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100),
		Filters: &shtypes.AwsSecurityFindingFilters{ComplianceSecurityControlId: eq("IAM.4"), RecordState: eq("ACTIVE")}})
	out := map[string]runbook.RootAudit{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			_, text := describe("securityhub:GetFindings", err)
			return nil, "unknown, because " + lowerFirst(advice) + " Security Hub could not stand in: " + text
		}
		for _, f := range page.Findings {
			if f.Compliance == nil {
				continue
			}
			acct := aws.ToString(f.AwsAccountId)
			r := runbook.RootAudit{Account: acct, Source: runbook.SourceSecurityHub,
				MFA: runbook.Unknown, LoginProfile: runbook.Unknown, HasKeys: runbook.Unknown}
			switch f.Compliance.Status {
			case shtypes.ComplianceStatusFailed:
				r.HasKeys = runbook.Yes
			case shtypes.ComplianceStatusPassed:
				r.HasKeys = runbook.No
			}
			when := aws.ToString(f.UpdatedAt)
			if t, err := time.Parse(time.RFC3339, when); err == nil {
				when = t.UTC().Format("2006-01-02 15:04 UTC")
			}
			r.Why = "root key presence from Security Hub's IAM.4 finding of " + when +
				"; last use, MFA and console password unknown, because centralized root access is not enabled"
			out[acct] = r
		}
	}
	return out, "unknown, because " + lowerFirst(advice) + " Security Hub has no IAM.4 finding for this account"
}

// fromFallback fills an account from its Security Hub finding.
func fromFallback(acct runbook.RootAudit, findings map[string]runbook.RootAudit, why string) runbook.RootAudit {
	if f, ok := findings[acct.Account]; ok {
		f.Name = acct.Name
		return f
	}
	acct.HasKeys, acct.MFA, acct.LoginProfile, acct.Why = runbook.Unknown, runbook.Unknown, runbook.Unknown, why
	return acct
}
