package sim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

const billingInstance = "i-0a7c3e91b52d4f816"

var instanceTrust = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)

// profileFor creates a role and an instance profile of the same name.
func profileFor(t *testing.T, c clients, name string) {
	t.Helper()
	must[*iam.CreateRoleOutput](t)(c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: instanceTrust}))
	must[*iam.CreateInstanceProfileOutput](t)(c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}))
	must[*iam.AddRoleToInstanceProfileOutput](t)(c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)}))
}

func TestExtInstanceProfileAssociations(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("eu-west-1")
	describe := func() []ec2types.IamInstanceProfileAssociation {
		out := must[*ec2.DescribeIamInstanceProfileAssociationsOutput](t)(c.ec2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{billingInstance}}}}))
		return out.IamInstanceProfileAssociations
	}
	if got := describe(); len(got) != 0 {
		t.Fatalf("associations before any: %+v", got)
	}
	profileFor(t, c, "first")
	profileFor(t, c, "second")
	assoc := must[*ec2.AssociateIamInstanceProfileOutput](t)(c.ec2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
		InstanceId: aws.String(billingInstance), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("first")}}))
	got := describe()
	if len(got) != 1 || aws.ToString(got[0].AssociationId) != aws.ToString(assoc.IamInstanceProfileAssociation.AssociationId) ||
		!strings.HasSuffix(aws.ToString(got[0].IamInstanceProfile.Arn), "/first") || got[0].State != ec2types.IamInstanceProfileAssociationStateAssociated {
		t.Fatalf("after associating: %+v", got)
	}

	_, err := c.ec2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: aws.String("iip-assoc-0000"), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("second")}})
	wantCode(t, err, "InvalidAssociationID.NotFound")
	rep := must[*ec2.ReplaceIamInstanceProfileAssociationOutput](t)(c.ec2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: got[0].AssociationId, IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("second")}}))
	got = describe()
	if len(got) != 1 || !strings.HasSuffix(aws.ToString(got[0].IamInstanceProfile.Arn), "/second") ||
		aws.ToString(got[0].AssociationId) != aws.ToString(rep.IamInstanceProfileAssociation.AssociationId) {
		t.Fatalf("after replacing: %+v", got)
	}

	// The billing worker now calls as the second role.
	e.sim.Advance(10 * time.Minute)
	events := must[*cloudtrail.LookupEventsOutput](t)(c.ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}))
	found := false
	for _, ev := range events.Events {
		found = found || strings.Contains(aws.ToString(ev.CloudTrailEvent), "assumed-role/second/"+billingInstance)
	}
	if !found {
		t.Error("no call of the billing worker as role second after the replacement")
	}
	mutating := map[string]bool{}
	for _, r := range e.sim.Requests() {
		mutating[r.Action] = r.Mutating
	}
	if mutating["DescribeIamInstanceProfileAssociations"] || !mutating["ReplaceIamInstanceProfileAssociation"] {
		t.Errorf("mutating flags: %v", mutating)
	}
}

func TestExtIAMReadsAndLoginProfile(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("us-east-1")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	profileFor(t, c, "reader")
	_, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.PutRolePolicyOutput](t)(c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
	got := must[*iam.GetRolePolicyOutput](t)(c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p")}))
	if dec, _ := url.QueryUnescape(aws.ToString(got.PolicyDocument)); dec != doc {
		t.Errorf("GetRolePolicy document %q, want %q URL-encoded", aws.ToString(got.PolicyDocument), doc)
	}

	groups := must[*iam.ListGroupsForUserOutput](t)(c.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ir-responder")}))
	if len(groups.Groups) != 0 {
		t.Errorf("groups: %+v", groups.Groups)
	}
	_, err = c.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")
	mfa := must[*iam.ListMFADevicesOutput](t)(c.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("ir-responder")}))
	if len(mfa.MFADevices) != 1 || !strings.HasSuffix(aws.ToString(mfa.MFADevices[0].SerialNumber), ":mfa/ir-responder") {
		t.Errorf("MFA devices of a user with MFA: %+v", mfa.MFADevices)
	}

	digest := e.sim.StateDigest()
	must[*iam.DeleteLoginProfileOutput](t)(c.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("ir-responder")}))
	if e.sim.StateDigest() == digest {
		t.Error("deleting the console password did not change the account")
	}
	_, err = c.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("ir-responder")})
	wantCode(t, err, "NoSuchEntity")
}

func TestExtTrailStatusAndOrganization(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("eu-west-1")
	st := must[*cloudtrail.GetTrailStatusOutput](t)(c.ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:418295730164:trail/management-events")}))
	if !aws.ToBool(st.IsLogging) {
		t.Error("the scenario's multi-region trail reads as not logging")
	}
	_, err := c.ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("nope")})
	wantCode(t, err, "TrailNotFoundException")

	id, secret := e.sim.ResponderCredentials()
	orgs := organizations.New(organizations.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	_, err = orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException")
}
