package sim_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// An attacker's role is removed in IAM's order: each step taken too early
// is a DeleteConflict, each repeated one a NoSuchEntity.
func TestExtRoleRemoval(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("us-east-1")
	name := aws.String("backdoor")
	admin := aws.String("arn:aws:iam::aws:policy/AdministratorAccess")
	profileFor(t, c, "backdoor")
	must[*iam.AttachRolePolicyOutput](t)(c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: admin}))
	must[*iam.PutRolePolicyOutput](t)(c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))

	names := func(f func() ([]string, error)) func() error {
		return func() error {
			got, err := f()
			if err == nil && len(got) != 1 {
				t.Errorf("want one entry, got %v", got)
			}
			return err
		}
	}
	profiles := names(func() ([]string, error) {
		out, err := c.iam.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: name})
		if err != nil {
			return nil, err
		}
		var n []string
		for _, p := range out.InstanceProfiles {
			n = append(n, aws.ToString(p.InstanceProfileName))
		}
		return n, nil
	})
	deleteRole := func() error { _, err := c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); return err }
	deleteProfile := func() error {
		_, err := c.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: name})
		return err
	}
	removeFromProfile := func() error {
		_, err := c.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: name, RoleName: name})
		return err
	}
	detach := func() error {
		_, err := c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: admin})
		return err
	}
	deleteInline := func() error {
		_, err := c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String("p")})
		return err
	}
	steps := []struct {
		name string
		do   func() error
		code string
	}{
		{"delete the role while a profile holds it", deleteRole, "DeleteConflict"},
		{"delete the profile while it holds the role", deleteProfile, "DeleteConflict"},
		{"list the role's profiles", profiles, ""},
		{"take the role out of the profile", removeFromProfile, ""},
		{"take it out again", removeFromProfile, "NoSuchEntity"},
		{"delete the role with a policy attached", deleteRole, "DeleteConflict"},
		{"list the attached policies", names(func() ([]string, error) {
			out, err := c.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name})
			if err != nil {
				return nil, err
			}
			return []string{aws.ToString(out.AttachedPolicies[0].PolicyName)}, nil
		}), ""},
		{"detach it", detach, ""},
		{"detach it again", detach, "NoSuchEntity"},
		{"delete the role with an inline policy", deleteRole, "DeleteConflict"},
		{"list the inline policies", names(func() ([]string, error) {
			out, err := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name})
			if err != nil {
				return nil, err
			}
			return out.PolicyNames, nil
		}), ""},
		{"delete the inline policy", deleteInline, ""},
		{"delete it again", deleteInline, "NoSuchEntity"},
		{"delete the role", deleteRole, ""},
		{"delete the role again", deleteRole, "NoSuchEntity"},
		{"list a deleted role's profiles", profiles, "NoSuchEntity"},
		{"delete the empty profile", deleteProfile, ""},
		{"delete the profile again", deleteProfile, "NoSuchEntity"},
	}
	for _, st := range steps {
		wantCode(t, st.do(), st.code)
	}

	// Another principal without IAM rights is denied, and the trail says so.
	_, err := e.keyAs(t, "grafana", "us-east-1").iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("nope")})
	wantCode(t, err, "AccessDenied")
	events := must[*cloudtrail.LookupEventsOutput](t)(c.ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DeleteRole")}}}))
	var codes []string
	for _, ev := range events.Events {
		body := aws.ToString(ev.CloudTrailEvent)
		code := "ok"
		if _, rest, found := strings.Cut(body, `"errorCode":"`); found {
			code, _, _ = strings.Cut(rest, `"`)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	if want := []string{"AccessDenied", "DeleteConflict", "DeleteConflict", "DeleteConflict", "NoSuchEntity", "ok"}; !slices.Equal(codes, want) {
		t.Errorf("DeleteRole events %v, want %v", codes, want)
	}
}

// A function whose new role is deleted fails from its next run on: the
// session it holds is allowed nothing once the role is gone.
func TestExtDeletedRoleBreaksItsCallers(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	arn := newLambdaRole(t, c, "short-lived", lambdaTrust)
	must[*lambda.UpdateFunctionConfigurationOutput](t)(e.responderLambda(lambdaRegion).UpdateFunctionConfiguration(ctx,
		&lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(reportFn), Role: aws.String(arn)}))
	e.sim.Advance(20 * time.Minute)
	healthy := func() bool {
		for _, h := range e.sim.Health() {
			if h.Workload == reportFn {
				return h.Healthy
			}
		}
		t.Fatal("no report-builder workload")
		return false
	}
	if !healthy() {
		t.Fatal("the function failed on its new role")
	}
	must[*iam.DeleteRolePolicyOutput](t)(c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("short-lived"), PolicyName: aws.String("p")}))
	must[*iam.DeleteRoleOutput](t)(c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("short-lived")}))
	e.sim.Advance(20 * time.Minute)
	if healthy() {
		t.Error("the function still works as a deleted role")
	}
}
