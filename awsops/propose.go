package awsops

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// ReplacementPolicyName names the inline policy a replacement carries, on
// the role or the user; apply and the exports use the same name, so a
// second apply overwrites it instead of adding another.
const ReplacementPolicyName = "keyrunbook-least-privilege"

// IAM quotas on inline policy size, counted without whitespace (IAM and
// STS quotas page): all inline policies of a role, of a user.
const (
	roleInlinePolicyMax = 10240
	userInlinePolicyMax = 2048
)

// federationWarning is issue 5's note for every off-AWS replacement.
const federationWarning = "An IAM user with its own access key is the quick fix and is still a long-lived key. The better end state is IAM Roles Anywhere for an on-premises host, or OIDC federation for CI (for GitHub Actions, a role trusting token.actions.githubusercontent.com): no key to leak."

// Propose builds one proposal per caller that needs a replacement: a role
// for EC2, Lambda and ECS callers, an IAM user for callers off AWS. Callers
// on the same target (two tools on one instance) get the same name and one
// policy covering both, because an instance holds one instance profile and
// a function one execution role; applying the second is then a no-op.
func Propose(inv runbook.Investigation, account string) []runbook.Proposal {
	groups := map[string][]runbook.UsageCaller{}
	var order []runbook.UsageCaller
	for _, c := range inv.Callers {
		if c.NeedsReplacement() {
			groups[groupKey(c)] = append(groups[groupKey(c)], c)
			order = append(order, c)
		}
	}
	var out []runbook.Proposal
	for _, c := range order {
		kind, target := replacementFor(c)
		p := runbook.Proposal{CallerID: c.ID, Kind: kind, Target: target, Region: c.ResourceRegion,
			Name: replacementName(kind, nameSeed(kind, c, target), c.ID)}
		var uses []runbook.ActionUse
		for _, member := range groups[groupKey(c)] {
			uses = append(uses, member.Actions...)
			if member.ID != c.ID {
				p.Warnings = append(p.Warnings, fmt.Sprintf("Shares %s with caller %s (%s, %s) on the same target: one identity per target, so this policy covers both callers' calls.", p.Name, member.ID, member.SourceIP, orDash(member.Tool)))
			}
		}
		var extras []extraGrant
		if kind == runbook.ReplaceLambdaRole && target != "" && account != "" && p.Region != "" {
			extras = append(extras, lambdaLogsGrant(account, p.Region, target))
		}
		pol := buildPolicy(uses, extras)
		p.Policy, p.Attempted = pol.Document, pol.Attempted
		p.Warnings = append(p.Warnings, kindWarnings(c, p)...)
		p.Warnings = append(p.Warnings, pol.Warnings...)
		if limit := policyLimit(kind); pol.Document != "" && compactPolicySize(pol.Document) > limit {
			p.Warnings = append(p.Warnings, fmt.Sprintf("The policy is %d characters without whitespace; IAM allows %d for this identity's inline policies: make it a managed policy or widen resources with wildcards.", compactPolicySize(pol.Document), limit))
		}
		out = append(out, p)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// replacementFor picks the kind of identity and its target for a caller.
func replacementFor(c runbook.UsageCaller) (runbook.ReplacementKind, string) {
	switch c.Kind {
	case runbook.CallerEC2:
		return runbook.ReplaceInstanceRole, c.Resource
	case runbook.CallerLambda:
		return runbook.ReplaceLambdaRole, c.Resource
	case runbook.CallerECS:
		return runbook.ReplaceECSTaskRole, c.Resource
	}
	if kind, target, ok := newKindFor(c); ok {
		return kind, target
	}
	return runbook.ReplaceIAMUser, c.SourceIP
}

// groupKey joins callers that share a target; a caller without a known
// target stands alone.
func groupKey(c runbook.UsageCaller) string {
	kind, target := replacementFor(c)
	if target == "" {
		return string(kind) + "\x00caller\x00" + c.ID
	}
	if kind == runbook.ReplaceEKSPodIdentity {
		target += eksGroupKey(c)
	}
	return string(kind) + "\x00" + c.ResourceRegion + "\x00" + target
}

func policyLimit(kind runbook.ReplacementKind) int {
	if kind == runbook.ReplaceIAMUser {
		return userInlinePolicyMax
	}
	return roleInlinePolicyMax
}

func lambdaLogsGrant(account, region, function string) extraGrant {
	group := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/lambda/%s", judge.Partition(region), region, account, function)
	return extraGrant{
		actions:   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
		resources: []string{group, group + ":*"},
		why:       fmt.Sprintf("Added CloudWatch Logs writes to /aws/lambda/%s: an execution role needs them for the function to log, and the key's calls cannot show them. The function's current role may grant more (VPC access, X-Ray): compare before applying.", function),
	}
}

func kindWarnings(c runbook.UsageCaller, p runbook.Proposal) []string {
	switch p.Kind {
	case runbook.ReplaceInstanceRole:
		if p.Target == "" {
			return []string{fmt.Sprintf("The instance behind %s is not known (an Elastic IP off any instance, such as a NAT gateway's): set the target instance before applying.", c.SourceIP)}
		}
	case runbook.ReplaceLambdaRole:
		if p.Target == "" {
			return []string{"Which function this is, the investigation could not tell: set the function name before applying."}
		}
	case runbook.ReplaceECSTaskRole:
		w := "The role goes into a new revision of the service's task definition as taskRoleArn; the service then moves to that revision."
		if !strings.Contains(p.Target, "/") {
			w += " Which ECS service runs this caller, the investigation could not tell: set the target to CLUSTER/SERVICE before applying."
		}
		return []string{w}
	case runbook.ReplaceIAMUser:
		if c.Kind == runbook.CallerCloudShell {
			return []string{"CloudShell already runs with the console user's own credentials: removing the key from CloudShell and granting this policy to that person's role may be all that is needed.", federationWarning}
		}
		return []string{federationWarning}
	}
	return newKindWarnings(p)
}

// iamNameChars are the characters IAM allows in role and user names.
var iamNameChars = regexp.MustCompile(`[^\w+=,.@-]`)

// iamNameMax is IAM's limit on role and user names (64 characters).
const iamNameMax = 64

// replacementName names the role or user: keyrunbook-<target>-role for
// roles, keyrunbook-<host> for users, cut to IAM's 64 characters with a
// short hash so two long targets never share a name.
func replacementName(kind runbook.ReplacementKind, target, callerID string) string {
	suffix := "-role"
	switch kind {
	case runbook.ReplaceIAMUser:
		suffix = ""
	case runbook.ReplaceLambdaRole:
		if target == "" {
			target = "lambda-" + callerID
		}
	case runbook.ReplaceECSTaskRole:
		if target == "" {
			target = "ecs-" + callerID
		}
	case runbook.ReplaceInstanceRole:
		if target == "" {
			target = "ec2-" + callerID
		}
	}
	middle := iamNameChars.ReplaceAllString(target, "-")
	if len("keyrunbook-")+len(middle)+len(suffix) > iamNameMax {
		sum := sha256.Sum256([]byte(target))
		tag := "-" + hex.EncodeToString(sum[:3])
		middle = middle[:iamNameMax-len("keyrunbook-")-len(suffix)-len(tag)] + tag
	}
	return strings.TrimSuffix("keyrunbook-"+middle, "-") + suffix
}
