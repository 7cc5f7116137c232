package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// IAM returns policy documents URL-encoded (IAM API reference, GetUserPolicy:
// "The policy document returned in this structure is URL-encoded"), and so
// does the sim: clients must url.QueryUnescape them.
func encodeDoc(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

type xmlAttached struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

func opListAttachedUserPolicies(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	return s.attachedPage(c, u.attached)
}

// policyToAttach validates PolicyArn.
func (s *Sim) policyToAttach(c *call) (string, *apiError) {
	arn := c.params.Get("PolicyArn")
	if s.acct.policies[arn] == nil {
		return "", errNoSuchEntity("Policy " + arn + " does not exist or is not attachable.")
	}
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::Policy", Name: arn})
	return arn, nil
}

func opAttachUserPolicy(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	arn, e := s.policyToAttach(c)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(u.attached, arn) {
		u.attached = append(u.attached, arn)
	}
	return nil, nil
}

func opDetachUserPolicy(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	arn := c.params.Get("PolicyArn")
	if !slices.Contains(u.attached, arn) {
		return nil, errNoSuchEntity("Policy " + arn + " was not found.")
	}
	u.attached = slices.DeleteFunc(u.attached, func(a string) bool { return a == arn })
	return nil, nil
}

func opListUserPolicies(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	return inlinePage(c, u.inline)
}

func findDoc(docs []*namedDoc, name string) int {
	return slices.IndexFunc(docs, func(d *namedDoc) bool { return d.name == name })
}

func opGetUserPolicy(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	name := c.params.Get("PolicyName")
	i := findDoc(u.inline, name)
	if i < 0 {
		return nil, errNoSuchEntity("The user policy with name " + name + " cannot be found.")
	}
	return &struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{u.name, name, encodeDoc(u.inline[i].doc)}, nil
}

// putDoc validates and stores an inline policy.
func putDoc(docs *[]*namedDoc, c *call) *apiError {
	name, doc := c.params.Get("PolicyName"), c.params.Get("PolicyDocument")
	if !reIAMName.MatchString(name) {
		return errInvalid("iam", "1 validation error detected: Value '"+name+"' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
	}
	parsed, err := parsePolicy([]byte(doc))
	if err != nil {
		return &apiError{code: "MalformedPolicyDocument", message: "Syntax errors in policy. " + err.Error(), status: http.StatusBadRequest}
	}
	nd := &namedDoc{name: name, doc: doc, parsed: parsed}
	if i := findDoc(*docs, name); i >= 0 {
		(*docs)[i] = nd
		return nil
	}
	*docs = append(*docs, nd)
	slices.SortFunc(*docs, func(a, b *namedDoc) int { return strings.Compare(a.name, b.name) })
	return nil
}

func opPutUserPolicy(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	return nil, putDoc(&u.inline, c)
}

func opDeleteUserPolicy(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	name := c.params.Get("PolicyName")
	i := findDoc(u.inline, name)
	if i < 0 {
		return nil, errNoSuchEntity("The user policy with name " + name + " cannot be found.")
	}
	u.inline = slices.Delete(u.inline, i, i+1)
	return nil, nil
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration,omitempty"`
}

func (s *Sim) xmlRoleOf(r *iamRole) xmlRole {
	return xmlRole{Path: r.path, RoleName: r.name, RoleID: r.id, Arn: s.acct.roleARN(r),
		CreateDate: r.created.Format(iamTime), AssumeRolePolicyDocument: encodeDoc(r.trust),
		Description: r.description, MaxSessionDuration: 3600}
}

func (s *Sim) roleNamed(c *call) (*iamRole, *apiError) {
	name := c.params.Get("RoleName")
	r := s.acct.roles[name]
	if r == nil {
		return nil, errNoSuchEntity("The role with name " + name + " cannot be found.")
	}
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::Role", Name: name})
	return r, nil
}

func opCreateRole(s *Sim, c *call) (any, *apiError) {
	name, trust := c.params.Get("RoleName"), c.params.Get("AssumeRolePolicyDocument")
	if !reIAMName.MatchString(name) {
		return nil, errInvalid("iam", "1 validation error detected: Value '"+name+"' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
	}
	if s.acct.roles[name] != nil {
		return nil, &apiError{code: "EntityAlreadyExists", message: "Role with name " + name + " already exists.", status: http.StatusConflict}
	}
	if !jsonObject(trust) {
		return nil, &apiError{code: "MalformedPolicyDocument", message: "This policy contains invalid Json", status: http.StatusBadRequest}
	}
	r := &iamRole{name: name, path: orDefault(c.params.Get("Path"), "/"), id: s.ids.uniqueID("AROA"),
		description: c.params.Get("Description"), created: c.at, trust: trust}
	s.acct.roles[name] = r
	c.resources = []eventResource{{Type: "AWS::IAM::Role", Name: name}}
	c.respElems = map[string]any{"role": map[string]string{"path": r.path, "roleName": name, "roleId": r.id,
		"arn": s.acct.roleARN(r), "createDate": c.at.Format(trailDate), "assumeRolePolicyDocument": encodeDoc(trust)}}
	return &struct {
		Role xmlRole `xml:"Role"`
	}{s.xmlRoleOf(r)}, nil
}

func opGetRole(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	return &struct {
		Role xmlRole `xml:"Role"`
	}{s.xmlRoleOf(r)}, nil
}

func opPutRolePolicy(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	return nil, putDoc(&r.inline, c)
}

func opAttachRolePolicy(s *Sim, c *call) (any, *apiError) {
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	arn, e := s.policyToAttach(c)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(r.attached, arn) {
		r.attached = append(r.attached, arn)
	}
	return nil, nil
}

type xmlProfile struct {
	Path       string    `xml:"Path"`
	Name       string    `xml:"InstanceProfileName"`
	ID         string    `xml:"InstanceProfileId"`
	Arn        string    `xml:"Arn"`
	CreateDate string    `xml:"CreateDate"`
	Roles      []xmlRole `xml:"Roles>member"`
}

func (s *Sim) xmlProfileOf(p *instanceProfile) xmlProfile {
	out := xmlProfile{Path: p.path, Name: p.name, ID: p.id, Arn: s.acct.profileARN(p), CreateDate: p.created.Format(iamTime)}
	for _, rn := range p.roles {
		if r := s.acct.roles[rn]; r != nil {
			out.Roles = append(out.Roles, s.xmlRoleOf(r))
		}
	}
	return out
}

func opCreateInstanceProfile(s *Sim, c *call) (any, *apiError) {
	name := c.params.Get("InstanceProfileName")
	if !reIAMName.MatchString(name) {
		return nil, errInvalid("iam", "1 validation error detected: Value '"+name+"' at 'instanceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
	}
	if s.acct.profiles[name] != nil {
		return nil, &apiError{code: "EntityAlreadyExists", message: "Instance Profile " + name + " already exists.", status: http.StatusConflict}
	}
	p := &instanceProfile{name: name, path: orDefault(c.params.Get("Path"), "/"), id: s.ids.uniqueID("AIPA"), created: c.at}
	s.acct.profiles[name] = p
	c.resources = []eventResource{{Type: "AWS::IAM::InstanceProfile", Name: name}}
	c.respElems = map[string]any{"instanceProfile": map[string]any{"path": p.path, "instanceProfileName": name,
		"instanceProfileId": p.id, "arn": s.acct.profileARN(p), "createDate": c.at.Format(trailDate), "roles": []any{}}}
	return &struct {
		Profile xmlProfile `xml:"InstanceProfile"`
	}{s.xmlProfileOf(p)}, nil
}

func (s *Sim) profileNamed(c *call) (*instanceProfile, *apiError) {
	name := c.params.Get("InstanceProfileName")
	p := s.acct.profiles[name]
	if p == nil {
		return nil, errNoSuchEntity("Instance Profile " + name + " cannot be found.")
	}
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::InstanceProfile", Name: name})
	return p, nil
}

func opGetInstanceProfile(s *Sim, c *call) (any, *apiError) {
	p, e := s.profileNamed(c)
	if e != nil {
		return nil, e
	}
	return &struct {
		Profile xmlProfile `xml:"InstanceProfile"`
	}{s.xmlProfileOf(p)}, nil
}

func opAddRoleToInstanceProfile(s *Sim, c *call) (any, *apiError) {
	p, e := s.profileNamed(c)
	if e != nil {
		return nil, e
	}
	r, e := s.roleNamed(c)
	if e != nil {
		return nil, e
	}
	if len(p.roles) > 0 {
		return nil, &apiError{code: "LimitExceeded", message: "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", status: http.StatusConflict}
	}
	p.roles = []string{r.name}
	return nil, nil
}

// attachedPage answers a List*AttachedPolicies page (users and roles alike).
func (s *Sim) attachedPage(c *call, arns []string) (any, *apiError) {
	lo, hi, marker, e := paginate(c, len(arns))
	if e != nil {
		return nil, e
	}
	out := struct {
		Policies    []xmlAttached `xml:"AttachedPolicies>member"`
		IsTruncated bool          `xml:"IsTruncated"`
		Marker      string        `xml:"Marker,omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, arn := range arns[lo:hi] {
		name := builtinPolicyName(arn)
		if mp := s.acct.policies[arn]; mp != nil {
			name = mp.name
		}
		out.Policies = append(out.Policies, xmlAttached{PolicyName: name, PolicyArn: arn})
	}
	return &out, nil
}

// inlinePage answers a List*Policies page of inline policy names.
func inlinePage(c *call, docs []*namedDoc) (any, *apiError) {
	lo, hi, marker, e := paginate(c, len(docs))
	if e != nil {
		return nil, e
	}
	out := struct {
		Names       []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
		Marker      string   `xml:"Marker,omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, d := range docs[lo:hi] {
		out.Names = append(out.Names, d.name)
	}
	return &out, nil
}
