package sim

import (
	"net/http"
	"slices"
)

// Removing a role, as keyrunbook's clean-up of an attacker's role does it
// and as IAM requires: out of its instance profiles, its managed policies
// detached and inline ones deleted, then the role itself. IAM refuses to
// delete a role or profile something still hangs on (DeleteConflict), and
// each step names a missing entity with NoSuchEntity (IAM API reference).

// profilesOf lists the instance profiles holding a role, by name.
func (a *account) profilesOf(role string) []*instanceProfile {
	var out []*instanceProfile
	for _, n := range sortedKeys(a.profiles) {
		if p := a.profiles[n]; slices.Contains(p.roles, role) {
			out = append(out, p)
		}
	}
	return out
}

func opListInstanceProfilesForRole(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	profiles := s.acct.profilesOf(r.name)
	lo, hi, marker, e := paginate(c, len(profiles))
	if e != nil {
		return nil, e
	}
	out := struct {
		Profiles    []xmlProfile `xml:"InstanceProfiles>member"`
		IsTruncated bool         `xml:"IsTruncated"`
		Marker      string       `xml:"Marker,omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, p := range profiles[lo:hi] {
		out.Profiles = append(out.Profiles, s.xmlProfileOf(p))
	}
	return &out, nil
}

func opListAttachedRolePolicies(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	return s.attachedPage(c, r.attached)
}

func opListRolePolicies(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	return inlinePage(c, r.inline)
}

func opDetachRolePolicy(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	arn := c.params.Get("PolicyArn")
	if !slices.Contains(r.attached, arn) {
		return nil, errNoSuchEntity("Policy " + arn + " was not found.")
	}
	r.attached = slices.DeleteFunc(r.attached, func(a string) bool { return a == arn })
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::Policy", Name: arn})
	return nil, nil
}

func opDeleteRolePolicy(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	name := c.params.Get("PolicyName")
	i := findDoc(r.inline, name)
	if i < 0 {
		return nil, errNoSuchEntity("The role policy with name " + name + " cannot be found.")
	}
	r.inline = slices.Delete(r.inline, i, i+1)
	return nil, nil
}

func opRemoveRoleFromInstanceProfile(s *Sim, c *call) (any, *apiError) {
	p, e := s.profileNamed(c)
	if e != nil {
		return nil, e
	}
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(p.roles, r.name) {
		return nil, errNoSuchEntity("The role with name " + r.name + " cannot be found in instance profile " + p.name + ".")
	}
	p.roles = slices.DeleteFunc(p.roles, func(n string) bool { return n == r.name })
	return nil, nil
}

func errDeleteConflict(what string) *apiError {
	return &apiError{code: "DeleteConflict", message: "Cannot delete entity, must " + what + " first.", status: http.StatusConflict}
}

func opDeleteInstanceProfile(s *Sim, c *call) (any, *apiError) {
	p, e := s.profileNamed(c)
	if e != nil {
		return nil, e
	}
	if len(p.roles) > 0 {
		return nil, errDeleteConflict("remove roles from instance profile")
	}
	delete(s.acct.profiles, p.name)
	return nil, nil
}

// opDeleteRole deletes a role nothing hangs on. Sessions already issued
// for it keep their keys, but with the role gone no policy allows them
// anything: a workload still calling as it fails, as on AWS.
func opDeleteRole(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	switch {
	case len(s.acct.profilesOf(r.name)) > 0:
		return nil, errDeleteConflict("remove roles from instance profile")
	case len(r.attached) > 0:
		return nil, errDeleteConflict("detach all policies")
	case len(r.inline) > 0:
		return nil, errDeleteConflict("delete policies")
	}
	delete(s.acct.roles, r.name)
	return nil, nil
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
