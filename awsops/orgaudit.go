package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/awsops/quota"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The organization audit (issue 20): from the management account (or the
// IAM delegated administrator), list every account, open an
// sts:AssumeRoot session with the audit task policy in each member, and
// read its root user's keys, their last use, MFA and console password.
//
// Rate limits, and why one limiter is enough (the figures and their
// sources are in awsops/quota): sts:AssumeRoot counts against the calling
// (management) account's STS bucket, shared with AssumeRole and the other
// credential calls, so the audit paces its AssumeRoot calls with one
// token-bucket limiter (AssumeRootRate lowers it to leave room for the
// organization's other STS callers). IAM publishes no request rate, and a
// root session's IAM calls count against the member, not the management
// account: the audit's four or five IAM calls per member, one after
// another, stay far under any bucket; the SDK's retryer absorbs a
// Throttling if one comes.

// The root task policies the campaign uses (IAM user guide, "AWS managed
// policies for privileged tasks").
const (
	AuditRootCredentialsTask = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
)

// DefaultAssumeRootRate is the pace of sts:AssumeRoot (awsops/quota says
// where the figure comes from, and that AWS does not document it).
const DefaultAssumeRootRate = quota.AssumeRootPerSecond

// DefaultOrgWorkers is how many member accounts are audited at once:
// enough to keep AssumeRoot at its quota when a member takes half a second
// over the internet, and bounded so memory does not grow with the
// organization.
const DefaultOrgWorkers = 64

// OrganizationsAPI is the part of Organizations the audit reads.
type OrganizationsAPI interface {
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListAccounts(ctx context.Context, params *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// ManagementIAMAPI is what the audit reads of the calling account's IAM:
// whether centralized root access is enabled, and the account summary,
// which says whether its own root user has keys and MFA.
type ManagementIAMAPI interface {
	ListOrganizationsFeatures(ctx context.Context, params *iam.ListOrganizationsFeaturesInput, optFns ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
	GetAccountSummary(ctx context.Context, params *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

// AssumeRootAPI opens root sessions in member accounts and names the
// caller's account.
type AssumeRootAPI interface {
	AssumeRoot(ctx context.Context, params *sts.AssumeRootInput, optFns ...func(*sts.Options)) (*sts.AssumeRootOutput, error)
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// RootCredentialsAPI is what a root session calls in a member account.
type RootCredentialsAPI interface {
	ListAccessKeys(ctx context.Context, params *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, params *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	GetAccountSummary(ctx context.Context, params *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	GetLoginProfile(ctx context.Context, params *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	DeleteAccessKey(ctx context.Context, params *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
}

// FindingsAPI reads Security Hub findings.
type FindingsAPI interface {
	GetFindings(ctx context.Context, params *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

var (
	_ OrganizationsAPI   = (*organizations.Client)(nil)
	_ ManagementIAMAPI   = (*iam.Client)(nil)
	_ AssumeRootAPI      = (*sts.Client)(nil)
	_ RootCredentialsAPI = (*iam.Client)(nil)
	_ FindingsAPI        = (*securityhub.Client)(nil)
)

// OrgAudit audits the root users of an organization's accounts.
type OrgAudit struct {
	Orgs OrganizationsAPI
	// IAM is the calling account's IAM.
	IAM ManagementIAMAPI
	STS AssumeRootAPI
	// RootIAM makes the IAM client of a root session.
	RootIAM func(aws.CredentialsProvider) RootCredentialsAPI
	// Findings, when set, is the fallback where AssumeRoot cannot be used.
	Findings FindingsAPI
	// AssumeRootRate is AssumeRoot calls per second; 0 is DefaultAssumeRootRate.
	AssumeRootRate float64
	// Workers is how many accounts are audited at once; 0 is DefaultOrgWorkers.
	Workers int
}

// NewOrgAudit builds the audit's clients from the management account's
// configuration. A root session's IAM client shares cfg's HTTP client and
// retryer, so auditing 500 accounts opens no more connections than 64.
func NewOrgAudit(cfg aws.Config) *OrgAudit {
	return &OrgAudit{
		Orgs: organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.Region = DefaultRegion }),
		// IAM is global; its endpoint is signed for us-east-1.
		IAM: iam.NewFromConfig(cfg),
		STS: sts.NewFromConfig(cfg),
		RootIAM: func(p aws.CredentialsProvider) RootCredentialsAPI {
			return iam.NewFromConfig(cfg, func(o *iam.Options) { o.Credentials = p })
		},
		Findings: securityhub.NewFromConfig(cfg),
	}
}

// OrgProgress is how far the audit got.
type OrgProgress struct {
	Done, Listed int
	// Listing is true while ListAccounts still has pages.
	Listing bool
}

// OrgAuditResult describes the organization and how its accounts were read.
type OrgAuditResult struct {
	Organization, Management string
	// Features are the features of centralized root access
	// (iam:ListOrganizationsFeatures). RootAccess says whether members were
	// read through AssumeRoot (RootSessions on, or unknown); when not, they
	// come from Security Hub (or stay unknown). Advice says what is off and
	// the calls that enable it, or why the features are unknown.
	Features   RootFeatures
	RootAccess bool
	Advice     string
	// Audited and Resumed count the accounts read now and those taken from
	// the journal.
	Audited, Resumed int
	// Throttled counts AssumeRoot calls STS refused for the rate: other
	// callers share the account's quota, or the network bunched requests.
	Throttled int
	// ServerTime is the Date of DescribeOrganization's answer: the server's
	// clock as the audit began, which the SDK records in the response
	// metadata (aws/middleware.GetServerTime). Zero when it sent none.
	ServerTime time.Time
}

// Run audits every account not in done (accounts an earlier, interrupted
// run journaled), handing each result to emit from one goroutine at a
// time; progress, when set, is called the same way. An error from emit
// stops the audit (the journal could not be written).
func (a *OrgAudit) Run(ctx context.Context, done map[string]runbook.RootAudit, emit func(runbook.RootAudit) error, progress func(OrgProgress)) (OrgAuditResult, error) {
	var res OrgAuditResult
	org, err := a.Orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		if apiCode(err) == "AWSOrganizationsNotInUseException" {
			return res, errors.New("these credentials' account is in no organization: run keyrunbook org with the management account's (or the IAM delegated administrator's) credentials")
		}
		_, text := describe("organizations:DescribeOrganization", err)
		return res, fmt.Errorf("read the organization: %s: %w", text, err)
	}
	res.ServerTime, _ = awsmiddleware.GetServerTime(org.ResultMetadata)
	res.Organization = aws.ToString(org.Organization.Id)
	res.Management = aws.ToString(org.Organization.MasterAccountId)
	res.Features = a.rootFeatures(ctx)
	res.RootAccess, res.Advice = res.Features.ReadsMembers(), res.Features.Advice()

	var fallback map[string]runbook.RootAudit
	var fallbackWhy string
	if !res.RootAccess {
		fallback, fallbackWhy = a.securityHub(ctx, res.Advice)
	}
	lim := &pacer{lim: rate.NewLimiter(rate.Limit(cmp0(a.AssumeRootRate, DefaultAssumeRootRate)), 1)}

	jobs := make(chan runbook.RootAudit)
	results := make(chan runbook.RootAudit)
	var wg sync.WaitGroup
	for range max(1, cmp0(a.Workers, DefaultOrgWorkers)) {
		wg.Go(func() {
			for acct := range jobs {
				switch {
				case acct.Management:
					acct = a.auditManagement(ctx, acct)
				case !res.RootAccess:
					acct = fromFallback(acct, fallback, fallbackWhy)
				default:
					acct = a.auditMember(ctx, lim, acct)
				}
				select {
				case results <- acct:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	listErr := make(chan error, 1)
	prog := OrgProgress{Listing: true}
	go func() {
		defer close(jobs)
		p := organizations.NewListAccountsPaginator(a.Orgs, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				_, text := describe("organizations:ListAccounts", err)
				listErr <- fmt.Errorf("list the organization's accounts: %s: %w", text, err)
				return
			}
			for _, ac := range page.Accounts {
				id := aws.ToString(ac.Id)
				if _, ok := done[id]; ok {
					continue
				}
				acct := runbook.RootAudit{Account: id, Name: aws.ToString(ac.Name), Management: id == res.Management}
				select {
				case jobs <- acct:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var emitErr error
	for r := range results {
		if emitErr != nil || ctx.Err() != nil {
			// Drain so the workers end. An account read while the audit
			// was being interrupted is not journaled: its reads may have
			// been cut short, and resume reads it again.
			continue
		}
		if emitErr = emit(r); emitErr != nil {
			continue
		}
		res.Audited++
		prog.Done = res.Audited
		if progress != nil {
			progress(prog)
		}
	}
	res.Resumed = len(done)
	res.Throttled = int(lim.throttled.Load())
	select {
	case err := <-listErr:
		return res, err
	default:
	}
	if emitErr != nil {
		return res, emitErr
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("the audit was interrupted after %d accounts; run the same command again to resume from the action log: %w", res.Audited, err)
	}
	return res, nil
}

func cmp0[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// auditMember reads one member account's root user through AssumeRoot.
func (a *OrgAudit) auditMember(ctx context.Context, lim *pacer, acct runbook.RootAudit) runbook.RootAudit {
	acct.HasKeys, acct.MFA, acct.LoginProfile = runbook.Unknown, runbook.Unknown, runbook.Unknown
	c, err := assumeRootSession(ctx, a.STS, lim, acct.Account, AuditRootCredentialsTask)
	if err != nil {
		_, text := describe("sts:AssumeRoot", err)
		acct.Why = "unknown, because " + lowerFirst(text)
		return acct
	}
	acct.Source = runbook.SourceAssumeRoot
	return readRoot(ctx, a.RootIAM(c), acct)
}

func yesNo(b bool) runbook.Answer {
	if b {
		return runbook.Yes
	}
	return runbook.No
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
