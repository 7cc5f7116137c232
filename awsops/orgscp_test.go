package awsops

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// A member's root key is contained with the SCP from the management
// account (never UpdateAccessKey), released by detaching and deleting it;
// dry-run journals the calls and attaches nothing.
func TestMemberRootKeyIsContainedWithAnSCP(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	isolate(t)
	id, secret := s.ResponderCredentials()
	admin, err := LoadConfig(context.Background(), Target{Region: "us-east-1", Endpoint: url,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	const account = "410000000102"
	member := admin.Copy()
	member.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(admin),
		"arn:aws:iam::"+account+":role/OrganizationAccountAccessRole"))
	keyID := s.Member(account).LeakedKeyID()
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	attached := func() bool {
		_, on, err := findRootDenySCP(context.Background(), orgsOf(admin), account)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	// The plan the screen shows before the responder confirms: the SCP,
	// never UpdateAccessKey, and nothing sent.
	px := NewExecutor(member, ExecutorOptions{OrgAdmin: &admin})
	if ev, _ := runEffect(t, px, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
		t.Fatalf("identify: %+v", ev)
	}
	plan, err := px.Plan(context.Background(), runbook.DeactivateKey{KeyTarget: target})
	var planned []string
	for _, c := range plan {
		if c.WouldCall {
			planned = append(planned, c.Operation)
		}
	}
	if err != nil || len(planned) != 2 || planned[0] != "CreatePolicy" || planned[1] != "AttachPolicy" || attached() {
		t.Fatalf("plan %v (%v), attached %v", planned, err, attached())
	}
	tests := []struct {
		name         string
		dry          bool
		effect       runbook.Effect
		want         string
		wantAttached bool
		wantCalls    []string
	}{
		{"dry-run contain", true, runbook.DeactivateKey{KeyTarget: target}, "KeyDeactivated", false, []string{"CreatePolicy", "AttachPolicy"}},
		{"contain", false, runbook.DeactivateKey{KeyTarget: target}, "KeyDeactivated", true, []string{"CreatePolicy", "AttachPolicy"}},
		{"contain again", false, runbook.DeactivateKey{KeyTarget: target}, "KeyDeactivated", true, nil},
		{"roll back", false, runbook.ReactivateKey{KeyTarget: target}, "KeyReactivated", false, []string{"DetachPolicy", "DeletePolicy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewExecutor(member, ExecutorOptions{OrgAdmin: &admin, DryRun: tt.dry})
			if ev, _ := runEffect(t, x, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
				t.Fatalf("identify: %+v", ev)
			}
			ev, calls := runEffect(t, x, tt.effect)
			if ev.EventName() != tt.want {
				t.Fatalf("%+v", ev)
			}
			if d, ok := ev.(runbook.KeyDeactivated); ok && d.Via != runbook.ContainedBySCP {
				t.Errorf("contained via %q, want the SCP", d.Via)
			}
			var muts []string
			for _, c := range calls {
				if c.Service == "organizations" && c.Operation != "ListPoliciesForTarget" && c.Operation != "ListPolicies" && c.Operation != "DescribeOrganization" ||
					c.Operation == "UpdateAccessKey" {
					muts = append(muts, c.Operation)
					if c.WouldCall != tt.dry {
						t.Errorf("%s: would-call %v in dry-run %v", c.Operation, c.WouldCall, tt.dry)
					}
				}
			}
			if len(muts) != len(tt.wantCalls) || len(muts) > 0 && (muts[0] != tt.wantCalls[0] || muts[1] != tt.wantCalls[1]) {
				t.Errorf("mutating calls %v, want %v", muts, tt.wantCalls)
			}
			if got := attached(); got != tt.wantAttached {
				t.Errorf("SCP attached %v, want %v", got, tt.wantAttached)
			}
		})
	}
}
