package sim_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const (
	auditTask  = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
	deleteTask = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
	payments   = "410000000101"
)

func (e *env) orgs() *organizations.Client {
	id, secret := e.sim.ResponderCredentials()
	return organizations.New(organizations.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), Retryer: fastRetryer()})
}

// assumeRoot opens a root session in target and returns an IAM client
// signed with it.
func (e *env) assumeRoot(t *testing.T, target, task string, seconds int32) (*iam.Client, error) {
	t.Helper()
	out, err := e.responder("us-east-1").sts.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(target),
		TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(task)}, DurationSeconds: aws.Int32(seconds)})
	if err != nil {
		return nil, err
	}
	c := out.Credentials
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)}), nil
}

func TestOrganizationListsEveryAccountInPages(t *testing.T) {
	e := start(t, "org-iam4")
	p := organizations.NewListAccountsPaginator(e.orgs(), &organizations.ListAccountsInput{})
	var ids []string
	pages := 0
	for p.HasMorePages() {
		out := must[*organizations.ListAccountsOutput](t)(p.NextPage(ctx))
		pages++
		if len(out.Accounts) > 20 {
			t.Fatalf("page of %d accounts; ListAccounts returns at most 20", len(out.Accounts))
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	if len(ids) != 51 || pages != 3 || ids[0] != e.sim.AccountID() || ids[1] != payments {
		t.Fatalf("%d accounts in %d pages, first %v; want the management account and 50 members in 3 pages", len(ids), pages, ids[:2])
	}
	_, err := e.orgs().ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	wantCode(t, err, "InvalidInputException")
	org := must[*organizations.DescribeOrganizationOutput](t)(e.orgs().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}))
	if aws.ToString(org.Organization.MasterAccountId) != e.sim.AccountID() || aws.ToString(org.Organization.Id) != "o-lumenf0ld7x" {
		t.Fatalf("organization %+v", org.Organization)
	}
}

func TestAssumeRootRefusals(t *testing.T) {
	tests := []struct {
		name, target, task string
		seconds            int32
		want               string
	}{
		{"longer than 900 seconds", payments, auditTask, 901, "ValidationError"},
		{"not a task policy", payments, "arn:aws:iam::aws:policy/AdministratorAccess", 900, "ValidationError"},
		{"the management account", "410000000001", auditTask, 900, "AccessDenied"},
		{"not a member", "999999999999", auditTask, 900, "AccessDenied"},
	}
	e := start(t, "org-iam4")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.assumeRoot(t, tt.target, tt.task, tt.seconds)
			wantCode(t, err, tt.want)
		})
	}
}

func TestAuditSessionReadsOnlyWhatItsTaskAllows(t *testing.T) {
	e := start(t, "org-iam4")
	c := must[*iam.Client](t)(e.assumeRoot(t, payments, auditTask, 900))
	keys := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("payments-prod's root has %d keys, want 1", len(keys.AccessKeyMetadata))
	}
	id := keys.AccessKeyMetadata[0].AccessKeyId
	last := must[*iam.GetAccessKeyLastUsedOutput](t)(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: id}))
	if got := aws.ToString(last.AccessKeyLastUsed.ServiceName); got != "s3" || last.AccessKeyLastUsed.LastUsedDate == nil {
		t.Fatalf("last used %q at %v, want s3 20 minutes ago", got, last.AccessKeyLastUsed.LastUsedDate)
	}
	sum := must[*iam.GetAccountSummaryOutput](t)(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["AccountAccessKeysPresent"] != 1 || sum.SummaryMap["AccountMFAEnabled"] != 1 {
		t.Fatalf("summary %v", sum.SummaryMap)
	}
	_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: id})
	wantCode(t, err, "AccessDenied")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: id, Status: "Inactive"})
	wantCode(t, err, "AccessDenied")
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
}

func TestDeleteSessionDeletesTheRootKeyButCannotDeactivateIt(t *testing.T) {
	e := start(t, "org-iam4")
	c := must[*iam.Client](t)(e.assumeRoot(t, "410000000103", deleteTask, 900))
	keys := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	id := keys.AccessKeyMetadata[0].AccessKeyId
	_, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: id, Status: "Inactive"})
	wantCode(t, err, "AccessDenied")
	must[*iam.DeleteAccessKeyOutput](t)(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: id}))
	keys = must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("the key is still listed after DeleteAccessKey")
	}
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: id})
	wantCode(t, err, "NoSuchEntity")
	e.sim.Advance(16 * time.Minute)
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantCode(t, err, "ExpiredToken")
}

// startOrg starts org-iam4 with the two features of centralized root
// access as given.
func startOrg(t *testing.T, credsMgmt, rootSessions bool) *env {
	t.Helper()
	sc := must[*sim.Scenario](t)(sim.LoadScenario("org-iam4"))
	sc.Organization.RootCredentialsManagement, sc.Organization.RootSessions = credsMgmt, rootSessions
	s := must[*sim.Sim](t)(sim.New(sc))
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &env{sim: s, url: url}
}

// Every root session needs RootSessions ("privileged root actions in
// member accounts"); deleting root credentials needs root credentials
// management besides (IAM user guide, "Centralize root access for member
// accounts").
func TestAssumeRootNeedsCentralizedRootAccess(t *testing.T) {
	e := startOrg(t, false, false)
	_, err := e.assumeRoot(t, payments, auditTask, 900)
	wantCode(t, err, "AccessDenied")
	admin := e.responder("us-east-1").iam
	feat := must[*iam.ListOrganizationsFeaturesOutput](t)(admin.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{}))
	if len(feat.EnabledFeatures) != 0 {
		t.Fatalf("features %v, want none", feat.EnabledFeatures)
	}
	must[*iam.EnableOrganizationsRootSessionsOutput](t)(admin.EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{}))
	if _, err := e.assumeRoot(t, payments, auditTask, 900); err != nil {
		t.Fatalf("an audit session with root sessions enabled: %v", err)
	}
	_, err = e.assumeRoot(t, payments, deleteTask, 900)
	wantCode(t, err, "AccessDenied") // root credentials management is still off
	must[*iam.EnableOrganizationsRootCredentialsManagementOutput](t)(admin.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{}))
	if _, err := e.assumeRoot(t, payments, deleteTask, 900); err != nil {
		t.Fatalf("a delete session after enabling both features: %v", err)
	}
}

// What each feature alone allows, task by task.
func TestRootAccessFeaturesGateTheirTasks(t *testing.T) {
	tasks := []string{"IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials", "IAMCreateRootUserPassword",
		"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"}
	tests := []struct {
		name                    string
		credsMgmt, rootSessions bool
		allowed                 []string
	}{
		{"neither", false, false, nil},
		{"credentials management alone", true, false, nil},
		{"root sessions alone", false, true, []string{"IAMAuditRootUserCredentials", "IAMCreateRootUserPassword",
			"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"}},
		{"both", true, true, tasks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startOrg(t, tt.credsMgmt, tt.rootSessions)
			for _, task := range tasks {
				_, err := e.assumeRoot(t, payments, "arn:aws:iam::aws:policy/root-task/"+task, 900)
				want := "AccessDenied"
				if slices.Contains(tt.allowed, task) {
					want = ""
				}
				if got := code(err); got != want {
					t.Errorf("%s: error %q, want %q (%v)", task, got, want, err)
				}
			}
		})
	}
}

func TestAssumeRootIsThrottled(t *testing.T) {
	e := start(t, "org-iam4", sim.WithOrgLimits(1, 0))
	id, secret := e.sim.ResponderCredentials()
	c := e.as(id, secret, "us-east-1", func() aws.Retryer { return aws.NopRetryer{} }).sts
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(payments), TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(auditTask)}}
	var err error
	for i := 0; i < 11 && err == nil; i++ {
		_, err = c.AssumeRoot(ctx, in)
		if err == nil && i == 10 {
			t.Fatal("11 AssumeRoot calls at once passed a bucket of 10 refilled at 1/s")
		}
	}
	wantCode(t, err, "Throttling")
}

func TestSecurityHubFindsIAM4WhereRootKeysAre(t *testing.T) {
	e := start(t, "org-iam4")
	id, secret := e.sim.ResponderCredentials()
	c := securityhub.New(securityhub.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	eq := func(v string) []shtypes.StringFilter {
		return []shtypes.StringFilter{{Value: aws.String(v), Comparison: shtypes.StringFilterComparisonEquals}}
	}
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{MaxResults: aws.Int32(4), Filters: &shtypes.AwsSecurityFindingFilters{
		ComplianceSecurityControlId: eq("IAM.4"), ComplianceStatus: eq("FAILED")}})
	var accounts []string
	for p.HasMorePages() {
		for _, f := range must[*securityhub.GetFindingsOutput](t)(p.NextPage(ctx)).Findings {
			accounts = append(accounts, aws.ToString(f.AwsAccountId))
		}
	}
	want := []string{payments, "410000000102", "410000000103", "410000000104", "410000000105", "410000000106"}
	if len(accounts) != len(want) {
		t.Fatalf("IAM.4 fails in %v, want %v", accounts, want)
	}
	for i := range want {
		if accounts[i] != want[i] {
			t.Fatalf("IAM.4 fails in %v, want %v", accounts, want)
		}
	}
}

func TestOrgScenariosAreListedApart(t *testing.T) {
	for _, info := range sim.Scenarios() {
		if info.Name == "org-iam4" {
			t.Fatal("org-iam4 is listed among the single-incident scenarios train plays")
		}
	}
	if got := sim.OrgScenarios(); len(got) != 1 || got[0].Name != "org-iam4" {
		t.Fatalf("OrgScenarios = %v", got)
	}
}

func TestAWorkloadCannotUseAMemberRootKey(t *testing.T) {
	sc := must[*sim.Scenario](t)(sim.LoadScenario("org-iam4"))
	sc.Workloads = []sim.Workload{{Name: "job", Kind: sim.KindOnPrem, Legitimate: true, Key: "payments-root", SourceIP: "203.0.113.9"}}
	if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), "member account's root key") {
		t.Fatalf("New = %v, want the workload refused", err)
	}
}
