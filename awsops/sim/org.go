package sim

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/awsops/quota"
)

// The simulated organization: the scenario's account is the Organizations
// management account, and Organization lists its member accounts. A member
// is kept small (its root user's keys, MFA and password, and nothing else),
// so an organization of 500 members costs kilobytes, not 500 accounts. The
// management account reaches a member's root user only through
// sts:AssumeRoot (org_ops.go), whose session the member's IAM operations
// answer under the task policy it was opened with (org_member.go).

// organizationsAPI is Organizations (JSON 1.1,
// AWSOrganizationsV20161128), the management account's side (org_ops.go).
func organizationsAPI() *service {
	return &service{name: "organizations", wires: []string{wireJSON11}, global: true, targets: []string{"AWSOrganizationsV20161128"}, ops: map[string]op{
		"DescribeOrganization": {fn: opDescribeOrganization, readOnly: true},
		"ListAccounts":         {fn: opListAccounts, readOnly: true},
		// Service control policies (org_scp.go).
		"CreatePolicy":          {fn: opCreatePolicy},
		"AttachPolicy":          {fn: opAttachPolicy},
		"DetachPolicy":          {fn: opDetachPolicy},
		"DeletePolicy":          {fn: opDeletePolicy},
		"ListPoliciesForTarget": {fn: opListPoliciesForTarget, readOnly: true},
		"ListPolicies":          {fn: opListPolicies, readOnly: true},
	}}
}

// Organization is the scenario's AWS Organizations organization.
type Organization struct {
	// ID is the organization ID ("o-" + 10 to 32 lower-case letters or digits).
	ID string `json:"id"`
	// RootCredentialsManagement and RootSessions say whether the two
	// features of centralized root access are enabled
	// (iam:EnableOrganizationsRootCredentialsManagement and
	// iam:EnableOrganizationsRootSessions): every sts:AssumeRoot needs
	// RootSessions, one to delete root credentials needs both (opAssumeRoot).
	RootCredentialsManagement bool `json:"rootCredentialsManagement,omitempty"`
	RootSessions              bool `json:"rootSessions,omitempty"`
	// SecurityHub says whether the management account aggregates Security
	// Hub findings of every member (securityhub:GetFindings answers IAM.4).
	SecurityHub bool `json:"securityHub,omitempty"`
	// Members are the member accounts described one by one.
	Members []Member `json:"members,omitempty"`
	// Generated adds that many plain members after Members: no root key,
	// no root password, no MFA, as AWS creates accounts today.
	Generated int `json:"generated,omitempty"`
	// FirstGeneratedID is the first generated account's ID (the next ones
	// count up); default 300000000001.
	FirstGeneratedID string `json:"firstGeneratedId,omitempty"`
}

// Member is a member account and its root user.
type Member struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// Status is ACTIVE (default) or SUSPENDED.
	Status string `json:"status,omitempty"`
	// Joined is when the account joined the organization (default "-700d").
	Joined string `json:"joined,omitempty"`
	// RootMFA and RootPassword describe the member's root user.
	RootMFA      bool `json:"rootMfa,omitempty"`
	RootPassword bool `json:"rootPassword,omitempty"`
	// RootKeys are the root user's access keys (at most 2). A key's ref is
	// unique in the scenario, so leakedKey can name it.
	RootKeys []Key `json:"rootKeys,omitempty"`
	// Full, when set, simulates the member as a whole account (org_full.go):
	// its IAM, CloudTrail history and workloads, as a scenario of its own
	// whose account, root user and responder come from the member. Its
	// workloads may use the member's root keys.
	Full *Scenario `json:"full,omitempty"`
}

// maxOrgMembers bounds a scenario's organization (Organizations' default
// quota is 10 accounts, raised on request; 5000 is plenty for a benchmark).
const maxOrgMembers = 5000

var reOrgID = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func (v *validator) organization() error {
	o := v.sc.Organization
	if o == nil {
		return nil
	}
	if !reOrgID.MatchString(o.ID) {
		return fieldErr("organization.id", "%q is not an organization ID (o- and 10 to 32 lower-case letters or digits)", o.ID)
	}
	if o.Generated < 0 || len(o.Members)+o.Generated > maxOrgMembers {
		return fieldErr("organization.generated", "%d: an organization here has 0 to %d members", o.Generated, maxOrgMembers)
	}
	seen := map[string]bool{v.sc.Account.ID: true}
	for i, m := range o.Members {
		f := fmt.Sprintf("organization.members[%d]", i)
		if !reAccountID.MatchString(m.ID) || seen[m.ID] {
			return fieldErr(f+".id", "%q is not a 12-digit account ID of its own", m.ID)
		}
		seen[m.ID] = true
		if m.Name == "" {
			return fieldErr(f+".name", "a member account needs a name")
		}
		if m.Status != "" && m.Status != "ACTIVE" && m.Status != "SUSPENDED" {
			return fieldErr(f+".status", "%q is neither ACTIVE nor SUSPENDED", m.Status)
		}
		if _, err := pastOffset(f+".joined", m.Joined, 0); err != nil {
			return err
		}
		if err := v.keys(f+".rootKeys", m.RootKeys); err != nil {
			return err
		}
		if m.Full != nil {
			if err := v.fullMember(f, m); err != nil {
				return err
			}
		}
		for _, k := range m.RootKeys {
			for j, w := range v.sc.Workloads {
				if w.Key == k.Ref {
					// A member is only its root user here: nothing runs in it.
					return fieldErr(fmt.Sprintf("workloads[%d].key", j), "%q is a member account's root key; workloads run in the management account only", k.Ref)
				}
			}
		}
	}
	if o.Generated > 0 {
		first, err := strconv.ParseUint(orDefault(o.FirstGeneratedID, "300000000001"), 10, 64)
		if err != nil || !reAccountID.MatchString(padAccount(first)) || first+uint64(o.Generated) > 999999999999 {
			return fieldErr("organization.firstGeneratedId", "%q is not a 12-digit account ID with room for %d more", o.FirstGeneratedID, o.Generated)
		}
		for n := range uint64(o.Generated) {
			if seen[padAccount(first+n)] {
				return fieldErr("organization.firstGeneratedId", "generated account %s is also listed", padAccount(first+n))
			}
		}
	}
	return nil
}

// organization is the organization's state in the sim.
type organization struct {
	id                     string
	credsMgmt, rootSession bool
	securityHub            bool
	created                time.Time
	members                []*member    // ListAccounts order, the management account not included
	full                   []*Sim       // the members simulated whole (org_full.go)
	policies               []*orgPolicy // customer SCPs (org_scp.go)
	byID                   map[string]*member
	sessions               map[string]*rootSession // by the session's ASIA key ID

	// sts paces sts:AssumeRoot calls of the management account; nil is off.
	sts     *rate.Limiter
	iamRate float64 // each member's IAM requests per second; 0 is off
}

type member struct {
	id, name, email, status string
	joined                  time.Time
	rootMFA, password       bool
	keys                    []*memberKey
	iam                     *rate.Limiter // made on first use
	full                    *Sim          // the member simulated whole, or nil
}

type memberKey struct {
	ref, id     string
	status      string
	created     time.Time
	lastUsed    time.Time
	service     string
	region      string
	deleted     bool
	deletedWhen time.Time
}

// rootSession is an sts:AssumeRoot session: whose root it acts as, under
// which task policy, until when.
type rootSession struct {
	member  *member
	task    string // the task policy's name, e.g. IAMAuditRootUserCredentials
	expires time.Time
}

// Default rates of the organization's limits, from awsops/quota (where
// each says its source).
const (
	DefaultAssumeRootRate = quota.AssumeRootPerSecond
	DefaultMemberIAMRate  = quota.MemberIAMPerSecond
)

// assumeRootBurst is the size of the AssumeRoot token bucket. AWS does not
// publish it; 10 absorbs the jitter of requests paced at the rate and is
// small enough that an audit of hundreds of accounts is bound by the rate,
// not the bucket.
const assumeRootBurst = 10

// WithOrgLimits sets the organization's rate limits: sts:AssumeRoot calls
// of the management account per second, and IAM calls per second in each
// member account. 0 turns a limit off. The AssumeRoot bucket holds
// assumeRootBurst tokens; a member's IAM bucket a second's worth.
func WithOrgLimits(assumeRoot, memberIAM float64) Option {
	return func(o *options) { o.orgSTS, o.orgIAM, o.orgLimits = assumeRoot, memberIAM, true }
}

// buildOrg creates the organization a scenario describes, or nil.
func buildOrg(sc *Scenario, o options, g *ids, start time.Time, keyRefs, keyAccounts map[string]string) (*organization, error) {
	spec := sc.Organization
	if spec == nil {
		return nil, nil
	}
	at := func(s string, def time.Duration) time.Time {
		d, _ := offsetOr("", s, def) // validated by compile
		return start.Add(d)
	}
	org := &organization{id: spec.ID, credsMgmt: spec.RootCredentialsManagement, rootSession: spec.RootSessions,
		securityHub: spec.SecurityHub, created: start.Add(-800 * 24 * time.Hour),
		byID: map[string]*member{}, sessions: map[string]*rootSession{}}
	stsRate, iamRate := DefaultAssumeRootRate, DefaultMemberIAMRate
	if o.orgLimits {
		stsRate, iamRate = o.orgSTS, o.orgIAM
	}
	if stsRate > 0 {
		org.sts = rate.NewLimiter(rate.Limit(stsRate), assumeRootBurst)
	}
	org.iamRate = iamRate
	add := func(m *member) {
		org.members = append(org.members, m)
		org.byID[m.id] = m
	}
	for i, ms := range spec.Members {
		if ms.Full != nil {
			fm, err := buildFullMember(sc, ms, o, i)
			if err != nil {
				return nil, err
			}
			m := &member{id: ms.ID, name: ms.Name, email: orDefault(ms.Email, "aws+"+ms.Name+"@example.com"),
				status: orDefault(ms.Status, "ACTIVE"), joined: at(ms.Joined, -700*24*time.Hour),
				rootMFA: ms.RootMFA, password: ms.RootPassword, full: fm}
			for _, k := range ms.RootKeys {
				keyRefs[k.Ref] = fm.keyRefs[k.Ref]
				keyAccounts[fm.keyRefs[k.Ref]] = ms.ID
			}
			org.full = append(org.full, fm)
			add(m)
			continue
		}
		acct, _ := strconv.ParseUint(ms.ID, 10, 64)
		mg := &ids{rng: g.rng, account: acct}
		m := &member{id: ms.ID, name: ms.Name, email: orDefault(ms.Email, "aws+"+ms.Name+"@example.com"),
			status: orDefault(ms.Status, "ACTIVE"), joined: at(ms.Joined, -700*24*time.Hour),
			rootMFA: ms.RootMFA, password: ms.RootPassword}
		for _, k := range ms.RootKeys {
			mk := &memberKey{ref: k.Ref, id: k.ID, status: orDefault(k.Status, statusActive),
				created: at(k.Created, -365*24*time.Hour)}
			if mk.id == "" {
				mk.id = mg.accessKeyID("AKIA")
			}
			if k.LastUsed != nil {
				mk.lastUsed, mk.service, mk.region = at(k.LastUsed.At, 0), k.LastUsed.Service, k.LastUsed.Region
			}
			m.keys = append(m.keys, mk)
			keyRefs[k.Ref] = mk.id
			keyAccounts[mk.id] = m.id
		}
		add(m)
	}
	first, _ := strconv.ParseUint(orDefault(spec.FirstGeneratedID, "300000000001"), 10, 64)
	for n := range spec.Generated {
		id := padAccount(first + uint64(n))
		name := fmt.Sprintf("workload-%03d", n+1)
		add(&member{id: id, name: name, email: "aws+" + name + "@example.com", status: "ACTIVE",
			joined: start.Add(-time.Duration(30+n%400) * 24 * time.Hour)})
	}
	return org, nil
}

// memberIAMLimiter is the member account's IAM bucket, or nil when off.
func (org *organization) memberIAMLimiter(m *member) *rate.Limiter {
	if org.iamRate <= 0 {
		return nil
	}
	if m.iam == nil {
		m.iam = rate.NewLimiter(rate.Limit(org.iamRate), max(1, int(org.iamRate)))
	}
	return m.iam
}

// liveKeys are the member root user's keys that exist.
func (m *member) liveKeys() []*memberKey {
	var out []*memberKey
	for _, k := range m.keys {
		if !k.deleted {
			out = append(out, k)
		}
	}
	return out
}
