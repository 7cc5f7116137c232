package sim_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func TestGetCallerIdentity(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	tests := []struct {
		ref, arn, userID string
	}{
		{"leaked", "arn:aws:iam::418295730164:root", "418295730164"},
		{"grafana", "arn:aws:iam::418295730164:user/grafana-cloudwatch", "AIDA"},
	}
	for _, tt := range tests {
		out := must[*sts.GetCallerIdentityOutput](t)(e.keyAs(t, tt.ref, "eu-west-1").sts.GetCallerIdentity(ctx, nil))
		if *out.Arn != tt.arn || *out.Account != "418295730164" || !strings.HasPrefix(*out.UserId, tt.userID) {
			t.Errorf("%s: %s %s %s", tt.ref, *out.Arn, *out.Account, *out.UserId)
		}
	}
	_, err := e.as("AKIAAAAAAAAAAAAAAAAA", "x", "us-east-1").sts.GetCallerIdentity(ctx, nil)
	wantCode(t, err, "InvalidClientTokenId")
}

func TestGetAccessKeyInfo(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1")
	created := must[*iam.CreateAccessKeyOutput](t)(admin.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grafana-cloudwatch")}))
	must[*iam.DeleteAccessKeyOutput](t)(admin.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("grafana-cloudwatch"), AccessKeyId: created.AccessKey.AccessKeyId}))
	tests := []struct {
		name, key, account, code string
	}{
		{"leaked root key", e.sim.LeakedKeyID(), "418295730164", ""},
		{"deleted key", *created.AccessKey.AccessKeyId, "418295730164", ""},
		// The account is encoded in the key ID itself; this pair is the
		// published example of the decoding.
		{"key of another account", "ASIAQNZGKIQY56JQ7WML", "029608264753", ""},
		{"not a key", "hello", "", "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := admin.sts.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(tt.key)})
			wantCode(t, err, tt.code)
			if err == nil && *out.Account != tt.account {
				t.Errorf("account %s, want %s", *out.Account, tt.account)
			}
		})
	}
}

func TestExternalResponder(t *testing.T) {
	sc, err := sim.LoadScenario("attacker-only")
	if err != nil {
		t.Fatal(err)
	}
	sc.Responder = sim.Responder{ExternalAccount: "590183722406", ExternalUser: "secops"}
	s, err := sim.New(sc, sim.WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	e := &env{sim: s, url: url}
	eventsAtStart := s.EventCount()
	c := e.responder("us-east-1")
	id := must[*sts.GetCallerIdentityOutput](t)(c.sts.GetCallerIdentity(ctx, nil))
	if *id.Account != "590183722406" || *id.Arn != "arn:aws:iam::590183722406:user/secops" {
		t.Errorf("identity %s %s", *id.Account, *id.Arn)
	}
	info := must[*sts.GetAccessKeyInfoOutput](t)(c.sts.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(s.LeakedKeyID())}))
	if *info.Account != "265839104772" {
		t.Errorf("leaked key's account %s", *info.Account)
	}
	if n := s.EventCount(); n != eventsAtStart {
		t.Errorf("another account's STS calls added %d events to this account's trail", n-eventsAtStart)
	}
	before := s.StateDigest()
	_, err = c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("legacy-deployer"), AccessKeyId: aws.String(s.LeakedKeyID()), Status: iamtypes.StatusTypeInactive})
	wantCode(t, err, "AccessDenied")
	if s.StateDigest() != before {
		t.Error("a call from another account changed the account")
	}
}

func TestDescribeRegions(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	ec := e.responder("us-east-1").ec2
	enabled := must[*ec2.DescribeRegionsOutput](t)(ec.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}))
	all := must[*ec2.DescribeRegionsOutput](t)(ec.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)}))
	status := map[string]string{}
	for _, r := range all.Regions {
		status[*r.RegionName] = *r.OptInStatus
	}
	if len(enabled.Regions) != 18 || len(all.Regions) <= 18 || status["ap-southeast-3"] != "opted-in" ||
		status["af-south-1"] != "not-opted-in" || status["eu-west-1"] != "opt-in-not-required" {
		t.Errorf("%d enabled, %d in all: %v", len(enabled.Regions), len(all.Regions), status)
	}
	one := must[*ec2.DescribeRegionsOutput](t)(ec.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1"}}))
	if len(one.Regions) != 1 || *one.Regions[0].Endpoint != "ec2.eu-west-1.amazonaws.com" {
		t.Errorf("eu-west-1: %+v", one.Regions)
	}
	_, err := e.responder("af-south-1").ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	wantCode(t, err, "AuthFailure")
	// svc-reporting has no EC2 permission: EC2 says UnauthorizedOperation.
	lambda := start(t, "iam-user-lambda-ci")
	_, err = lambda.keyAs(t, "leaked", "us-east-1").ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	wantCode(t, err, "UnauthorizedOperation")
}

func TestDescribeInstancesAndAddresses(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	eu := e.responder("eu-west-1").ec2
	out := must[*ec2.DescribeInstancesOutput](t)(eu.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("reservations %+v", out.Reservations)
	}
	in := out.Reservations[0].Instances[0]
	if *in.InstanceId != "i-0a7c3e91b52d4f816" || *in.PublicIpAddress != "3.249.118.40" || *in.PrivateIpAddress != "10.20.1.15" ||
		in.State.Name != ec2types.InstanceStateNameRunning || *in.Tags[0].Value != "billing-worker" || in.IamInstanceProfile != nil {
		t.Errorf("instance %+v", in)
	}
	addr := must[*ec2.DescribeAddressesOutput](t)(eu.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{PublicIps: []string{"3.249.118.40"}}))
	if len(addr.Addresses) != 1 || *addr.Addresses[0].InstanceId != *in.InstanceId || *addr.Addresses[0].PrivateIpAddress != "10.20.1.15" {
		t.Errorf("addresses %+v", addr.Addresses)
	}
	_, err := eu.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{PublicIps: []string{"192.0.2.1"}})
	wantCode(t, err, "InvalidAddress.NotFound")
	_, err = eu.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-00000000000000000"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")

	// The intruder's miners in ap-southeast-3, paged 5 at a time by filter.
	ap := e.responder("ap-southeast-3").ec2
	var ids []string
	p := ec2.NewDescribeInstancesPaginator(ap, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5),
		Filters: []ec2types.Filter{{Name: aws.String("instance-type"), Values: []string{"c5.*"}}}})
	for p.HasMorePages() {
		page := must[*ec2.DescribeInstancesOutput](t)(p.NextPage(ctx))
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				ids = append(ids, *i.InstanceId)
			}
		}
	}
	if len(ids) != 4 {
		t.Errorf("attacker instances %v", ids)
	}
	term := must[*ec2.TerminateInstancesOutput](t)(ap.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}))
	if term.TerminatingInstances[0].CurrentState.Name != ec2types.InstanceStateNameShuttingDown {
		t.Errorf("terminate %+v", term.TerminatingInstances)
	}
}

// TestInstanceProfileSwitchesWorkload replaces the root key of the billing
// worker with a role, as the runbook's Replace step does.
func TestInstanceProfileSwitchesWorkload(t *testing.T) {
	tests := []struct {
		name        string
		policy      string
		wantHealthy bool
	}{
		{"role allows what the worker calls", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","kms:Decrypt","s3:ListAllMyBuckets"],"Resource":"*"}]}`, true},
		{"role misses kms:Decrypt", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","s3:ListAllMyBuckets"],"Resource":"*"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, "root-key-ec2-onprem")
			admin := e.responder("us-east-1").iam
			trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
			name := aws.String("billing-worker")
			must[*iam.CreateRoleOutput](t)(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: &trust}))
			must[*iam.PutRolePolicyOutput](t)(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: name, PolicyDocument: &tt.policy}))
			must[*iam.CreateInstanceProfileOutput](t)(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: name}))
			must[*iam.AddRoleToInstanceProfileOutput](t)(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: name, RoleName: name}))
			eu := e.responder("eu-west-1").ec2
			assoc := must[*ec2.AssociateIamInstanceProfileOutput](t)(eu.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
				InstanceId: aws.String("i-0a7c3e91b52d4f816"), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: name}}))
			if assoc.IamInstanceProfileAssociation.State != ec2types.IamInstanceProfileAssociationStateAssociating {
				t.Errorf("association %+v", assoc.IamInstanceProfileAssociation)
			}
			_, err := eu.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{
				InstanceId: aws.String("i-0a7c3e91b52d4f816"), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: name}})
			wantCode(t, err, "IncorrectState")

			e.sim.Advance(30 * time.Minute)
			health := healthOf(e.sim, "billing-worker")
			if health.Healthy != tt.wantHealthy {
				t.Fatalf("billing-worker health %+v", health)
			}
			if !tt.wantHealthy && !strings.Contains(health.LastError, "kms:Decrypt") {
				t.Errorf("last error %q should name the missing action", health.LastError)
			}
			// Its calls now come from the assumed role, with an ASIA key.
			evs := lookupAll(t, e.responder("eu-west-1").ct, byAttr(cttypes.LookupAttributeKeyUsername, "i-0a7c3e91b52d4f816"))
			if len(evs) < 12 || !strings.HasPrefix(*evs[0].AccessKeyId, "ASIA") {
				t.Fatalf("%d role events", len(evs))
			}
			r := parseRecord(t, evs[0])
			if r.UserIdentity.Type != "AssumedRole" || r.UserIdentity.ARN != "arn:aws:sts::418295730164:assumed-role/billing-worker/i-0a7c3e91b52d4f816" ||
				r.SourceIPAddress != "3.249.118.40" {
				t.Errorf("identity %+v from %s", r.UserIdentity, r.SourceIPAddress)
			}
			// EC2 assumed the role on the instance's behalf.
			assumed := lookupAll(t, e.responder("eu-west-1").ct, byAttr(cttypes.LookupAttributeKeyEventName, "AssumeRole"))
			if len(assumed) != 1 || !strings.Contains(*assumed[0].CloudTrailEvent, `"invokedBy":"ec2.amazonaws.com"`) {
				t.Errorf("AssumeRole events %v", assumed)
			}
		})
	}
}

func healthOf(s *sim.Sim, workload string) sim.WorkloadHealth {
	hs := s.Health()
	i := slices.IndexFunc(hs, func(h sim.WorkloadHealth) bool { return h.Workload == workload })
	if i < 0 {
		return sim.WorkloadHealth{}
	}
	return hs[i]
}
