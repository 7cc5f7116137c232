package sim

import (
	"fmt"
	"slices"
	"strings"
)

// An instance's IAM instance profile association, which keyrunbook's
// containment reads and replaces to swap a compromised instance's role
// (EC2 API reference: DescribeIamInstanceProfileAssociations,
// ReplaceIamInstanceProfileAssociation).

type xmlAssociation struct {
	ID       string        `xml:"associationId"`
	Instance string        `xml:"instanceId"`
	Profile  xmlProfileRef `xml:"iamInstanceProfile"`
	State    string        `xml:"state"`
	Time     string        `xml:"timestamp,omitempty"`
}

func (s *Sim) associationOf(in *instance) xmlAssociation {
	ref := xmlProfileRef{}
	if p := s.acct.profiles[in.profile]; p != nil {
		ref = xmlProfileRef{s.acct.profileARN(p), p.id}
	}
	return xmlAssociation{ID: in.profileAssoc, Instance: in.id, Profile: ref, State: "associated"}
}

func opDescribeIamInstanceProfileAssociations(s *Sim, c *call) (any, *apiError) {
	f := filters(c.params)
	ids := listParam(c.params, "AssociationId")
	out := &struct {
		ec2Result
		Associations []xmlAssociation `xml:"iamInstanceProfileAssociationSet>item"`
	}{}
	for _, id := range sortedKeys(s.acct.instances) {
		in := s.acct.instances[id]
		if in.region != c.region || in.profile == "" || in.profileAssoc == "" {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, in.profileAssoc) {
			continue
		}
		if !pass(f, "instance-id", in.id) || !pass(f, "state", "associated") {
			continue
		}
		out.Associations = append(out.Associations, s.associationOf(in))
	}
	return out, nil
}

func opReplaceIamInstanceProfileAssociation(s *Sim, c *call) (any, *apiError) {
	id := c.params.Get("AssociationId")
	var in *instance
	for _, cand := range s.acct.instances {
		if cand.profileAssoc == id && cand.region == c.region && id != "" {
			in = cand
		}
	}
	if in == nil {
		return nil, ec2Err("InvalidAssociationID.NotFound", "An association with ID "+id+" does not exist")
	}
	name := c.params.Get("IamInstanceProfile.Name")
	if arn := c.params.Get("IamInstanceProfile.Arn"); arn != "" {
		name = arn[strings.LastIndexByte(arn, '/')+1:]
	}
	p := s.acct.profiles[name]
	if p == nil {
		return nil, ec2Err("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name))
	}
	// Passing a role to EC2 needs iam:PassRole on it, as for an association.
	for _, rn := range p.roles {
		r := s.acct.roles[rn]
		if e := s.authorize(&call{service: "iam", action: "PassRole", who: c.who, key: c.key},
			op{resource: func(*Sim, *call) string { return s.acct.roleARN(r) }}); e != nil {
			return nil, ec2Err("UnauthorizedOperation", "You are not authorized to perform this operation. "+e.message)
		}
	}
	in.profile, in.profileAssoc = p.name, s.ids.hexID("iip-assoc-")
	a := s.associationOf(in)
	a.State, a.Time = "associating", c.at.Format(iamTime)
	c.resources = []eventResource{{Type: "AWS::EC2::Instance", Name: in.id}}
	c.respElems = map[string]any{"ReplaceIamInstanceProfileAssociationResponse": map[string]any{
		"requestId": c.requestID, "iamInstanceProfileAssociation": map[string]any{
			"associationId": a.ID, "instanceId": in.id, "state": a.State,
			"iamInstanceProfile": map[string]string{"arn": a.Profile.Arn, "id": a.Profile.ID}}}}
	// The instance's software now gets the new role's credentials.
	if len(p.roles) > 0 {
		if r := s.acct.roles[p.roles[0]]; r != nil {
			for _, w := range s.workloads {
				if w.cw.w.Kind == KindEC2 && w.cw.w.RunsOn == in.id {
					s.assumeRoleFor(w, r, in.region)
				}
			}
		}
	}
	return &struct {
		ec2Result
		Association xmlAssociation `xml:"iamInstanceProfileAssociation"`
	}{Association: a}, nil
}
