package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Each of the attacker's resources in the attacker-only scenario is
// removed, in the order a responder might pick them, and removing it again
// succeeds (what is gone counts as removed).
func TestCleanUpRemovesTheAttackersResources(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	inv := r.sweep("us-east-1", "sa-east-1")
	iamr := r.x.read.iam(r.x.cfg)
	ctx := context.Background()
	gone := map[string]func(runbook.Resource) bool{
		"access-key": func(res runbook.Resource) bool { return r.keyStatus(t, res.Parent, res.ID) == runbook.KeyGone },
		"policy": func(res runbook.Resource) bool {
			out, err := iamr.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(strings.TrimPrefix(res.Parent, "user/"))})
			return apiCode(err) == "NoSuchEntity" || err == nil && len(out.AttachedPolicies) == 0
		},
		"login-profile": func(runbook.Resource) bool { return true }, // the sim records CreateLoginProfile without a password
		"iam-user": func(res runbook.Resource) bool {
			_, err := iamr.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(res.ID)})
			return apiCode(err) == "NoSuchEntity"
		},
		"ec2-instance": func(res runbook.Resource) bool {
			out, err := r.x.read.ec2(res.Region).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{res.ID}})
			if err != nil {
				return strings.HasPrefix(apiCode(err), "InvalidInstanceID")
			}
			state := out.Reservations[0].Instances[0].State.Name
			return state == "terminated" || state == "shutting-down"
		},
	}
	for _, typ := range []string{"access-key", "policy", "login-profile", "iam-user", "ec2-instance"} {
		res := blastIn(t, inv, typ, "")
		for try := range 2 {
			ev, calls := runEffect(t, r.x, runbook.CleanUpResource{Resource: res})
			if done, ok := ev.(runbook.ResourceCleanedUp); !ok || done.Resource != res {
				t.Fatalf("clean-up %d of %s %s: %+v (calls %s)", try, typ, res.ID, ev, operations(calls))
			}
			if !gone[typ](res) {
				t.Fatalf("%s %s is still there", typ, res.ID)
			}
		}
	}
}

// Deleting a user clears what IAM's DeleteUser requires gone first.
func TestCleanUpUserRemovesKeysAndPoliciesFirst(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	inv := r.sweep("us-east-1")
	ev, calls := runEffect(t, r.x, runbook.CleanUpResource{Resource: blastIn(t, inv, "iam-user", "")})
	if ev.EventName() != "ResourceCleanedUp" {
		t.Fatal(ev)
	}
	want := "ListAccessKeys,UpdateAccessKey,DeleteAccessKey,DeleteLoginProfile,ListAttachedUserPolicies,DetachUserPolicy,ListUserPolicies,ListGroupsForUser,ListMFADevices,DeleteUser"
	if got := operations(calls); got != want {
		t.Errorf("calls\n %s\nwant\n %s", got, want)
	}
}

func TestCleanUpRefusesWhatItDoesNotRemove(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	tests := []struct {
		name string
		res  runbook.Resource
		says string
	}{
		{"instance profile", runbook.Resource{Type: "instance-profile", ID: "x", Action: "CreateInstanceProfile"}, "does not remove resources of type instance-profile"},
		{"root key", runbook.Resource{Type: "access-key", ID: "AKIAXXXXXXXXXXXXXXXX", Parent: "root"}, "root's keys"},
		{"group policy", runbook.Resource{Type: "policy", ID: "arn:aws:iam::aws:policy/AdministratorAccess", Parent: "group/admins"}, "users and roles only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mutations(r)
			ev, _ := runEffect(t, r.x, runbook.CleanUpResource{Resource: tt.res})
			if f, ok := ev.(runbook.EffectFailed); !ok || !strings.Contains(f.Message, tt.says) {
				t.Fatalf("want EffectFailed saying %q, got %+v", tt.says, ev)
			}
			if mutations(r) != before {
				t.Error("a refused clean-up sent a mutating call")
			}
		})
	}
}
