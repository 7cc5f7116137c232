package sim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
)

const iamTime = "2006-01-02T15:04:05Z"

// trailDate is how CloudTrail renders IAM dates inside responseElements.
const trailDate = "Jan 2, 2006 3:04:05 PM"

type xmlUser struct {
	Path       string `xml:"Path,omitempty"`
	UserName   string `xml:"UserName,omitempty"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func (s *Sim) xmlUserOf(u *iamUser) xmlUser {
	return xmlUser{Path: u.path, UserName: u.name, UserID: u.id, Arn: s.acct.userARN(u), CreateDate: u.created.Format(iamTime)}
}

// userResource is the ARN an IAM user operation acts on: UserName's, or the
// caller's own when UserName is absent.
func (s *Sim) userResource(c *call) string {
	name := c.params.Get("UserName")
	if name == "" {
		return c.who.arn
	}
	if u := s.acct.users[name]; u != nil {
		return s.acct.userARN(u)
	}
	return "arn:aws:iam::" + s.acct.id + ":user/" + name
}

func keyOwnerResource(s *Sim, c *call) string {
	k := s.acct.keys[c.params.Get("AccessKeyId")]
	switch {
	case k == nil || k.session != nil:
		return "*"
	case k.user == "":
		return "arn:aws:iam::" + s.acct.id + ":root"
	}
	return s.acct.userARN(s.acct.users[k.user])
}

// targetUser resolves the user an operation acts on. root is true when a
// root caller omitted UserName: root then acts on its own keys, as on AWS.
func (s *Sim) targetUser(c *call) (u *iamUser, root bool, e *apiError) {
	name := c.params.Get("UserName")
	if name == "" {
		switch c.who.kind {
		case typeRoot:
			return nil, true, nil
		case typeIAMUser:
			name = c.who.name
		default:
			return nil, false, errInvalid("iam", "Must specify userName when calling with non-User credentials")
		}
	}
	if u = s.acct.users[name]; u == nil {
		return nil, false, errNoSuchEntity("The user with name " + name + " cannot be found.")
	}
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::User", Name: name})
	return u, false, nil
}

// paginate applies IAM's Marker/MaxItems paging to n items.
func paginate(c *call, n int) (lo, hi int, marker string, e *apiError) {
	limit := 100
	if v := c.params.Get("MaxItems"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 1000 {
			return 0, 0, "", errInvalid("iam", "1 validation error detected: Value '"+v+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
		}
		limit = m
	}
	if v := c.params.Get("Marker"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			return 0, 0, "", errInvalid("iam", "Invalid Marker.")
		}
		if lo, err = strconv.Atoi(string(b)); err != nil || lo < 0 || lo > n {
			return 0, 0, "", errInvalid("iam", "Invalid Marker.")
		}
	}
	hi = min(n, lo+limit)
	if hi < n {
		marker = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(hi)))
	}
	return lo, hi, marker, nil
}

func opListUsers(s *Sim, c *call) (any, *apiError) {
	names := sortedKeys(s.acct.users)
	lo, hi, marker, e := paginate(c, len(names))
	if e != nil {
		return nil, e
	}
	out := struct {
		Users       []xmlUser `xml:"Users>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, n := range names[lo:hi] {
		out.Users = append(out.Users, s.xmlUserOf(s.acct.users[n]))
	}
	return &out, nil
}

func opGetUser(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil {
		return nil, e
	}
	out := struct {
		User xmlUser `xml:"User"`
	}{}
	if root {
		out.User = xmlUser{UserID: s.acct.id, Arn: "arn:aws:iam::" + s.acct.id + ":root", CreateDate: s.acct.rootCreated.Format(iamTime)}
	} else {
		out.User = s.xmlUserOf(u)
	}
	return &out, nil
}

type xmlKeyMeta struct {
	UserName    string `xml:"UserName,omitempty"`
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

func opListAccessKeys(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil {
		return nil, e
	}
	ids, name := s.acct.rootKeys, ""
	if !root {
		ids, name = u.keys, u.name
	}
	out := struct {
		Keys        []xmlKeyMeta `xml:"AccessKeyMetadata>member"`
		IsTruncated bool         `xml:"IsTruncated"`
	}{}
	for _, id := range ids {
		k := s.acct.keys[id]
		out.Keys = append(out.Keys, xmlKeyMeta{UserName: name, AccessKeyID: id, Status: k.status, CreateDate: k.created.Format(iamTime)})
	}
	return &out, nil
}

func opGetAccessKeyLastUsed(s *Sim, c *call) (any, *apiError) {
	id := c.params.Get("AccessKeyId")
	k := s.acct.keys[id]
	if k == nil || k.session != nil {
		return nil, errNoSuchEntity("The Access Key with id " + id + " cannot be found")
	}
	c.resources = []eventResource{{Type: "AWS::IAM::AccessKey", Name: id}}
	type lastUsed struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
		Region       string `xml:"Region"`
	}
	out := struct {
		UserName string   `xml:"UserName,omitempty"`
		LastUsed lastUsed `xml:"AccessKeyLastUsed"`
	}{UserName: k.user, LastUsed: lastUsed{ServiceName: "N/A", Region: "N/A"}}
	if !k.lastUsed.IsZero() {
		out.LastUsed = lastUsed{LastUsedDate: k.lastUsed.Format(iamTime), ServiceName: k.lastService, Region: k.lastRegion}
	}
	return &out, nil
}

// keyOf finds a key of the target user (or root), as UpdateAccessKey and
// DeleteAccessKey must: another user's key is "not found" here.
func (s *Sim) keyOf(c *call) (*accessKey, *iamUser, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil {
		return nil, nil, e
	}
	id := c.params.Get("AccessKeyId")
	owned := s.acct.rootKeys
	if !root {
		owned = u.keys
	}
	if id == "" {
		return nil, nil, errInvalid("iam", "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null")
	}
	if !slices.Contains(owned, id) {
		return nil, nil, errNoSuchEntity("The Access Key with id " + id + " cannot be found.")
	}
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::AccessKey", Name: id})
	return s.acct.keys[id], u, nil
}

func opCreateAccessKey(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil {
		return nil, e
	}
	owned := &s.acct.rootKeys
	name := ""
	if !root {
		owned, name = &u.keys, u.name
	}
	if len(*owned) >= 2 {
		return nil, &apiError{code: "LimitExceeded", message: "Cannot exceed quota for AccessKeysPerUser: 2", status: http.StatusConflict}
	}
	k := &accessKey{id: s.ids.accessKeyID("AKIA"), secret: s.ids.secret(), status: statusActive, created: c.at, user: name}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = s.acct.id
	*owned = append(*owned, k.id)
	c.createdKey = k.id
	c.resources = append(c.resources, eventResource{Type: "AWS::IAM::AccessKey", Name: k.id})
	// CloudTrail never records the secret.
	c.respElems = map[string]any{"accessKey": map[string]string{"userName": name, "accessKeyId": k.id,
		"status": k.status, "createDate": c.at.Format(trailDate)}}
	type xmlKey struct {
		UserName        string `xml:"UserName,omitempty"`
		AccessKeyID     string `xml:"AccessKeyId"`
		Status          string `xml:"Status"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		CreateDate      string `xml:"CreateDate"`
	}
	return &struct {
		AccessKey xmlKey `xml:"AccessKey"`
	}{xmlKey{UserName: name, AccessKeyID: k.id, Status: k.status, SecretAccessKey: k.secret, CreateDate: c.at.Format(iamTime)}}, nil
}

func opUpdateAccessKey(s *Sim, c *call) (any, *apiError) {
	status := c.params.Get("Status")
	if status != statusActive && status != statusInactive {
		return nil, errInvalid("iam", "1 validation error detected: Value '"+status+"' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
	}
	k, _, e := s.keyOf(c)
	if e != nil {
		return nil, e
	}
	k.status = status
	return nil, nil
}

func opDeleteAccessKey(s *Sim, c *call) (any, *apiError) {
	k, u, e := s.keyOf(c)
	if e != nil {
		return nil, e
	}
	delete(s.acct.keys, k.id)
	if u == nil {
		s.acct.rootKeys = slices.DeleteFunc(s.acct.rootKeys, func(id string) bool { return id == k.id })
	} else {
		u.keys = slices.DeleteFunc(u.keys, func(id string) bool { return id == k.id })
	}
	return nil, nil
}

func opCreateUser(s *Sim, c *call) (any, *apiError) {
	name := c.params.Get("UserName")
	if !reIAMName.MatchString(name) {
		return nil, errInvalid("iam", "1 validation error detected: Value '"+name+"' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
	}
	if s.acct.users[name] != nil {
		return nil, &apiError{code: "EntityAlreadyExists", message: "User with name " + name + " already exists.", status: http.StatusConflict}
	}
	u := &iamUser{name: name, path: orDefault(c.params.Get("Path"), "/"), id: s.ids.uniqueID("AIDA"), created: c.at}
	s.acct.users[name] = u
	c.resources = []eventResource{{Type: "AWS::IAM::User", Name: name}}
	c.respElems = map[string]any{"user": map[string]string{"path": u.path, "userName": name, "userId": u.id,
		"arn": s.acct.userARN(u), "createDate": c.at.Format(trailDate)}}
	return &struct {
		User xmlUser `xml:"User"`
	}{s.xmlUserOf(u)}, nil
}

func opDeleteUser(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil || root {
		return nil, orErr(e, errInvalid("iam", "Must specify userName when calling with root credentials"))
	}
	conflict := func(what string) *apiError {
		return &apiError{code: "DeleteConflict", message: "Cannot delete entity, must " + what + " first.", status: http.StatusConflict}
	}
	switch {
	case len(u.keys) > 0:
		return nil, conflict("delete access keys")
	case len(u.attached) > 0:
		return nil, conflict("detach all policies")
	case len(u.inline) > 0:
		return nil, conflict("delete policies")
	}
	delete(s.acct.users, u.name)
	return nil, nil
}

func orErr(e, alt *apiError) *apiError {
	if e != nil {
		return e
	}
	return alt
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
