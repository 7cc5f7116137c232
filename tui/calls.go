package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// field is one input parameter of an AWS call, kept in the order the API
// reference lists it so the confirmation reads like the documentation.
type field struct {
	Name  string
	Value string
}

// plannedCall is one AWS API call a mutating effect makes, shown to the
// responder before it runs.
type plannedCall struct {
	Service   string
	Operation string
	Input     []field
	// Note says what the call does when its input alone does not.
	Note string
}

// String renders the call as `iam UpdateAccessKey {"AccessKeyId": "…", …}`.
func (c plannedCall) String() string {
	parts := make([]string, len(c.Input))
	for i, f := range c.Input {
		parts[i] = strconv.Quote(f.Name) + ": " + strconv.Quote(f.Value)
	}
	return c.Service + " " + c.Operation + " {" + strings.Join(parts, ", ") + "}"
}

// plannedCalls derives the AWS calls an effect makes from the effect's own
// value; read-only effects make no call that needs confirming.
func plannedCalls(e runbook.Effect) []plannedCall {
	switch x := e.(type) {
	case runbook.DeactivateKey:
		return []plannedCall{updateKeyCall(x.KeyTarget, "Inactive")}
	case runbook.ReactivateKey:
		return []plannedCall{updateKeyCall(x.KeyTarget, "Active")}
	case runbook.DeleteKey:
		c := plannedCall{Service: "iam", Operation: "DeleteAccessKey", Input: keyInput(x.KeyTarget)}
		c.Note = rootNote(x.KeyTarget)
		return []plannedCall{c}
	case runbook.ApplyReplacement:
		return replacementCalls(x.Proposal)
	case runbook.CleanUpResource:
		return cleanUpCall(x.Resource)
	case runbook.RevokeOlderSessions:
		return revocationCalls(x)
	}
	return nil
}

// keyInput names exactly one key. Without UserName, IAM acts on the keys of
// the caller itself (the root user's, when called as root), so a user's key
// always carries its UserName.
func keyInput(t runbook.KeyTarget) []field {
	in := []field{{"AccessKeyId", t.KeyID}}
	if !t.Root && t.User != "" {
		in = append(in, field{"UserName", t.User})
	}
	return in
}

func updateKeyCall(t runbook.KeyTarget, status string) plannedCall {
	in := []field{{"AccessKeyId", t.KeyID}, {"Status", status}}
	if !t.Root && t.User != "" {
		in = append(in, field{"UserName", t.User})
	}
	return plannedCall{Service: "iam", Operation: "UpdateAccessKey", Input: in, Note: rootNote(t)}
}

func rootNote(t runbook.KeyTarget) string {
	if t.Root {
		return "root key: no UserName, so IAM acts on the root user's own keys (the call must be made as root)"
	}
	return ""
}

// trustPrincipal is the service that assumes each kind of replacement role.
var trustPrincipal = map[runbook.ReplacementKind]string{
	runbook.ReplaceInstanceRole: "ec2.amazonaws.com",
	runbook.ReplaceLambdaRole:   "lambda.amazonaws.com",
	runbook.ReplaceECSTaskRole:  "ecs-tasks.amazonaws.com",
}

// replacementPolicyName is the inline policy's name on every replacement
// (awsops.ReplacementPolicyName; tui does not import awsops).
const replacementPolicyName = "keyrunbook-least-privilege"

// replacementCalls lists what applying a proposal creates (DESIGN.md,
// "Replacements"), in the order awsops makes the calls. An identity that
// exists already is reused, so a call may turn out not to be needed. The
// policy document itself is the one shown in Propose.
func replacementCalls(p runbook.Proposal) []plannedCall {
	policy := fmt.Sprintf("(the policy shown in Propose, %d bytes)", len(p.Policy))
	policyName := replacementPolicyName
	if p.Kind == runbook.ReplaceIAMUser {
		return []plannedCall{
			{Service: "iam", Operation: "CreateUser", Input: []field{{"UserName", p.Name}}},
			{Service: "iam", Operation: "PutUserPolicy", Input: []field{{"UserName", p.Name}, {"PolicyName", policyName}, {"PolicyDocument", policy}}},
			{Service: "iam", Operation: "CreateAccessKey", Input: []field{{"UserName", p.Name}},
				Note: "the new secret is handed to you once; it is never shown here or written to the log"},
		}
	}
	if p.Kind == runbook.ReplaceOIDCRole {
		return []plannedCall{
			{Service: "iam", Operation: "CreateOpenIDConnectProvider", Input: []field{{"Url", "https://token.actions.githubusercontent.com"}, {"ClientIDList", "sts.amazonaws.com"}},
				Note: "only when the account has no provider for GitHub Actions yet"},
			{Service: "iam", Operation: "CreateRole", Input: []field{{"RoleName", p.Name}, {"AssumeRolePolicyDocument", "trust token.actions.githubusercontent.com for " + p.Target}}},
			{Service: "iam", Operation: "PutRolePolicy", Input: []field{{"RoleName", p.Name}, {"PolicyName", policyName}, {"PolicyDocument", policy}}},
		}
	}
	calls := []plannedCall{
		{Service: "iam", Operation: "CreateRole", Input: []field{{"RoleName", p.Name}, {"AssumeRolePolicyDocument", "trust " + trustPrincipal[p.Kind]}}},
		{Service: "iam", Operation: "PutRolePolicy", Input: []field{{"RoleName", p.Name}, {"PolicyName", policyName}, {"PolicyDocument", policy}}},
	}
	switch p.Kind {
	case runbook.ReplaceInstanceRole:
		calls = append(calls,
			plannedCall{Service: "iam", Operation: "CreateInstanceProfile", Input: []field{{"InstanceProfileName", p.Name}}},
			plannedCall{Service: "iam", Operation: "AddRoleToInstanceProfile", Input: []field{{"InstanceProfileName", p.Name}, {"RoleName", p.Name}}},
			plannedCall{Service: "ec2", Operation: "AssociateIamInstanceProfile", Input: []field{{"InstanceId", p.Target}, {"IamInstanceProfile.Name", p.Name}},
				Note: "ReplaceIamInstanceProfileAssociation instead when the instance already has a profile"})
	case runbook.ReplaceLambdaRole:
		calls = append(calls, plannedCall{Service: "lambda", Operation: "UpdateFunctionConfiguration", Input: []field{{"FunctionName", p.Target}, {"Role", p.Name}}})
	case runbook.ReplaceECSTaskRole:
		calls = append(calls,
			plannedCall{Service: "ecs", Operation: "RegisterTaskDefinition", Input: []field{{"family", p.Target}, {"taskRoleArn", p.Name}},
				Note: "a new revision of the current task definition with the task role set"},
			plannedCall{Service: "ecs", Operation: "UpdateService", Input: []field{{"taskDefinition", p.Target + " (new revision)"}}})
	}
	return calls
}

// cleanUpCall stands for a clean-up's calls when the account could not be
// read for them (Options.Plan): they depend on what the resource holds,
// which only awsops reads, so the TUI does not guess them.
func cleanUpCall(r runbook.Resource) []plannedCall {
	return []plannedCall{{Service: "(read from the account as it runs)", Operation: "remove " + r.Type, Input: []field{{"Id", r.ID}},
		Note: "the exact calls depend on what it holds, which could not be read now"}}
}

// destructive reports whether an effect needs more than Enter to run: the
// ones that turn the key off or remove it.
func destructive(e runbook.Effect) bool {
	switch e.(type) {
	case runbook.DeactivateKey, runbook.DeleteKey:
		return true
	}
	return false
}
