package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// policy is a parsed identity policy: only what the evaluator uses.
type policy struct {
	statements []statement
}

type statement struct {
	allow       bool
	actions     []string // lower-cased patterns; NotAction when notAction
	notAction   bool
	resources   []string
	notResource bool
	conditional bool
	// issuedBefore is a DateLessThan aws:TokenIssueTime condition, the one
	// condition evaluated (sts_mint_limits.go).
	issuedBefore time.Time
}

// stringOrList is IAM's "one string or a list of strings".
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*s = many
	return nil
}

type rawStatement struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      stringOrList    `json:"Action"`
	NotAction   stringOrList    `json:"NotAction"`
	Resource    stringOrList    `json:"Resource"`
	NotResource stringOrList    `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
	Principal   json.RawMessage `json:"Principal"`
}

// parsePolicy reads an identity policy document. It accepts what IAM accepts
// for the fields it evaluates and says which statement is wrong otherwise.
func parsePolicy(doc []byte) (*policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	var stmts []rawStatement
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one rawStatement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, errors.New("policy needs a Statement object or list")
		}
		stmts = []rawStatement{one}
	}
	if len(stmts) == 0 {
		return nil, errors.New("policy has no statement")
	}
	p := &policy{}
	for i, rs := range stmts {
		st := statement{conditional: len(rs.Condition) > 0 && string(rs.Condition) != "null"}
		if t, ok := tokenIssueCondition(rs.Condition); ok {
			st.issuedBefore, st.conditional = t, false
		}
		switch rs.Effect {
		case "Allow":
			st.allow = true
		case "Deny":
		default:
			return nil, fmt.Errorf("statement %d: Effect %q is neither Allow nor Deny", i, rs.Effect)
		}
		switch {
		case len(rs.Action) > 0 && len(rs.NotAction) == 0:
			st.actions = rs.Action
		case len(rs.NotAction) > 0 && len(rs.Action) == 0:
			st.actions, st.notAction = rs.NotAction, true
		default:
			return nil, fmt.Errorf("statement %d: needs exactly one of Action and NotAction", i)
		}
		for j, a := range st.actions {
			if a != "*" && !strings.Contains(a, ":") {
				return nil, fmt.Errorf("statement %d: action %q is not service:Action", i, a)
			}
			st.actions[j] = strings.ToLower(a)
		}
		switch {
		case len(rs.Resource) > 0 && len(rs.NotResource) == 0:
			st.resources = rs.Resource
		case len(rs.NotResource) > 0 && len(rs.Resource) == 0:
			st.resources, st.notResource = rs.NotResource, true
		default:
			return nil, fmt.Errorf("statement %d: needs exactly one of Resource and NotResource", i)
		}
		if len(rs.Principal) > 0 {
			return nil, fmt.Errorf("statement %d: an identity policy has no Principal", i)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// decision is the outcome of evaluating a request against policies.
type decision int

const (
	implicitDeny decision = iota
	allowed
	explicitDeny
)

// evaluate decides action (service:Action) on resource under the given
// policies: an explicit Deny wins, then any Allow, else implicit deny (IAM
// policy evaluation logic). Conditions are not modelled: a conditional Allow
// does not grant and a conditional Deny applies, the cautious reading.
func evaluate(policies []*policy, action, resource string) decision {
	return evaluateIn(policies, action, resource, requestContext{})
}

// evaluateIn is evaluate for a request whose context is known: a statement
// conditioned on aws:TokenIssueTime applies only when its condition holds.
func evaluateIn(policies []*policy, action, resource string, rc requestContext) decision {
	action = strings.ToLower(action)
	d := implicitDeny
	for _, p := range policies {
		for _, st := range p.statements {
			if !st.matches(action, resource) || !st.conditionHolds(rc) {
				continue
			}
			if !st.allow {
				return explicitDeny
			}
			if !st.conditional {
				d = allowed
			}
		}
	}
	return d
}

func (st statement) matches(action, resource string) bool {
	hit := false
	for _, a := range st.actions {
		if wildcardMatch(a, action) {
			hit = true
			break
		}
	}
	if hit == st.notAction {
		return false
	}
	hit = false
	for _, r := range st.resources {
		if wildcardMatch(r, resource) {
			hit = true
			break
		}
	}
	return hit != st.notResource
}

// wildcardMatch matches s against pattern, where * is any run of characters
// and ? any one character, as in IAM Action and Resource elements.
func wildcardMatch(pattern, s string) bool {
	// Iterative matcher with single-star backtracking: linear in practice,
	// never exponential on hostile patterns.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// QuarantinePolicyARN is the AWS managed policy AWS attaches to an IAM user
// whose key it found exposed. The built-in document is an approximation of
// AWSCompromisedKeyQuarantineV3: it denies the actions the responder most
// needs to know about (creating identities, changing keys, reading
// CloudTrail, launching compute).
const QuarantinePolicyARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"

// builtinPolicies are the AWS managed policies the scenarios may attach,
// keyed by ARN. ReadOnlyAccess is reduced to its verbs.
var builtinPolicies = map[string]string{
	"arn:aws:iam::aws:policy/AdministratorAccess":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"arn:aws:iam::aws:policy/ReadOnlyAccess":               `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*:Describe*","*:Get*","*:List*","cloudtrail:LookupEvents","iam:GenerateCredentialReport"],"Resource":"*"}]}`,
	"arn:aws:iam::aws:policy/SecurityAudit":                `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:GenerateCredentialReport","cloudtrail:Describe*","cloudtrail:LookupEvents","ec2:Describe*","sts:GetAccessKeyInfo"],"Resource":"*"}]}`,
	"arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]}`,
	"arn:aws:iam::aws:policy/IAMFullAccess":                `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization"],"Resource":"*"}]}`,
	QuarantinePolicyARN:                                    `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:AttachGroupPolicy","iam:AttachRolePolicy","iam:AttachUserPolicy","iam:ChangePassword","iam:CreateAccessKey","iam:CreateInstanceProfile","iam:CreateLoginProfile","iam:CreateRole","iam:CreateUser","iam:DeleteAccessKey","iam:DetachUserPolicy","iam:PutRolePolicy","iam:PutUserPolicy","iam:UpdateAccessKey","iam:UpdateAssumeRolePolicy","iam:UpdateLoginProfile","cloudtrail:LookupEvents","cloudtrail:StopLogging","cloudtrail:DeleteTrail","ec2:RunInstances","ec2:StartInstances","ec2:RequestSpotInstances","ec2:AssociateIamInstanceProfile","lambda:CreateFunction","lambda:UpdateFunctionCode","organizations:*","s3:PutBucketPolicy","s3:PutBucketAcl","sts:GetFederationToken"],"Resource":"*"}]}`,
}

// builtinPolicyName is the last path segment of an AWS managed policy ARN.
func builtinPolicyName(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// managedPolicyARN is a customer policy's ARN, explicit or derived.
func managedPolicyARN(account string, p ManagedPolicy) string {
	if p.ARN != "" {
		return p.ARN
	}
	return "arn:aws:iam::" + account + ":policy/" + p.Name
}
