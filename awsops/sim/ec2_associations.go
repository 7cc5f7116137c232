package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Operations keyrunbook's containment steps call, declared in their
// services' tables (ec2.go, iam.go, cloudtrail.go, org.go): reading and
// replacing an instance's profile association, reading a role's inline
// policy, removing a console password, listing a user's groups and MFA
// devices, a trail's logging status, and whether the account is in an
// organization.

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

func opGetRolePolicy(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	name := c.params.Get("PolicyName")
	i := findDoc(r.inline, name)
	if i < 0 {
		return nil, errNoSuchEntity("The role policy with name " + name + " cannot be found.")
	}
	return &struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{r.name, name, encodeDoc(r.inline[i].doc)}, nil
}

func opDeleteLoginProfile(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	if !u.password {
		return nil, errNoSuchEntity("Login Profile for User " + u.name + " cannot be found.")
	}
	u.password = false
	return nil, nil
}

// opListGroupsForUser answers an empty list: the simulated account has no
// IAM groups.
func opListGroupsForUser(s *Sim, c *call) (any, *apiError) {
	if _, root, e := s.targetUser(c); e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	return &struct {
		Groups      []string `xml:"Groups>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}{}, nil
}

// opListMFADevices lists the one virtual device of a user with MFA.
func opListMFADevices(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	type device struct {
		UserName   string `xml:"UserName"`
		Serial     string `xml:"SerialNumber"`
		EnableDate string `xml:"EnableDate"`
	}
	out := &struct {
		Devices     []device `xml:"MFADevices>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}{}
	if u.mfa {
		out.Devices = append(out.Devices, device{u.name, "arn:aws:iam::" + s.acct.id + ":mfa/" + u.name, u.created.Format(iamTime)})
	}
	return out, nil
}

// opGetTrailStatus reports every scenario trail as logging: the scenario
// format has no stopped trails.
func opGetTrailStatus(s *Sim, c *call) (any, *apiError) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := json.Unmarshal(orJSON(c.body), &in); err != nil {
		return nil, ctErr("SerializationException", "The request body could not be read as a GetTrailStatus request.")
	}
	for _, t := range s.acct.trails {
		arn := "arn:aws:cloudtrail:" + t.HomeRegion + ":" + s.acct.id + ":trail/" + t.Name
		if in.Name != t.Name && in.Name != arn {
			continue
		}
		if t.HomeRegion != c.region && !t.MultiRegion {
			break
		}
		return map[string]any{"IsLogging": true}, nil
	}
	return nil, &apiError{code: "TrailNotFoundException", status: http.StatusBadRequest,
		message: "Unknown trail: " + in.Name + " for the user: " + s.acct.id}
}

// opDescribeOrganization answers for the scenario's organization (org.go),
// or as for an account in no organization.
func opDescribeOrganization(s *Sim, _ *call) (any, *apiError) {
	if s.org != nil {
		return s.describeOrganization() // org_ops.go
	}
	if s.memberOf != nil {
		return s.memberOf, nil // a member simulated whole (org_full.go)
	}
	return nil, &apiError{code: "AWSOrganizationsNotInUseException", status: http.StatusBadRequest,
		message: "Your account is not a member of an organization."}
}
