package sim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const (
	adminRole   = "arn:aws:iam::402985716630:role/release-admin"
	foreignRole = "arn:aws:iam::777766665555:role/partner-deploy"
)

// startEdited starts a sim of an edited scenario.
func startEdited(t *testing.T, sc *sim.Scenario) *env {
	t.Helper()
	s, err := sim.New(sc, sim.WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &env{sim: s, url: url}
}

func TestMintDurations(t *testing.T) {
	e := start(t, "minted-session")
	leaked := e.keyAs(t, "leaked", "us-east-1")
	now := e.sim.Now()
	tests := []struct {
		name     string
		call     func() (*time.Time, error)
		want     time.Duration
		wantCode string
	}{
		{"session token default 12 hours", func() (*time.Time, error) {
			out, err := leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 12 * time.Hour, ""},
		{"session token up to 36 hours", func() (*time.Time, error) {
			out, err := leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 36 * time.Hour, ""},
		{"session token over 36 hours refused", func() (*time.Time, error) {
			out, err := leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 0, "ValidationError"},
		{"session token under 15 minutes refused", func() (*time.Time, error) {
			out, err := leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 0, "ValidationError"},
		{"assume role default 1 hour", func() (*time.Time, error) {
			out, err := leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("t1")})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, time.Hour, ""},
		{"assume role past the role's maximum refused", func() (*time.Time, error) {
			out, err := leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("t2"), DurationSeconds: aws.Int32(7200)})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 0, "ValidationError"},
		{"assume role with a bad session name refused", func() (*time.Time, error) {
			out, err := leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("a b")})
			return expiry(out, err, func() *time.Time { return out.Credentials.Expiration })
		}, 0, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := tt.call()
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := exp.Sub(now); got != tt.want {
				t.Fatalf("valid for %s, want %s", got, tt.want)
			}
		})
	}
}

func expiry[T any](out *T, err error, get func() *time.Time) (*time.Time, error) {
	if err != nil {
		return nil, err
	}
	return get(), nil
}

func TestMintedSessionLimits(t *testing.T) {
	e := start(t, "minted-session")
	leaked := e.keyAs(t, "leaked", "us-east-1")
	st := must[*sts.GetSessionTokenOutput](t)(leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	session := e.as(aws.ToString(st.Credentials.AccessKeyId), aws.ToString(st.Credentials.SecretAccessKey), "us-east-1")
	ar := must[*sts.AssumeRoleOutput](t)(session.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("from-session")}))
	role := e.as(aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), "us-east-1")
	rootID, rootSecret := e.sim.RootConsoleCredentials()
	root := e.as(rootID, rootSecret, "us-east-1")
	resp := e.responder("us-east-1")
	fed := must[*sts.GetFederationTokenOutput](t)(resp.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("contractor"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}`)}))
	federated := e.as(aws.ToString(fed.Credentials.AccessKeyId), aws.ToString(fed.Credentials.SecretAccessKey), "us-east-1")
	bare := must[*sts.GetFederationTokenOutput](t)(resp.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("nobody")}))
	noPolicy := e.as(aws.ToString(bare.Credentials.AccessKeyId), aws.ToString(bare.Credentials.SecretAccessKey), "us-east-1")

	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"session token calls EC2 as its user", func() error {
			_, err := session.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, ""},
		{"session token calls no IAM API without MFA", func() error {
			_, err := session.iam.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "InvalidClientTokenId"},
		{"session token cannot mint another session token", func() error {
			_, err := session.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}, "AccessDenied"},
		{"role from a session token calls IAM", func() error {
			_, err := role.iam.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, ""},
		{"role chaining limited to 1 hour", func() error {
			_, err := role.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(3601)})
			return err
		}, "ValidationError"},
		{"root cannot assume a role", func() error {
			_, err := root.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("root")})
			return err
		}, "AccessDenied"},
		{"federated user within its session policy", func() error {
			_, err := federated.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, ""},
		{"federated user outside its session policy", func() error {
			_, err := federated.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}, "UnauthorizedOperation"},
		{"federated user without a session policy has no permission", func() error {
			_, err := noPolicy.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, "UnauthorizedOperation"},
		{"federated user calls no IAM API", func() error {
			_, err := federated.iam.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "InvalidClientTokenId"},
		{"federated user cannot assume a role", func() error {
			_, err := federated.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("fed")})
			return err
		}, "AccessDenied"},
		{"GetCallerIdentity needs no permission", func() error {
			_, err := noPolicy.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.wantCode == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
			}
		})
	}
	who := must[*sts.GetCallerIdentityOutput](t)(federated.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::402985716630:federated-user/contractor" {
		t.Errorf("federated ARN = %s", got)
	}
}

func TestAssumeRoleTrustAndOtherAccounts(t *testing.T) {
	sc, err := sim.LoadScenario("minted-session")
	if err != nil {
		t.Fatal(err)
	}
	sc.Roles = append(sc.Roles, sim.Role{Name: "ec2-only", AssumeRolePolicy: json.RawMessage(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	e := startEdited(t, sc)
	leaked := e.keyAs(t, "leaked", "us-east-1")
	_, err = leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::402985716630:role/ec2-only"), RoleSessionName: aws.String("x1")})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource") {
		t.Errorf("trust refusal says %v", err)
	}
	_, err = leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::402985716630:role/missing"), RoleSessionName: aws.String("x2")})
	wantCode(t, err, "AccessDenied")

	out := must[*sts.AssumeRoleOutput](t)(leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(foreignRole), RoleSessionName: aws.String("x3")}))
	if arn := aws.ToString(out.AssumedRoleUser.Arn); arn != "arn:aws:sts::777766665555:assumed-role/partner-deploy/x3" {
		t.Errorf("assumed role ARN %s", arn)
	}
	foreign := e.as(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), "us-east-1")
	who := must[*sts.GetCallerIdentityOutput](t)(foreign.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Account) != "777766665555" {
		t.Errorf("foreign session's account %s", aws.ToString(who.Account))
	}
	info := must[*sts.GetAccessKeyInfoOutput](t)(e.responder("us-east-1").sts.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: out.Credentials.AccessKeyId}))
	if aws.ToString(info.Account) != "777766665555" {
		t.Errorf("GetAccessKeyInfo of the foreign key: %s", aws.ToString(info.Account))
	}
	_, err = foreign.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	wantCode(t, err, "UnauthorizedOperation")
}

func TestMintedKeysInCloudTrail(t *testing.T) {
	e := start(t, "minted-session")
	leakedID, _, _ := e.sim.KeyCredentials("leaked")
	sessionID, _, _ := e.sim.KeyCredentials("stolen-session")
	adminID, _, _ := e.sim.KeyCredentials("stolen-admin")
	ct := e.responder("us-east-1").ct
	minted := map[string]string{} // eventName → minted key ID
	var foreignRoleSeen bool
	for _, rec := range lookup(t, ct, leakedID) {
		if rec.EventSource != "sts.amazonaws.com" || rec.ResponseElements.Credentials.AccessKeyID == "" {
			continue
		}
		minted[rec.EventName+" "+rec.RequestParameters.RoleArn] = rec.ResponseElements.Credentials.AccessKeyID
		foreignRoleSeen = foreignRoleSeen || rec.RequestParameters.RoleArn == foreignRole
		if rec.ResponseElements.Credentials.Expiration == "" {
			t.Errorf("%s records no expiration", rec.EventName)
		}
	}
	if minted["GetSessionToken "] != sessionID || !foreignRoleSeen {
		t.Fatalf("the leaked key's STS events name %v; want GetSessionToken → %s and the foreign role", minted, sessionID)
	}
	tests := []struct {
		key, issuerType, issuerARN string
	}{
		{sessionID, "", ""},
		{adminID, "Role", adminRole},
	}
	for _, tt := range tests {
		recs := lookup(t, ct, tt.key)
		if len(recs) == 0 {
			t.Fatalf("no events signed with %s", tt.key)
		}
		for _, r := range recs {
			id := r.UserIdentity
			if id.AccessKeyID != tt.key || id.SessionContext == nil || id.SessionContext.Attributes.CreationDate == "" ||
				id.SessionContext.SessionIssuer.Type != tt.issuerType || id.SessionContext.SessionIssuer.ARN != tt.issuerARN {
				t.Fatalf("event %s of %s: identity %+v", r.EventName, tt.key, id)
			}
		}
	}
	// The role session was minted by the session token: one more level.
	var byAdmin bool
	for _, r := range lookup(t, ct, sessionID) {
		byAdmin = byAdmin || r.EventName == "AssumeRole" && r.ResponseElements.Credentials.AccessKeyID == adminID
	}
	if !byAdmin {
		t.Error("the session token's AssumeRole does not name the role session's key")
	}
}

type mintRecord struct {
	EventName    string `json:"eventName"`
	EventSource  string `json:"eventSource"`
	UserIdentity struct {
		AccessKeyID    string `json:"accessKeyId"`
		SessionContext *struct {
			SessionIssuer struct {
				Type string `json:"type"`
				ARN  string `json:"arn"`
			} `json:"sessionIssuer"`
			Attributes struct {
				CreationDate string `json:"creationDate"`
			} `json:"attributes"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		RoleArn string `json:"roleArn"`
	} `json:"requestParameters"`
	ResponseElements struct {
		Credentials struct {
			AccessKeyID string `json:"accessKeyId"`
			Expiration  string `json:"expiration"`
		} `json:"credentials"`
	} `json:"responseElements"`
}

// lookup reads every us-east-1 and ap-southeast-2 event signed with key.
func lookup(t *testing.T, ct *cloudtrail.Client, key string) []mintRecord {
	t.Helper()
	var out []mintRecord
	pages := cloudtrail.NewLookupEventsPaginator(ct, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(key)}}})
	for pages.HasMorePages() {
		page := must[*cloudtrail.LookupEventsOutput](t)(pages.NextPage(ctx))
		for _, ev := range page.Events {
			var r mintRecord
			if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	return out
}

func revocationPolicy(at time.Time) *string {
	return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"` +
		at.UTC().Format(time.RFC3339) + `"}}}]}`)
}

func TestRevocationDenyStopsOlderSessions(t *testing.T) {
	e := start(t, "minted-session")
	resp := e.responder("us-east-1")
	session := e.keyAs(t, "stolen-session", "ap-southeast-2")
	admin := e.keyAs(t, "stolen-admin", "us-east-1")
	leaked := e.keyAs(t, "leaked", "us-east-1")
	// Before: the minted keys work.
	must[*ec2.DescribeInstancesOutput](t)(session.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))
	must[*iam.ListUsersOutput](t)(admin.iam.ListUsers(ctx, &iam.ListUsersInput{}))

	at := e.sim.Now()
	must[*iam.PutUserPolicyOutput](t)(resp.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("svc-imagebuild"),
		PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: revocationPolicy(at)}))
	must[*iam.PutRolePolicyOutput](t)(resp.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("release-admin"),
		PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: revocationPolicy(at)}))

	_, err := session.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	wantCode(t, err, "UnauthorizedOperation")
	if !strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("denied without naming the explicit deny: %v", err)
	}
	_, err = admin.iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")

	// The long-term key has no token issue time: the deny does not reach it.
	must[*ec2.DescribeRegionsOutput](t)(leaked.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}))
	// Sessions issued from the deny's time on are not denied.
	fresh := must[*sts.AssumeRoleOutput](t)(leaked.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(adminRole), RoleSessionName: aws.String("after")}))
	after := e.as(aws.ToString(fresh.Credentials.AccessKeyId), aws.ToString(fresh.Credentials.SecretAccessKey), "us-east-1")
	must[*iam.ListUsersOutput](t)(after.iam.ListUsers(ctx, &iam.ListUsersInput{}))

	// The scenario's intruder keeps calling with its session token: its
	// next periodic call is denied, so its health turns.
	e.sim.Advance(30 * time.Minute)
	for _, h := range e.sim.Health() {
		if h.Workload == "intruder-session" && (h.Healthy || !strings.Contains(h.LastError, "explicit deny")) {
			t.Errorf("intruder-session after the revocation: %+v", h)
		}
		if h.Workload == "build-runner" && !h.Healthy {
			t.Errorf("the legitimate runner on the long-term key broke: %+v", h)
		}
	}
}

func TestMintedSessionsExpire(t *testing.T) {
	e := start(t, "minted-session")
	leaked := e.keyAs(t, "leaked", "us-east-1")
	out := must[*sts.GetSessionTokenOutput](t)(leaked.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))
	c := e.as(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), "us-east-1")
	must[*sts.GetCallerIdentityOutput](t)(c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	e.sim.Advance(15 * time.Minute)
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken")
	_, err = c.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	wantCode(t, err, "RequestExpired")
}

func TestSaveKeyAsOnlyForKeyMakingSteps(t *testing.T) {
	sc, err := sim.LoadScenario("minted-session")
	if err != nil {
		t.Fatal(err)
	}
	sc.Workloads[1].Steps[0].SaveKeyAs = "nope"
	if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), "saveKeyAs") {
		t.Fatalf("saveKeyAs on GetCallerIdentity: %v", err)
	}
}
