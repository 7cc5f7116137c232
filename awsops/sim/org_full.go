package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// A member account simulated whole (Member.Full): its own IAM, CloudTrail
// history and workloads, in a Sim of its own that shares the organization's
// clock. The management account's Sim routes a request signed with one of
// the member's keys to it, so the member is reached as on AWS: through the
// role Organizations creates in it (OrganizationAccountAccessRole, by
// sts:AssumeRole) or through sts:AssumeRoot. Members not simulated whole
// stay root users only (org_member.go), so 500 of them still cost little.

// MemberRole is the role AWS Organizations creates in every account it
// creates, trusting the management account, with AdministratorAccess
// (Organizations user guide, "Accessing member accounts").
const MemberRole = "OrganizationAccountAccessRole"

// memberScenario is the whole-account scenario of member m of parent: the
// member's ID, root user and root keys, the role into it, and a responder
// of the management account (a scenario needs one; nobody acts as it).
func memberScenario(parent *Scenario, m Member) *Scenario {
	sc := *m.Full
	sc.Name = parent.Name + "-" + m.Name
	sc.Account = Account{ID: m.ID, Alias: m.Name}
	sc.Root = Root{MFA: m.RootMFA, Created: orDefault(m.Joined, "-700d"), Keys: m.RootKeys}
	sc.Responder = Responder{ExternalAccount: parent.Account.ID, ExternalUser: "organizations-bridge"}
	sc.Organization = nil
	if len(m.RootKeys) > 0 {
		sc.LeakedKey = m.RootKeys[0].Ref
		for _, k := range m.RootKeys {
			if k.Ref == parent.LeakedKey {
				sc.LeakedKey = k.Ref
			}
		}
	}
	for _, r := range sc.Roles {
		if r.Name == MemberRole {
			return &sc
		}
	}
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Principal": map[string]string{"AWS": "arn:aws:iam::" + parent.Account.ID + ":root"},
		"Action": "sts:AssumeRole"}}})
	sc.Roles = append(append([]Role(nil), sc.Roles...), Role{Name: MemberRole, Created: orDefault(m.Joined, "-700d"),
		AssumeRolePolicy: trust, AttachedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}})
	return &sc
}

// fullMember validates a member simulated whole.
func (v *validator) fullMember(f string, m Member) error {
	if len(m.RootKeys) == 0 {
		return fieldErr(f+".rootKeys", "a member simulated whole is here for its root key: give it one")
	}
	if m.Full.Organization != nil || len(m.Full.Root.Keys) > 0 {
		return fieldErr(f+".full", "a member's own scenario has no organization and no root keys (they are the member's rootKeys)")
	}
	if _, err := compile(memberScenario(v.sc, m), v.services); err != nil {
		return fmt.Errorf("%s.full: %w", f, err)
	}
	return nil
}

// buildFullMember starts the member's own Sim on the organization's clock.
func buildFullMember(sc *Scenario, ms Member, o options, n int) (*Sim, error) {
	fm, err := New(memberScenario(sc, ms), WithSeed(o.seed+int64(n)+1), WithStart(o.start), WithThrottle(o.throttle),
		WithTrailFieldLimit(o.fieldLimit))
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", ms.ID, err)
	}
	return fm, nil
}

// memberSim is the member simulated whole that owns keyID, or nil.
func (s *Sim) memberSim(keyID string) *Sim {
	if s.org == nil || keyID == "" {
		return nil
	}
	for _, fm := range s.org.full {
		fm.mu.Lock()
		_, ok := fm.acct.keys[keyID]
		fm.mu.Unlock()
		if ok {
			return fm
		}
	}
	return nil
}

// Member is the Sim of a member account simulated whole, or nil: training
// reads its workloads' health and moves its on-prem callers to new keys.
func (s *Sim) Member(accountID string) *Sim {
	if s.org == nil || s.org.byID[accountID] == nil {
		return nil
	}
	return s.org.byID[accountID].full
}

// assumeMemberRole opens a session of a role in the member for a principal
// of the management account, if the role's trust policy lets it.
func (s *Sim) assumeMemberRole(who *principal, arn, name, session string, d time.Duration, parent string) (*accessKey, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.acct.roles[name]
	if r == nil || s.acct.roleARN(r) != arn || !trusts(r.trust, who) {
		return nil, &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + who.arn + " is not authorized to perform: sts:AssumeRole on resource: " + arn}
	}
	p := &principal{kind: typeAssumedRole, account: s.acct.id, name: name, session: session, roleID: r.id, since: s.now}
	p.id = r.id + ":" + session
	p.arn = "arn:aws:sts::" + s.acct.id + ":assumed-role/" + name + "/" + session
	return s.mintHere(p, &mintInfo{via: viaAssumeRole, expires: s.now.Add(d), parent: parent}), nil
}

// openRootSession opens an sts:AssumeRoot session of the member's root
// user under a root task policy.
func (s *Sim) openRootSession(task string, expires time.Time, parent string) *accessKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &principal{kind: typeRoot, account: s.acct.id, id: s.acct.id, arn: "arn:aws:iam::" + s.acct.id + ":root", since: s.now}
	return s.mintHere(p, &mintInfo{via: viaAssumeRoot, expires: expires, parent: parent, task: task})
}

// mintHere issues a temporary key of this account; s.mu is held.
func (s *Sim) mintHere(p *principal, info *mintInfo) *accessKey {
	k := &accessKey{id: s.ids.accessKeyID("ASIA"), secret: s.ids.secret(), status: statusActive,
		created: s.now, session: p, mint: info}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = s.acct.id
	return k
}

// viaAssumeRoot marks a key minted by sts:AssumeRoot: aws:AssumedRoot is
// present in its requests.
const viaAssumeRoot = "AssumeRoot"

// taskDenies refuses a root session's call its task policy does not
// allow, or that names an IAM user (task policies act on root only).
func taskDenies(c *call) *apiError {
	if c.key == nil || c.key.mint == nil || c.key.mint.task == "" {
		return nil
	}
	task := c.key.mint.task
	action := iamAction(c.service, c.action)
	if c.service == "sts" && c.action == "GetCallerIdentity" {
		return nil
	}
	if !taskAllows(task, action) {
		return &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + c.who.arn + " is not authorized to perform: " + action + " because no session policy allows the " + action + " action (root task policy " + task + ")"}
	}
	if c.params.Get("UserName") != "" {
		return &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + c.who.arn + " is not authorized to perform: " + action + " on resource: user " + c.params.Get("UserName") + " because the root task policy acts on the root user only"}
	}
	return nil
}

// advanceMembers moves the whole members' clocks with the organization's.
func (s *Sim) advanceMembers(d time.Duration) {
	if s.org == nil {
		return
	}
	for _, fm := range s.org.full {
		fm.Advance(d)
	}
}

// linkMembers tells each member simulated whole which organization it is
// in, as DescribeOrganization answers there.
func (s *Sim) linkMembers() {
	if s.org == nil {
		return
	}
	desc, _ := s.describeOrganization()
	for _, fm := range s.org.full {
		fm.memberOf = desc
	}
}

// hadRootKey says whether the member's root user had a key at t, as
// Security Hub's last IAM.4 evaluation saw it. A key deleted since is
// still in the finding; one deleted before t was not (the sim keeps no
// deletion time of a whole account's keys, so a deleted key reads as
// gone at t too: findings lag, but not backwards).
func (s *Sim) hadRootKey(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.acct.rootKeys {
		if k := s.acct.keys[id]; k != nil && k.created.Before(t) {
			return true
		}
	}
	return false
}
