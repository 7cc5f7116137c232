package sim

import (
	"net/http"
	"strings"
)

// A member account's root user, reached through an sts:AssumeRoot session.
// The session may call only what its task policy allows (org_ops.go's
// rootTaskPolicies); anything else is AccessDenied, as on AWS. Its IAM
// calls count against the member account's own IAM rate, not the
// management account's: limits apply to the account the calling
// credentials belong to. The member's own CloudTrail is not modelled.

// memberOps answer a root session's calls, by policy action.
var memberOps = map[string]func(s *Sim, c *call, m *member) (any, *apiError){
	"iam:ListAccessKeys":       memberListAccessKeys,
	"iam:GetAccessKeyLastUsed": memberGetAccessKeyLastUsed,
	"iam:GetAccountSummary":    memberGetAccountSummary,
	"iam:GetLoginProfile":      memberGetLoginProfile,
	"iam:ListMFADevices":       memberListMFADevices,
	"iam:DeleteAccessKey":      memberDeleteAccessKey,
	"iam:DeleteLoginProfile":   memberDeleteLoginProfile,
}

// rootSessionOf is the AssumeRoot session a key belongs to, or nil.
func (s *Sim) rootSessionOf(k *accessKey) *rootSession {
	if s.org == nil || k == nil {
		return nil
	}
	return s.org.sessions[k.id]
}

// serveRootSession runs a call made with an AssumeRoot session's key.
func (s *Sim) serveRootSession(c *call, rs *rootSession) (any, *apiError) {
	m := rs.member
	if !c.at.Before(rs.expires) {
		return nil, errExpired(c.service)
	}
	if c.service == "sts" && c.action == "GetCallerIdentity" {
		return opGetCallerIdentity(s, c)
	}
	action := iamAction(c.service, c.action)
	if !taskAllows(rs.task, action) {
		return nil, &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + c.who.arn + " is not authorized to perform: " + action + " because no session policy allows the " + action +
				" action (the root task policy " + rs.task + " allows only " + strings.Join(rootTaskPolicies[rs.task], ", ") + ")"}
	}
	if l := s.org.memberIAMLimiter(m); c.service == "iam" && l != nil && !l.Allow() {
		return nil, &apiError{code: "Throttling", message: "Rate exceeded", status: http.StatusBadRequest}
	}
	fn := memberOps[action]
	if fn == nil {
		return nil, errUnknownAction(protocolOf(c.service), c.action)
	}
	if c.params.Get("UserName") != "" {
		// Root task policies act on the root user only.
		return nil, &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + c.who.arn + " is not authorized to perform: " + action + " on resource: user " + c.params.Get("UserName") + " because the root task policy acts on the root user only"}
	}
	return fn(s, c, m)
}

func memberListAccessKeys(_ *Sim, _ *call, m *member) (any, *apiError) {
	out := struct {
		Keys        []xmlKeyMeta `xml:"AccessKeyMetadata>member"`
		IsTruncated bool         `xml:"IsTruncated"`
	}{}
	for _, k := range m.liveKeys() {
		out.Keys = append(out.Keys, xmlKeyMeta{AccessKeyID: k.id, Status: k.status, CreateDate: k.created.Format(iamTime)})
	}
	return &out, nil
}

func (m *member) key(id string) *memberKey {
	for _, k := range m.liveKeys() {
		if k.id == id {
			return k
		}
	}
	return nil
}

func memberGetAccessKeyLastUsed(_ *Sim, c *call, m *member) (any, *apiError) {
	id := c.params.Get("AccessKeyId")
	k := m.key(id)
	if k == nil {
		return nil, errNoSuchEntity("The Access Key with id " + id + " cannot be found")
	}
	type lastUsed struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
		Region       string `xml:"Region"`
	}
	out := struct {
		LastUsed lastUsed `xml:"AccessKeyLastUsed"`
	}{LastUsed: lastUsed{ServiceName: "N/A", Region: "N/A"}}
	if !k.lastUsed.IsZero() {
		out.LastUsed = lastUsed{LastUsedDate: k.lastUsed.Format(iamTime), ServiceName: k.service, Region: k.region}
	}
	return &out, nil
}

func memberGetAccountSummary(_ *Sim, _ *call, m *member) (any, *apiError) {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return &struct {
		Entries []xmlEntry `xml:"SummaryMap>entry"`
	}{[]xmlEntry{
		{"AccessKeysPerUserQuota", 2},
		{"AccountAccessKeysPresent", b(len(m.liveKeys()) > 0)},
		{"AccountMFAEnabled", b(m.rootMFA)},
		{"AccountSigningCertificatesPresent", 0},
		{"MFADevices", b(m.rootMFA)},
		{"MFADevicesInUse", b(m.rootMFA)},
		{"Users", 0},
	}}, nil
}

func memberGetLoginProfile(_ *Sim, _ *call, m *member) (any, *apiError) {
	if !m.password {
		return nil, errNoSuchEntity("Login Profile for User root cannot be found.")
	}
	return &struct {
		CreateDate string `xml:"LoginProfile>CreateDate"`
		Reset      bool   `xml:"LoginProfile>PasswordResetRequired"`
	}{CreateDate: m.joined.Format(iamTime)}, nil
}

func memberListMFADevices(_ *Sim, _ *call, m *member) (any, *apiError) {
	type device struct {
		Serial     string `xml:"SerialNumber"`
		EnableDate string `xml:"EnableDate"`
	}
	out := &struct {
		Devices     []device `xml:"MFADevices>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}{}
	if m.rootMFA {
		out.Devices = append(out.Devices, device{"arn:aws:iam::" + m.id + ":mfa/root-account-mfa-device", m.joined.Format(iamTime)})
	}
	return out, nil
}

func memberDeleteAccessKey(_ *Sim, c *call, m *member) (any, *apiError) {
	id := c.params.Get("AccessKeyId")
	k := m.key(id)
	if k == nil {
		return nil, errNoSuchEntity("The Access Key with id " + id + " cannot be found.")
	}
	k.deleted, k.deletedWhen = true, c.at
	return nil, nil
}

func memberDeleteLoginProfile(_ *Sim, _ *call, m *member) (any, *apiError) {
	if !m.password {
		return nil, errNoSuchEntity("Login Profile for User root cannot be found.")
	}
	m.password = false
	return nil, nil
}

// opGetLoginProfile is the management account's own GetLoginProfile: an
// IAM user's console password, or root's (which every account that is
// not an Organizations-created member has).
func opGetLoginProfile(s *Sim, c *call) (any, *apiError) {
	u, root, e := s.targetUser(c)
	if e != nil {
		return nil, e
	}
	created := s.acct.rootCreated
	name := ""
	if !root {
		if !u.password {
			return nil, errNoSuchEntity("Login Profile for User " + u.name + " cannot be found.")
		}
		created, name = u.created, u.name
	}
	return &struct {
		UserName   string `xml:"LoginProfile>UserName,omitempty"`
		CreateDate string `xml:"LoginProfile>CreateDate"`
		Reset      bool   `xml:"LoginProfile>PasswordResetRequired"`
	}{name, created.Format(iamTime), false}, nil
}
