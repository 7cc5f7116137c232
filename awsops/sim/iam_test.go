package sim_test

import (
	"encoding/base64"
	"encoding/csv"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

var (
	reAKIA   = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	reSecret = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
)

func TestAccountSummary(t *testing.T) {
	tests := []struct {
		scenario             string
		rootKeys, mfa, users int32
	}{
		{"root-key-ec2-onprem", 1, 1, 3}, // backup-admin was created by the intruder; root signs in with MFA (the drill)
		{"iam-user-lambda-ci", 0, 1, 3},
		{"attacker-only", 0, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e := start(t, tt.scenario)
			out := must[*iam.GetAccountSummaryOutput](t)(e.responder("us-east-1").iam.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
			m := out.SummaryMap
			if m["AccountAccessKeysPresent"] != tt.rootKeys || m["AccountMFAEnabled"] != tt.mfa ||
				m["Users"] != tt.users || m["AccessKeysPerUserQuota"] != 2 {
				t.Errorf("summary = %v", m)
			}
		})
	}
}

func TestListUsersPaginates(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("us-east-1")
	var names []string
	pages := 0
	p := iam.NewListUsersPaginator(c.iam, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out := must[*iam.ListUsersOutput](t)(p.NextPage(ctx))
		pages++
		for _, u := range out.Users {
			names = append(names, *u.UserName)
			if !strings.HasPrefix(*u.Arn, "arn:aws:iam::418295730164:user/") || !strings.HasPrefix(*u.UserId, "AIDA") || u.CreateDate == nil {
				t.Errorf("user %+v", u)
			}
		}
	}
	want := []string{"backup-admin", "grafana-cloudwatch", "ir-responder"}
	if !slices.Equal(names, want) || pages != 3 {
		t.Errorf("users = %v in %d pages, want %v in 3", names, pages, want)
	}
	_, err := c.iam.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker!")})
	wantCode(t, err, "ValidationError")
}

func TestGetUser(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	tests := []struct {
		name, as, user, wantArn, wantCode string
	}{
		{"named", "responder", "grafana-cloudwatch", "arn:aws:iam::418295730164:user/grafana-cloudwatch", ""},
		{"self", "responder", "", "arn:aws:iam::418295730164:user/ir-responder", ""},
		{"root acts as itself", "leaked", "", "arn:aws:iam::418295730164:root", ""},
		{"missing", "responder", "nobody", "", "NoSuchEntity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &iam.GetUserInput{}
			if tt.user != "" {
				in.UserName = aws.String(tt.user)
			}
			out, err := e.keyAs(t, tt.as, "us-east-1").iam.GetUser(ctx, in)
			wantCode(t, err, tt.wantCode)
			if err == nil && *out.User.Arn != tt.wantArn {
				t.Errorf("arn = %s, want %s", *out.User.Arn, tt.wantArn)
			}
		})
	}
}

func TestAccessKeyLifecycle(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	user := aws.String("grafana-cloudwatch")

	created := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user}))
	k := created.AccessKey
	if !reAKIA.MatchString(*k.AccessKeyId) || !reSecret.MatchString(*k.SecretAccessKey) || k.Status != types.StatusTypeActive {
		t.Fatalf("created key %s status %s", *k.AccessKeyId, k.Status)
	}
	// The new key works at once; a third key breaks the quota.
	fresh := e.as(*k.AccessKeyId, *k.SecretAccessKey, "us-east-1")
	must[*iam.ListUsersOutput](t)(fresh.iam.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})
	wantCode(t, err, "LimitExceeded")

	listed := must[*iam.ListAccessKeysOutput](t)(admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user}))
	if len(listed.AccessKeyMetadata) != 2 || *listed.AccessKeyMetadata[1].AccessKeyId != *k.AccessKeyId {
		t.Fatalf("listed %+v", listed.AccessKeyMetadata)
	}

	must[*iam.UpdateAccessKeyOutput](t)(admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))
	_, err = fresh.iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = fresh.sts.GetCallerIdentity(ctx, nil)
	wantCode(t, err, "InvalidClientTokenId")

	// Another user's key is "not found" under this user, as on AWS.
	_, err = admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ir-responder"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeActive})
	wantCode(t, err, "NoSuchEntity")
	_, err = admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: k.AccessKeyId, Status: "Paused"})
	wantCode(t, err, "ValidationError")

	must[*iam.DeleteAccessKeyOutput](t)(admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: k.AccessKeyId}))
	_, err = fresh.iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: k.AccessKeyId})
	wantCode(t, err, "NoSuchEntity")
}

func TestRootActsOnOwnKeysWithoutUserName(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	root := e.keyAs(t, "leaked", "us-east-1").iam
	leaked := e.sim.LeakedKeyID()
	out := must[*iam.ListAccessKeysOutput](t)(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(out.AccessKeyMetadata) != 1 || *out.AccessKeyMetadata[0].AccessKeyId != leaked {
		t.Fatalf("root keys = %+v", out.AccessKeyMetadata)
	}
	// The responder (an IAM user) cannot reach root's key by naming no user:
	// that means its own keys.
	_, err := e.responder("us-east-1").iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: &leaked, Status: types.StatusTypeInactive})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.UpdateAccessKeyOutput](t)(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: &leaked, Status: types.StatusTypeInactive}))
	_, err = root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantCode(t, err, "InvalidClientTokenId")
}

func TestAccessKeyLastUsed(t *testing.T) {
	e := start(t, "attacker-only")
	admin := e.responder("us-east-1").iam
	out := must[*iam.GetAccessKeyLastUsedOutput](t)(admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(e.sim.LeakedKeyID())}))
	lu := out.AccessKeyLastUsed
	// The intruder calls GetCallerIdentity every 3h until the start.
	if *lu.ServiceName != "sts" || *lu.Region != "us-east-1" || e.sim.Now().Sub(*lu.LastUsedDate).Hours() > 4 {
		t.Errorf("last used = %s %s %v", *lu.ServiceName, *lu.Region, lu.LastUsedDate)
	}
	created := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("metrics-push")}))
	never := must[*iam.GetAccessKeyLastUsedOutput](t)(admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: created.AccessKey.AccessKeyId}))
	if never.AccessKeyLastUsed.LastUsedDate != nil || *never.AccessKeyLastUsed.ServiceName != "N/A" {
		t.Errorf("unused key last used = %+v", never.AccessKeyLastUsed)
	}
	_, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "NoSuchEntity")
}

func TestUserPolicies(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	admin := e.responder("us-east-1").iam
	user := aws.String("svc-reporting")
	names := must[*iam.ListUserPoliciesOutput](t)(admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: user}))
	if !slices.Equal(names.PolicyNames, []string{"reporting-access"}) {
		t.Fatalf("inline = %v", names.PolicyNames)
	}
	got := must[*iam.GetUserPolicyOutput](t)(admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: user, PolicyName: aws.String("reporting-access")}))
	doc, err := url.QueryUnescape(*got.PolicyDocument) // IAM URL-encodes documents
	if err != nil || !strings.Contains(doc, `"secretsmanager:GetSecretValue"`) {
		t.Fatalf("document %q (%v)", doc, err)
	}
	_, err = admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: user, PolicyName: aws.String("nope")})
	wantCode(t, err, "NoSuchEntity")

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}`
	must[*iam.PutUserPolicyOutput](t)(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("reports-read"), PolicyDocument: &policy}))
	_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Maybe"}]}`)})
	wantCode(t, err, "MalformedPolicyDocument")

	must[*iam.AttachUserPolicyOutput](t)(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3")}))
	attached := must[*iam.ListAttachedUserPoliciesOutput](t)(admin.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: user}))
	if len(attached.AttachedPolicies) != 1 || *attached.AttachedPolicies[0].PolicyName != "AWSCompromisedKeyQuarantineV3" {
		t.Errorf("attached = %+v", attached.AttachedPolicies)
	}
	// The quarantine policy's explicit Deny beats the user's inline Allow.
	_, err = e.keyAs(t, "leaked", "us-east-1").iam.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Errorf("GetUser not in quarantine's deny list: %v", err)
	}
	_, err = e.keyAs(t, "leaked", "us-east-1").iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("message %q should name the explicit deny", err)
	}
}

func TestCreateUserAndAccessDenied(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	out := must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nas-backup-svc")}))
	if *out.User.Arn != "arn:aws:iam::418295730164:user/nas-backup-svc" {
		t.Errorf("arn %s", *out.User.Arn)
	}
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nas-backup-svc")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name!")})
	wantCode(t, err, "ValidationError")

	// grafana holds ReadOnlyAccess: reads pass, writes are denied by name.
	ro := e.keyAs(t, "grafana", "us-east-1").iam
	must[*iam.ListUsersOutput](t)(ro.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err = ro.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantCode(t, err, "AccessDenied")
	want := "User: arn:aws:iam::418295730164:user/grafana-cloudwatch is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::418295730164:user/x because no identity-based policy allows the iam:CreateUser action"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message = %v\nwant %s", err, want)
	}
	_, err = e.as("AKIAAAAAAAAAAAAAAAAA", "x", "us-east-1").iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId")

	// DeleteUser refuses while the user still has keys or policies.
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("backup-admin")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeleteUserOutput](t)(admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("nas-backup-svc")}))
}

func TestRolesAndInstanceProfiles(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := must[*iam.CreateRoleOutput](t)(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("billing-worker"), AssumeRolePolicyDocument: &trust}))
	if *role.Role.Arn != "arn:aws:iam::418295730164:role/billing-worker" || !strings.HasPrefix(*role.Role.RoleId, "AROA") {
		t.Errorf("role %+v", role.Role)
	}
	_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("billing-worker"), AssumeRolePolicyDocument: &trust})
	wantCode(t, err, "EntityAlreadyExists")
	must[*iam.PutRolePolicyOutput](t)(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("billing-worker"), PolicyName: aws.String("least"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)}))
	got := must[*iam.GetRoleOutput](t)(admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("billing-worker")}))
	if doc, _ := url.QueryUnescape(*got.Role.AssumeRolePolicyDocument); doc != trust {
		t.Errorf("trust = %s", doc)
	}
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	wantCode(t, err, "NoSuchEntity")

	prof := must[*iam.CreateInstanceProfileOutput](t)(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("billing-worker")}))
	if *prof.InstanceProfile.Arn != "arn:aws:iam::418295730164:instance-profile/billing-worker" {
		t.Errorf("profile arn %s", *prof.InstanceProfile.Arn)
	}
	must[*iam.AddRoleToInstanceProfileOutput](t)(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("billing-worker"), RoleName: aws.String("billing-worker")}))
	_, err = admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("billing-worker"), RoleName: aws.String("billing-worker")})
	wantCode(t, err, "LimitExceeded")
	gp := must[*iam.GetInstanceProfileOutput](t)(admin.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("billing-worker")}))
	if len(gp.InstanceProfile.Roles) != 1 || *gp.InstanceProfile.Roles[0].RoleName != "billing-worker" {
		t.Errorf("profile roles %+v", gp.InstanceProfile.Roles)
	}
}

func TestCredentialReport(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	_, err := admin.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantCode(t, err, "ReportNotPresent")
	first := must[*iam.GenerateCredentialReportOutput](t)(admin.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))
	again := must[*iam.GenerateCredentialReportOutput](t)(admin.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))
	if first.State != types.ReportStateTypeStarted || again.State != types.ReportStateTypeComplete {
		t.Errorf("states %s then %s", first.State, again.State)
	}
	rep := must[*iam.GetCredentialReportOutput](t)(admin.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	if err != nil || rep.ReportFormat != types.ReportFormatTypeTextCsv {
		t.Fatalf("report %q: %v", rep.Content, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	root := rows[1]
	if root[col["user"]] != "<root_account>" || root[col["access_key_1_active"]] != "true" ||
		root[col["mfa_active"]] != "true" || root[col["access_key_1_last_used_date"]] == "N/A" {
		t.Errorf("root row %v", root)
	}
	if len(rows) != 5 || rows[2][col["user"]] != "backup-admin" {
		t.Errorf("rows %v", rows)
	}
	if base64.StdEncoding.EncodeToString(rep.Content) == "" {
		t.Error("empty content")
	}
}
