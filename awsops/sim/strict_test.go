package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// A wrong secret is refused by every protocol, with each protocol's code,
// before the call runs; the right secret works.
func TestWrongSecretIsRefused(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	id, secret := e.sim.ResponderCredentials()
	wrong := "x" + secret[1:]
	if wrong == secret {
		wrong = "y" + secret[1:]
	}
	bad := e.as(id, wrong, "us-east-1")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"iam (query)", func() error { _, err := bad.iam.ListUsers(ctx, &iam.ListUsersInput{}); return err }, "SignatureDoesNotMatch"},
		{"ec2", func() error { _, err := bad.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); return err }, "AuthFailure"},
		{"cloudtrail (JSON 1.1)", func() error {
			_, err := bad.ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}, "InvalidSignatureException"},
		{"cloudwatch (CBOR)", func() error {
			_, err := e.cloudWatchAs(id, wrong, "us-east-1").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		}, "SignatureDoesNotMatch"},
		{"guardduty (restJson1)", func() error {
			_, err := e.guardDutyAs(id, wrong, "us-east-1").ListDetectors(ctx, &guardduty.ListDetectorsInput{})
			return err
		}, "InvalidSignatureException"},
		{"s3 (restXml)", func() error { _, err := e.s3As(id, wrong).ListBuckets(ctx, &s3.ListBucketsInput{}); return err }, "SignatureDoesNotMatch"},
	}
	before := len(e.sim.Requests())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	for _, r := range e.sim.Requests()[before:] {
		if r.Status < 400 {
			t.Errorf("%s %s answered %d with a wrong secret", r.Service, r.Action, r.Status)
		}
	}
	if _, err := e.as(id, secret, "us-east-1").iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("the right secret is refused: %v", err)
	}
}

// A deleted key is InvalidClientTokenId, whatever secret signs it.
func TestDeletedKeyIsInvalidClientTokenID(t *testing.T) {
	e := start(t, "attacker-only")
	leaked, secret, _ := e.sim.KeyCredentials("leaked")
	admin := e.responder("us-east-1")
	user := "legacy-deployer"
	must[*iam.UpdateAccessKeyOutput](t)(admin.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: &user, AccessKeyId: &leaked, Status: "Inactive"}))
	must[*iam.DeleteAccessKeyOutput](t)(admin.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: &user, AccessKeyId: &leaked}))
	_, err := e.as(leaked, secret, "us-east-1").iam.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId")
}

func instanceCount(t *testing.T, c clients) int {
	t.Helper()
	out := must[*ec2.DescribeInstancesOutput](t)(c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	return n
}

// DryRun checks the permission and acts not: DryRunOperation (412) when
// the call would succeed, UnauthorizedOperation when it would be denied.
func TestEC2DryRunActsNot(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("eu-west-1")
	grafanaID, grafanaSecret, _ := e.sim.KeyCredentials("grafana")
	readOnly := e.as(grafanaID, grafanaSecret, "eu-west-1")
	run := &ec2.RunInstancesInput{ImageId: aws.String("ami-0abcdef1234567890"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: aws.Bool(true)}
	before := instanceCount(t, admin)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"run, allowed", func() error { _, err := admin.ec2.RunInstances(ctx, run); return err }, "DryRunOperation"},
		{"run, denied", func() error { _, err := readOnly.ec2.RunInstances(ctx, run); return err }, "UnauthorizedOperation"},
		{"terminate, allowed", func() error {
			_, err := admin.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0a7c3e91b52d4f816"}, DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"describe, allowed", func() error {
			_, err := readOnly.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.code)
			var re interface{ HTTPStatusCode() int }
			if tt.code == "DryRunOperation" && (!errors.As(err, &re) || re.HTTPStatusCode() != 412) {
				t.Errorf("DryRunOperation without status 412: %v", err)
			}
		})
	}
	if after := instanceCount(t, admin); after != before {
		t.Fatalf("a dry run changed the instances: %d before, %d after", before, after)
	}
	if h := e.sim.Health(); len(h) > 0 {
		for _, w := range h {
			if !w.Healthy && w.Workload == "billing-worker" {
				t.Errorf("a dry-run TerminateInstances stopped billing-worker: %+v", w)
			}
		}
	}
}

// Input AWS refuses before it looks anything up: names outside IAM's
// patterns, instance IDs of the wrong form.
func TestInputValidationCodes(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("eu-west-1")
	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"user name with a space", func() error {
			_, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bad name!!")})
			return err
		},
			"ValidationError", `at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"role name too long", func() error {
			_, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(strings.Repeat("r", 65))})
			return err
		}, "ValidationError", "Member must have length less than or equal to 64"},
		{"new user name too long", func() error {
			_, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("u", 65))})
			return err
		}, "ValidationError", "less than or equal to 64"},
		{"key status outside the enum", func() error {
			_, err := c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String("AKIAEXAMPLEEXAMPLE12"), Status: "Paused"})
			return err
		}, "ValidationError", "enum value set: [Active, Inactive, Expired]"},
		{"well-formed unknown user", func() error {
			_, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
			return err
		},
			"NoSuchEntity", ""},
		{"malformed instance ID", func() error {
			_, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}})
			return err
		}, "InvalidInstanceID.Malformed", `Invalid id: "i-xyz"`},
		{"well-formed unknown instance", func() error {
			_, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}, "InvalidInstanceID.NotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.code)
			var ae smithy.APIError
			if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), tt.msg) {
				t.Errorf("message %q, want it to contain %q", ae.ErrorMessage(), tt.msg)
			}
		})
	}
}

// A workload given a wrong secret fails as on AWS: SignatureDoesNotMatch,
// its calls never in CloudTrail, until it is given working credentials.
func TestWorkloadWithWrongSecret(t *testing.T) {
	sc, err := sim.LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	for i := range sc.Workloads {
		if sc.Workloads[i].Name == "grafana" {
			sc.Workloads[i].WrongSecret = true
		}
	}
	s, err := sim.New(sc, sim.WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	e := &env{sim: s, url: url}
	grafana, _, _ := s.KeyCredentials("grafana")
	health := func() sim.WorkloadHealth {
		for _, h := range s.Health() {
			if h.Workload == "grafana" {
				return h
			}
		}
		t.Fatal("no grafana workload")
		return sim.WorkloadHealth{}
	}
	if h := health(); h.Healthy || !strings.HasPrefix(h.LastError, "SignatureDoesNotMatch") {
		t.Fatalf("grafana with a wrong secret: %+v", h)
	}
	in := byAttr("AccessKeyId", grafana)
	if n := len(lookupAll(t, e.responder("us-east-1").ct, in)); n != 0 {
		t.Fatalf("CloudTrail holds %d events of calls with a wrong secret", n)
	}
	admin := e.responder("us-east-1").iam
	must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grafana-2")}))
	must[*iam.AttachUserPolicyOutput](t)(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("grafana-2"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	key := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grafana-2")})).AccessKey
	if err := s.SetWorkloadCredentials("grafana", aws.ToString(key.AccessKeyId)); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Hour)
	if h := health(); !h.Healthy {
		t.Fatalf("grafana given a working key is still failing: %+v", h)
	}
}
