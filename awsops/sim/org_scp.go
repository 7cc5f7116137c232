package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Service control policies (Organizations API reference: CreatePolicy,
// AttachPolicy, DetachPolicy, DeletePolicy, ListPoliciesForTarget,
// ListPolicies), on account targets. What keyrunbook needs of them is the
// reversible containment of a member's root key: an SCP denying the root
// principal unless aws:AssumedRoot. An SCP attached to a member simulated
// whole takes effect there at once; the management account is never
// affected by SCPs, as on AWS. The operations are in organizationsAPI.

// Organizations quotas for SCPs ("Quotas and service limits for AWS
// Organizations", Maximum and minimum values): 5,120 characters a
// document, 5 SCPs attached to one target, 1,000 policies of a type.
const (
	maxSCPChars    = 5120
	maxSCPsPerTgt  = 5
	maxSCPsPerOrg  = 1000
	scpType        = "SERVICE_CONTROL_POLICY"
	fullAWSAccess  = "p-FullAWSAccess"
	maxPolicyName  = 128
	maxPolicyDescr = 512
)

// orgPolicy is a customer SCP and the accounts it is attached to.
type orgPolicy struct {
	id, name, description, content string
	parsed                         scp
	targets                        []string
}

// scp is a parsed SCP: only its Deny statements change anything, since
// FullAWSAccess stays attached to every account (the sim lets no one
// detach it).
type scp struct{ denies []scpStatement }

type scpStatement struct {
	actions, notActions, resources stringOrList
	conditions                     map[string]map[string]stringOrList
}

func parseSCP(doc string) (scp, error) {
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil || len(raw.Statement) == 0 {
		return scp{}, fmt.Errorf("not a policy document with a Statement")
	}
	type stmt struct {
		Effect    string                             `json:"Effect"`
		Action    stringOrList                       `json:"Action"`
		NotAction stringOrList                       `json:"NotAction"`
		Resource  stringOrList                       `json:"Resource"`
		Condition map[string]map[string]stringOrList `json:"Condition"`
	}
	var list []stmt
	if json.Unmarshal(raw.Statement, &list) != nil {
		var one stmt
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return scp{}, err
		}
		list = []stmt{one}
	}
	var out scp
	for _, st := range list {
		if st.Effect != "Allow" && st.Effect != "Deny" || len(st.Action) == 0 && len(st.NotAction) == 0 {
			return scp{}, fmt.Errorf("a statement needs Effect Allow or Deny and an Action")
		}
		if st.Effect == "Deny" {
			out.denies = append(out.denies, scpStatement{st.Action, st.NotAction, st.Resource, st.Condition})
		}
	}
	return out, nil
}

// scpDenies is the explicit deny of an SCP attached to this (member)
// account, or nil. The conditions modelled are aws:PrincipalArn (ArnLike,
// ArnEquals, StringLike, StringEquals) and Null on aws:AssumedRoot, which
// is present only in an sts:AssumeRoot session; any other condition
// applies, the cautious reading the identity-policy evaluator makes too.
func (s *Sim) scpDenies(c *call, o op) *apiError {
	if len(s.scps) == 0 || o.noAuth || c.who == nil {
		return nil
	}
	action := strings.ToLower(iamAction(c.service, c.action))
	assumedRoot := c.key != nil && c.key.mint != nil && c.key.mint.via == viaAssumeRoot
	for _, p := range s.scps {
		for _, st := range p.denies {
			if st.matches(action, c.who.arn, assumedRoot) {
				return &apiError{code: "AccessDenied", status: http.StatusForbidden,
					message: "User: " + c.who.arn + " is not authorized to perform: " + iamAction(c.service, c.action) + " with an explicit deny in a service control policy"}
			}
		}
	}
	return nil
}

func (st scpStatement) matches(action, principalARN string, assumedRoot bool) bool {
	listed := func(pats []string) bool {
		return slices.ContainsFunc(pats, func(p string) bool { return wildcardMatch(strings.ToLower(p), action) })
	}
	if len(st.actions) > 0 && !listed(st.actions) || len(st.notActions) > 0 && listed(st.notActions) {
		return false
	}
	for op, keys := range st.conditions {
		for key, vals := range keys {
			switch {
			case strings.EqualFold(key, "aws:PrincipalArn") && slices.Contains([]string{"ArnLike", "ArnEquals", "StringLike", "StringEquals"}, op):
				if !slices.ContainsFunc(vals, func(v string) bool { return wildcardMatch(v, principalARN) }) {
					return false
				}
			case strings.EqualFold(key, "aws:AssumedRoot") && op == "Null" && len(vals) == 1:
				if absent := !assumedRoot; (vals[0] == "true") != absent {
					return false
				}
			}
		}
	}
	return true
}

// setSCPs replaces the SCPs in force in a member simulated whole.
func (s *Sim) setSCPs(docs []scp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scps = docs
}

type jsonPolicySummary struct {
	Arn         string `json:"Arn"`
	AwsManaged  bool   `json:"AwsManaged"`
	Description string `json:"Description"`
	ID          string `json:"Id"`
	Name        string `json:"Name"`
	Type        string `json:"Type"`
}

func (s *Sim) policySummary(p *orgPolicy) jsonPolicySummary {
	return jsonPolicySummary{Arn: "arn:aws:organizations::" + s.acct.id + ":policy/" + s.org.id + "/service_control_policy/" + p.id,
		Description: p.description, ID: p.id, Name: p.name, Type: scpType}
}

func fullAccessSummary() jsonPolicySummary {
	return jsonPolicySummary{Arn: "arn:aws:organizations::aws:policy/service_control_policy/" + fullAWSAccess, AwsManaged: true,
		Description: "Allows access to every operation", ID: fullAWSAccess, Name: "FullAWSAccess", Type: scpType}
}

func opCreatePolicy(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errNoOrg()
	}
	var in struct{ Content, Description, Name, Type string }
	if e := restJSONInput(c, &in); e != nil {
		return nil, e
	}
	switch {
	case in.Type != scpType:
		return nil, errOrg("PolicyTypeNotEnabledException", "The specified policy type "+in.Type+" isn't enabled in the organization's root (the simulated organization enables SERVICE_CONTROL_POLICY only).")
	case in.Name == "" || len(in.Name) > maxPolicyName || len(in.Description) > maxPolicyDescr || in.Content == "":
		return nil, errOrg("InvalidInputException", "INPUT_REQUIRED: Name (1 to 128 characters), Description (at most 512) and Content are required.")
	case len(in.Content) > maxSCPChars:
		return nil, errOrg("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED: a service control policy is at most 5,120 characters.")
	case len(s.org.policies) >= maxSCPsPerOrg:
		return nil, errOrg("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED: the organization has 1,000 service control policies already.")
	}
	for _, p := range s.org.policies {
		if p.name == in.Name {
			return nil, errOrg("DuplicatePolicyException", "A policy with the same name already exists.")
		}
	}
	parsed, err := parseSCP(in.Content)
	if err != nil {
		return nil, errOrg("MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type: "+err.Error())
	}
	p := &orgPolicy{id: fmt.Sprintf("p-%08x", s.ids.rng.Uint32()), name: in.Name, description: in.Description, content: in.Content, parsed: parsed}
	s.org.policies = append(s.org.policies, p)
	c.reqParams = map[string]any{"name": in.Name, "type": in.Type, "description": in.Description, "content": in.Content}
	return map[string]any{"Policy": map[string]any{"Content": p.content, "PolicySummary": s.policySummary(p)}}, nil
}

// policyAndTarget reads PolicyId and TargetId, and finds both.
func (s *Sim) policyAndTarget(c *call) (*orgPolicy, string, *apiError) {
	if s.org == nil {
		return nil, "", errNoOrg()
	}
	var in struct{ PolicyId, TargetId string }
	if e := restJSONInput(c, &in); e != nil {
		return nil, "", e
	}
	c.reqParams = map[string]any{"policyId": in.PolicyId, "targetId": in.TargetId}
	p := s.org.policy(in.PolicyId)
	if p == nil {
		return nil, "", errOrg("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	}
	if in.TargetId != s.acct.id && s.org.byID[in.TargetId] == nil {
		return nil, "", errOrg("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	}
	return p, in.TargetId, nil
}

func (org *organization) policy(id string) *orgPolicy {
	for _, p := range org.policies {
		if p.id == id {
			return p
		}
	}
	return nil
}

func opAttachPolicy(s *Sim, c *call) (any, *apiError) {
	p, target, e := s.policyAndTarget(c)
	if e != nil {
		return nil, e
	}
	if slices.Contains(p.targets, target) {
		return nil, errOrg("DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
	}
	if len(s.org.attachedTo(target))+1 >= maxSCPsPerTgt { // FullAWSAccess counts
		return nil, errOrg("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED: a target has at most 5 service control policies attached.")
	}
	p.targets = append(p.targets, target)
	s.org.pushSCPs(target)
	return nil, nil
}

func opDetachPolicy(s *Sim, c *call) (any, *apiError) {
	p, target, e := s.policyAndTarget(c)
	if e != nil {
		return nil, e
	}
	i := slices.Index(p.targets, target)
	if i < 0 {
		return nil, errOrg("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
	}
	p.targets = slices.Delete(p.targets, i, i+1)
	s.org.pushSCPs(target)
	return nil, nil
}

func opDeletePolicy(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errNoOrg()
	}
	var in struct{ PolicyId string }
	if e := restJSONInput(c, &in); e != nil {
		return nil, e
	}
	c.reqParams = map[string]any{"policyId": in.PolicyId}
	p := s.org.policy(in.PolicyId)
	switch {
	case in.PolicyId == fullAWSAccess:
		return nil, errOrg("AccessDeniedException", "You can't delete an AWS managed policy.")
	case p == nil:
		return nil, errOrg("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	case len(p.targets) > 0:
		return nil, errOrg("PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
	}
	s.org.policies = slices.DeleteFunc(s.org.policies, func(q *orgPolicy) bool { return q == p })
	return nil, nil
}

// attachedTo lists the customer SCPs attached to a target.
func (org *organization) attachedTo(target string) []*orgPolicy {
	var out []*orgPolicy
	for _, p := range org.policies {
		if slices.Contains(p.targets, target) {
			out = append(out, p)
		}
	}
	return out
}

// pushSCPs puts the target's SCPs in force in it, if it is simulated whole.
func (org *organization) pushSCPs(target string) {
	m := org.byID[target]
	if m == nil || m.full == nil {
		return
	}
	var docs []scp
	for _, p := range org.attachedTo(target) {
		docs = append(docs, p.parsed)
	}
	m.full.setSCPs(docs)
}

func opListPoliciesForTarget(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errNoOrg()
	}
	var in struct{ TargetId, Filter string }
	if e := restJSONInput(c, &in); e != nil {
		return nil, e
	}
	if in.Filter != scpType {
		return nil, errOrg("InvalidInputException", "INVALID_ENUM: the simulated organization has service control policies only; Filter must be SERVICE_CONTROL_POLICY.")
	}
	if in.TargetId != s.acct.id && s.org.byID[in.TargetId] == nil {
		return nil, errOrg("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	}
	out := []jsonPolicySummary{fullAccessSummary()}
	for _, p := range s.org.attachedTo(in.TargetId) {
		out = append(out, s.policySummary(p))
	}
	return map[string]any{"Policies": out}, nil
}

func opListPolicies(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errNoOrg()
	}
	var in struct{ Filter string }
	if e := restJSONInput(c, &in); e != nil {
		return nil, e
	}
	if in.Filter != scpType {
		return nil, errOrg("InvalidInputException", "INVALID_ENUM: Filter must be SERVICE_CONTROL_POLICY here.")
	}
	out := []jsonPolicySummary{fullAccessSummary()}
	for _, p := range s.org.policies {
		out = append(out, s.policySummary(p))
	}
	return map[string]any{"Policies": out}, nil
}
