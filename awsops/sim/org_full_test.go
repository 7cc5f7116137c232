package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const sandbox = "410000000102"

// denyRoot is the containment SCP keyrunbook attaches (awsops.RootDenySCP).
const denyRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",` +
	`"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}`

// memberRole assumes OrganizationAccountAccessRole in a member simulated
// whole, from the management account's responder.
func (e *env) memberRole(t *testing.T, account string) clients {
	t.Helper()
	out, err := e.responder("us-east-1").sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + sim.MemberRole), RoleSessionName: aws.String("test")})
	if err != nil {
		t.Fatalf("AssumeRole into %s: %v", account, err)
	}
	c := out.Credentials
	return e.as(*c.AccessKeyId, *c.SecretAccessKey, "us-east-1") // the sim checks no session token
}

func TestMemberSimulatedWholeIsReachedThroughItsRole(t *testing.T) {
	e := start(t, "org-iam4")
	c := e.memberRole(t, sandbox)
	me, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(me.Account) != sandbox || !strings.Contains(aws.ToString(me.Arn), ":assumed-role/"+sim.MemberRole+"/") {
		t.Fatalf("caller %v, %v", me, err)
	}
	// The member's own CloudTrail holds the attacker's use of its root key.
	key, _, ok := e.sim.Member(sandbox).KeyCredentials("sandbox-root")
	if !ok {
		t.Fatal("no sandbox-root key in the member")
	}
	ev, err := c.ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(key)}}})
	if err != nil || len(ev.Events) == 0 {
		t.Fatalf("the member's trail has %d events of its root key: %v", len(ev.Events), err)
	}
	// The management account holds no such event: each account its trail.
	mg, err := e.responder("us-east-1").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(key)}}})
	if err != nil || len(mg.Events) != 0 {
		t.Fatalf("the management trail has %d events of a member's key: %v", len(mg.Events), err)
	}
	// The organization's clock moves the member's.
	before := e.sim.Member(sandbox).Now()
	e.sim.Advance(10 * time.Minute)
	if got := e.sim.Member(sandbox).Now().Sub(before); got != 10*time.Minute {
		t.Fatalf("the member's clock moved %s, want 10m", got)
	}
}

func TestRootTaskSessionInAWholeMemberIsBoundByItsTask(t *testing.T) {
	e := start(t, "org-iam4")
	c, err := e.assumeRoot(t, sandbox, auditTask, 900)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("root keys %v, %v", keys, err)
	}
	id := keys.AccessKeyMetadata[0].AccessKeyId
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: id}); code(err) != "AccessDenied" {
		t.Fatalf("audit session deleted a key: %v", err)
	}
	if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); code(err) != "AccessDenied" {
		t.Fatalf("audit session listed users: %v", err)
	}
	d, err := e.assumeRoot(t, sandbox, deleteTask, 900)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: id, Status: "Inactive"}); code(err) != "AccessDenied" {
		t.Fatalf("no task policy allows UpdateAccessKey, yet: %v", err)
	}
	if _, err := d.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: id}); err != nil {
		t.Fatalf("delete session: %v", err)
	}
}

func TestSCPDeniesTheMembersRootUnlessAssumedRoot(t *testing.T) {
	e := start(t, "org-iam4")
	m := e.sim.Member(sandbox)
	id, secret, _ := m.KeyCredentials("sandbox-root")
	root := e.as(id, secret, "us-east-1")
	if _, err := root.iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("root before the SCP: %v", err)
	}
	o := e.orgs()
	p, err := o.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("deny-root"), Description: aws.String("t"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(denyRoot)})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Policy.PolicySummary.Id
	if _, err := o.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pid, TargetId: aws.String(sandbox)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.iam.ListUsers(ctx, &iam.ListUsersInput{})
	if code(err) != "AccessDenied" || !strings.Contains(err.Error(), "service control policy") {
		t.Fatalf("root under the SCP: %v", err)
	}
	// An AssumeRoot session carries aws:AssumedRoot: the deletion works.
	d, err := e.assumeRoot(t, sandbox, deleteTask, 900)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("AssumeRoot session under the SCP: %v", err)
	}
	// The member's role is no root: untouched.
	if _, err := e.memberRole(t, sandbox).iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("member role under the SCP: %v", err)
	}
	on, err := o.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(sandbox), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil || len(on.Policies) != 2 || aws.ToString(on.Policies[0].Id) != "p-FullAWSAccess" || aws.ToString(on.Policies[1].Id) != aws.ToString(pid) {
		t.Fatalf("policies on the target: %v, %v", on, err)
	}
	if _, err := o.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: pid, TargetId: aws.String(sandbox)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("root after the SCP was detached: %v", err)
	}
}

func TestSCPOperationsRefuseAsAWSDocuments(t *testing.T) {
	e := start(t, "org-iam4")
	o := e.orgs()
	create := func(name, content string) (*organizations.CreatePolicyOutput, error) {
		return o.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String("t"),
			Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(content)})
	}
	p, err := create("deny-root", denyRoot)
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Policy.PolicySummary.Id
	attach := func(target string) error {
		_, err := o.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pid, TargetId: aws.String(target)})
		return err
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"duplicate name", func() error { _, err := create("deny-root", denyRoot); return err }, "DuplicatePolicyException"},
		{"not a policy", func() error { _, err := create("bad", "{}"); return err }, "MalformedPolicyDocumentException"},
		{"over 5,120 characters", func() error { _, err := create("big", strings.Repeat(" ", 5121)); return err }, "ConstraintViolationException"},
		{"unknown target", func() error { return attach("999999999999") }, "TargetNotFoundException"},
		{"detach not attached", func() error {
			_, err := o.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: pid, TargetId: aws.String(sandbox)})
			return err
		}, "PolicyNotAttachedException"},
		{"attach", func() error { return attach(sandbox) }, ""},
		{"attach twice", func() error { return attach(sandbox) }, "DuplicatePolicyAttachmentException"},
		{"delete attached", func() error {
			_, err := o.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: pid})
			return err
		}, "PolicyInUseException"},
		{"unknown policy", func() error {
			_, err := o.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String("p-00000000")})
			return err
		}, "PolicyNotFoundException"},
	}
	for _, tt := range tests {
		if got := code(tt.call()); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMemberSimulatedWholeIsValidated(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *sim.Member)
		want string
	}{
		{"no root key", func(m *sim.Member) { m.RootKeys = nil }, "rootKeys"},
		{"root keys of its own", func(m *sim.Member) { m.Full.Root.Keys = []sim.Key{{Ref: "x"}} }, ".full"},
		{"a workload on an unknown key", func(m *sim.Member) { m.Full.Workloads[0].Key = "nope" }, ".full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("org-iam4")
			if err != nil {
				t.Fatal(err)
			}
			m := &sc.Organization.Members[0]
			full := *m.Full
			full.Workloads = append([]sim.Workload(nil), full.Workloads...)
			m.Full = &full
			tt.edit(m)
			if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}
