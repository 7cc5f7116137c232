package main

import (
	"encoding/json"
	"slices"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// kpOpHeader carries, from the child's SDK clients to the parent's proxy,
// the operation a request is for, named as awsops.MutatingOperations names
// it: the proxy needs no wire-protocol knowledge to tell a mutation.
const kpOpHeader = "X-Keyrunbook-Kp-Op"

// kpCase is one incident the kill-point test plays: a scenario, perhaps
// varied so that the incident sends calls the embedded drills do not, and
// the responder's choices (env, read by the child's kpPlay).
type kpCase struct {
	name     string
	scenario string
	vary     func(*sim.Scenario)
	env      []string
	// sends are calls the case exists for, as occurrences labels them
	// ("iam:UpdateAccessKey#2" is the run's second UpdateAccessKey): the
	// clean run must send them, and each is a kill point even when an
	// earlier case killed at its operation.
	sends []string
	// member is the Organizations member account (of an organization
	// scenario) whose root key the incident is about, from the management
	// account; retire plays `keyrunbook org --retire-unused` instead.
	member string
	retire bool
}

// kpCases together send every operation of awsops.MutatingOperations (the
// test fails otherwise) but those in kpUnreachable.
var kpCases = []kpCase{
	// The root key (with root's credentials), an EC2 instance role, an
	// on-premises user key, the attacker's user and instances removed.
	{name: "root-key-ec2-onprem", scenario: "root-key-ec2-onprem",
		sends: []string{"iam:CreateInstanceProfile", "ec2:AssociateIamInstanceProfile", "ec2:TerminateInstances",
			"iam:UpdateAccessKey#2", "iam:DeleteAccessKey#2"}},
	{name: "root-key-ec2-onprem-profiled", scenario: "root-key-ec2-onprem", vary: profiledInstance,
		sends: []string{"ec2:ReplaceIamInstanceProfileAssociation"}},
	// An IAM user's key: a Lambda execution role, the leaked key itself.
	{name: "iam-user-lambda-ci", scenario: "iam-user-lambda-ci",
		sends: []string{"lambda:UpdateFunctionConfiguration", "iam:UpdateAccessKey", "iam:DeleteAccessKey"}},
	// An ECS task role, an OIDC role for the CI, and a roll-back during the
	// watch: the second UpdateAccessKey reactivates, the third deactivates
	// again.
	{name: "iam-user-lambda-ci-ecs-oidc-rollback", scenario: "iam-user-lambda-ci", vary: grafanaOnLeakedKey,
		env: []string{"KP_OIDC=deploy-pipeline", "KP_ROLLBACK=1"},
		sends: []string{"ecs:RegisterTaskDefinition", "ecs:UpdateService", "iam:CreateOpenIDConnectProvider", "iam:CreateRole#3",
			"iam:UpdateAccessKey#2", "iam:UpdateAccessKey#3"}},
	// Sessions the key minted revoked (AWSRevokeOlderSessions on a role and
	// on the key's user).
	{name: "minted-session", scenario: "minted-session", sends: []string{"iam:PutRolePolicy", "iam:PutUserPolicy#2"}},
	{name: "minted-session-persistence", scenario: "minted-session", vary: morePersistence,
		sends: []string{"iam:DeleteLoginProfile", "iam:DeleteUserPolicy", "iam:RemoveRoleFromInstanceProfile",
			"iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"}},
	// A member's root key from the management account: contained with an
	// SCP (created and attached), a roll-back during the watch (detached and
	// deleted), contained again, deleted in an sts:AssumeRoot session, and
	// the SCP removed from the hardening checklist (detached and deleted).
	{name: "org-member-root-key-rollback", scenario: "org-iam4", member: "410000000102", env: []string{"KP_ROLLBACK=1"},
		sends: []string{"organizations:CreatePolicy", "organizations:AttachPolicy", "organizations:DetachPolicy", "organizations:DeletePolicy",
			"organizations:CreatePolicy#2", "organizations:AttachPolicy#2", "iam:DeleteAccessKey",
			"organizations:DetachPolicy#2", "organizations:DeletePolicy#2"}},
	// The bulk retirement of the root keys no caller used (`keyrunbook org
	// --retire-unused`, resumed by running it again on its log): killed at
	// the first, a middle and the last deletion.
	{name: "org-retire-unused", scenario: "org-iam4", retire: true,
		sends: []string{"iam:DeleteAccessKey", "iam:DeleteAccessKey#3", "iam:DeleteAccessKey#5"}},
}

// kpUnreachable are mutating operations no incident against the simulated
// account can send, with the reason. The test fails when the sim serves one
// of them: then a case must send it.
var kpUnreachable = map[string]string{
	"iam:RemoveUserFromGroup": "the simulated account has no IAM groups (ListGroupsForUser answers none), so removing a user never leaves one",
	"iam:DeactivateMFADevice": "no scenario step can give the attacker's user an MFA device",
}

// profiledInstance gives the EC2 workload's instance a profile already,
// so its replacement replaces the association instead of adding one.
func profiledInstance(sc *sim.Scenario) {
	trust := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	sc.Roles = append(sc.Roles, sim.Role{Name: "billing-legacy", Created: "-400d", AssumeRolePolicy: trust})
	sc.InstanceProfiles = append(sc.InstanceProfiles, sim.InstanceProfile{Name: "billing-legacy", Created: "-400d", Role: "billing-legacy"})
	for _, w := range sc.Workloads {
		if w.Legitimate && w.Kind == sim.KindEC2 {
			for i := range sc.Instances {
				if sc.Instances[i].ID == w.RunsOn {
					sc.Instances[i].InstanceProfile = "billing-legacy"
				}
			}
		}
	}
}

// grafanaOnLeakedKey moves the ECS service onto the leaked key, with the
// permission its calls need, so the incident gives it a task role.
func grafanaOnLeakedKey(sc *sim.Scenario) {
	leakedUser := -1
	for i, u := range sc.Users {
		if slices.ContainsFunc(u.Keys, func(k sim.Key) bool { return k.Ref == sc.LeakedKey }) {
			leakedUser = i
		}
	}
	sc.Users[leakedUser].InlinePolicies = append(sc.Users[leakedUser].InlinePolicies, sim.InlinePolicy{Name: "grafana",
		Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:DescribeAlarms","Resource":"*"}]}`)})
	for i := range sc.Workloads {
		if sc.Workloads[i].Kind == sim.KindECS {
			sc.Workloads[i].Key = sc.LeakedKey
		}
	}
}

// morePersistence has the attacker's admin session leave more behind: an
// inline policy on its user, a role with policies in an instance profile,
// and a console password changed on the leaked key's own user.
func morePersistence(sc *sim.Scenario) {
	leakedUser := ""
	for i, u := range sc.Users {
		if slices.ContainsFunc(u.Keys, func(k sim.Key) bool { return k.Ref == sc.LeakedKey }) {
			sc.Users[i].Password, leakedUser = true, u.Name
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	for i, w := range sc.Workloads {
		if w.Name != "intruder-admin" {
			continue
		}
		sc.Workloads[i].Steps = append(sc.Workloads[i].Steps,
			sim.Step{At: "-35m", Service: "iam", Action: "PutUserPolicy", Params: map[string]string{"UserName": "build-cache-svc", "PolicyName": "cache", "PolicyDocument": inline}},
			sim.Step{At: "-34m", Service: "iam", Action: "CreateRole", Params: map[string]string{"RoleName": "cache-warmer", "AssumeRolePolicyDocument": trust}},
			sim.Step{At: "-33m", Service: "iam", Action: "AttachRolePolicy", Params: map[string]string{"RoleName": "cache-warmer", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
			sim.Step{At: "-32m", Service: "iam", Action: "PutRolePolicy", Params: map[string]string{"RoleName": "cache-warmer", "PolicyName": "warm", "PolicyDocument": inline}},
			sim.Step{At: "-31m", Service: "iam", Action: "CreateInstanceProfile", Params: map[string]string{"InstanceProfileName": "cache-warmer"}},
			sim.Step{At: "-30m", Service: "iam", Action: "AddRoleToInstanceProfile", Params: map[string]string{"InstanceProfileName": "cache-warmer", "RoleName": "cache-warmer"}},
			sim.Step{At: "-29m", Service: "iam", Action: "UpdateLoginProfile", Params: map[string]string{"UserName": leakedUser, "PasswordResetRequired": "false"}},
		)
	}
}
