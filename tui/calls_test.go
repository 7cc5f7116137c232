package tui

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestPlannedCalls(t *testing.T) {
	t.Parallel()
	user := runbook.KeyTarget{KeyID: testKey, User: "svc-reporting"}
	root := runbook.KeyTarget{KeyID: testKey, Root: true}
	tests := []struct {
		name   string
		effect runbook.Effect
		want   []string // each call, in order
	}{
		{"deactivate a user's key", runbook.DeactivateKey{KeyTarget: user},
			[]string{`iam UpdateAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "Status": "Inactive", "UserName": "svc-reporting"}`}},
		{"deactivate a root key", runbook.DeactivateKey{KeyTarget: root},
			[]string{`iam UpdateAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "Status": "Inactive"}`}},
		{"reactivate", runbook.ReactivateKey{KeyTarget: user},
			[]string{`iam UpdateAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "Status": "Active", "UserName": "svc-reporting"}`}},
		{"delete", runbook.DeleteKey{KeyTarget: user},
			[]string{`iam DeleteAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "UserName": "svc-reporting"}`}},
		{"instance role", runbook.ApplyReplacement{Proposal: runbook.Proposal{Kind: runbook.ReplaceInstanceRole, Name: "web-role", Target: "i-0abc", Policy: "{}"}},
			[]string{"iam CreateRole", "iam PutRolePolicy", "iam CreateInstanceProfile", "iam AddRoleToInstanceProfile",
				`ec2 AssociateIamInstanceProfile {"InstanceId": "i-0abc", "IamInstanceProfile.Name": "web-role"}`}},
		{"lambda role", runbook.ApplyReplacement{Proposal: runbook.Proposal{Kind: runbook.ReplaceLambdaRole, Name: "fn-role", Target: "fn"}},
			[]string{`iam CreateRole {"RoleName": "fn-role", "AssumeRolePolicyDocument": "trust lambda.amazonaws.com"}`, "iam PutRolePolicy",
				`lambda UpdateFunctionConfiguration {"FunctionName": "fn", "Role": "fn-role"}`}},
		{"ecs task role", runbook.ApplyReplacement{Proposal: runbook.Proposal{Kind: runbook.ReplaceECSTaskRole, Name: "task-role", Target: "web"}},
			[]string{"iam CreateRole", "iam PutRolePolicy", "ecs RegisterTaskDefinition", "ecs UpdateService"}},
		{"iam user", runbook.ApplyReplacement{Proposal: runbook.Proposal{Kind: runbook.ReplaceIAMUser, Name: "ci"}},
			[]string{`iam CreateUser {"UserName": "ci"}`, "iam PutUserPolicy", `iam CreateAccessKey {"UserName": "ci"}`}},
		// A clean-up's calls are read from the account (awsops.Plan,
		// tested there); without that, the TUI says so instead of guessing.
		{"clean-up not read", runbook.CleanUpResource{Resource: runbook.Resource{Type: "iam-user", ID: "support-admin"}},
			[]string{`(read from the account as it runs) remove iam-user {"Id": "support-admin"}`}},
		{"read-only effects need no confirmation", runbook.PollWatch{KeyID: testKey}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := plannedCalls(tt.effect)
			if len(calls) != len(tt.want) {
				t.Fatalf("%d calls, want %d: %v", len(calls), len(tt.want), calls)
			}
			for i, c := range calls {
				if !strings.HasPrefix(c.String(), tt.want[i]) {
					t.Errorf("call %d = %s, want %s", i, c, tt.want[i])
				}
			}
			if (len(calls) > 0) != tt.effect.Mutates() {
				t.Errorf("%s: calls shown %v but Mutates() = %v", tt.effect.EffectName(), len(calls) > 0, tt.effect.Mutates())
			}
		})
	}
}

func TestDestructiveEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		effect runbook.Effect
		want   bool
	}{
		{runbook.DeactivateKey{}, true},
		{runbook.DeleteKey{}, true},
		{runbook.ReactivateKey{}, false},
		{runbook.ApplyReplacement{}, false},
		{runbook.CleanUpResource{}, false},
	}
	for _, tt := range tests {
		if got := destructive(tt.effect); got != tt.want {
			t.Errorf("destructive(%s) = %v, want %v", tt.effect.EffectName(), got, tt.want)
		}
	}
}
