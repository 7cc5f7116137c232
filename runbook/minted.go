package runbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A leaked key can mint temporary credentials (sts:GetSessionToken,
// sts:GetFederationToken, sts:AssumeRole) that keep working after the key
// itself is deactivated: deactivating a key does not end the sessions it
// started. The investigation follows them; containment revokes them with
// the deny AWS's "Revoke active sessions" puts on a role: Deny * where
// aws:TokenIssueTime is before now (IAM user guide, "Revoking IAM role
// temporary security credentials").

// How a temporary credential was minted: the STS operation.
const (
	ViaGetSessionToken    = "GetSessionToken"
	ViaGetFederationToken = "GetFederationToken"
	ViaAssumeRole         = "AssumeRole"
)

// Session lifetimes STS allows (STS API reference): GetSessionToken and
// GetFederationToken up to 36 hours for an IAM user and 1 hour for root;
// AssumeRole up to the role's maximum session duration (at most 12 hours),
// and 1 hour when a role session assumes another role (role chaining).
const (
	MaxUserSession    = 36 * time.Hour
	MaxRootSession    = time.Hour
	MaxRoleSession    = 12 * time.Hour
	MaxChainedSession = time.Hour
)

// Where a minted credential's ExpiresAt comes from.
const (
	ExpiryFromResponse  = "response"  // the expiration STS returned, as CloudTrail recorded it
	ExpiryFromRequested = "requested" // the DurationSeconds asked for
	ExpiryFromMaximum   = "maximum"   // the longest STS allows for the call
)

// RevocationPolicyName is the inline policy that revokes older sessions:
// the name the IAM console's "Revoke active sessions" gives it on a role.
const RevocationPolicyName = "AWSRevokeOlderSessions"

// MintedCredential is a temporary credential (ASIA…) the leaked key minted,
// or one minted by such a credential. Its calls count as the leak's.
type MintedCredential struct {
	KeyID string `json:"keyId"`
	// Via is the STS operation that minted it.
	Via string `json:"via"`
	// MintedBy is the key ID that called Via: the leaked key, or a
	// credential it minted (one AssumeRole after another).
	MintedBy string `json:"mintedBy"`
	// RoleARN is the role AssumeRole assumed.
	RoleARN string `json:"roleArn,omitempty"`
	// FederatedUser is GetFederationToken's Name.
	FederatedUser string `json:"federatedUser,omitempty"`
	// CrossAccount is set when the role is another account's: its
	// sessions act, and are recorded, there.
	CrossAccount bool      `json:"crossAccount,omitempty"`
	IssuedAt     time.Time `json:"issuedAt"`
	// ExpiresAt is the latest the credential may stay valid.
	ExpiresAt   time.Time `json:"expiresAt"`
	ExpiryBasis string    `json:"expiryBasis,omitempty"`
	Region      string    `json:"region,omitempty"` // where STS was called
	SourceIP    string    `json:"sourceIp,omitempty"`
	// Events counts the calls signed with it that the sweep found;
	// Swept says its own events were looked up.
	Events int  `json:"events"`
	Swept  bool `json:"swept"`
	// Unread lists the regions where its calls could not be read (after
	// the SDK's retries): what it did there is unknown.
	Unread []string `json:"unread,omitempty"`
}

// Remaining is how long the credential may still be valid at now.
func (c MintedCredential) Remaining(now time.Time) time.Duration {
	if left := c.ExpiresAt.Sub(now); left > 0 {
		return left
	}
	return 0
}

// RoleAccount is the account of the assumed role, from its ARN.
func (c MintedCredential) RoleAccount() string {
	parts := strings.SplitN(c.RoleARN, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// RoleName is the assumed role's name (the ARN's last path segment).
func (c MintedCredential) RoleName() string {
	_, res, ok := strings.Cut(c.RoleARN, ":role/")
	if !ok {
		return ""
	}
	return res[strings.LastIndexByte(res, '/')+1:]
}

// Describe names the credential for people: "GetSessionToken" or
// "AssumeRole of arn:aws:iam::…:role/x".
func (c MintedCredential) Describe() string {
	switch {
	case c.RoleARN != "":
		s := c.Via + " of " + c.RoleARN
		if c.CrossAccount {
			s += " (account " + c.RoleAccount() + ")"
		}
		return s
	case c.FederatedUser != "":
		return c.Via + " as federated user " + c.FederatedUser
	}
	return c.Via
}

// MintedKey returns the minted credential with the key ID, if any.
func (inv *Investigation) MintedKey(keyID string) (MintedCredential, bool) {
	if inv == nil || keyID == "" {
		return MintedCredential{}, false
	}
	for _, c := range inv.Minted {
		if c.KeyID == keyID {
			return c, true
		}
	}
	return MintedCredential{}, false
}

// RevocationTarget is an IAM user or role whose older sessions the
// revocation denies.
type RevocationTarget struct {
	Kind string `json:"kind"` // "user" or "role"
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
}

// String names the target: "user alice", "role deploy".
func (t RevocationTarget) String() string { return t.Kind + " " + t.Name }

// RevocationPlan is what revoking the minted sessions can and cannot do.
type RevocationPlan struct {
	// Targets get the deny inline policy.
	Targets []RevocationTarget `json:"targets,omitempty"`
	// Elsewhere says, per credential out of reach, what to do instead:
	// a cross-account role, a session minted by root.
	Elsewhere []string `json:"elsewhere,omitempty"`
	// RootOnly is set when every minted credential was root's, which no
	// IAM policy restricts.
	RootOnly bool `json:"rootOnly,omitempty"`
}

// RevocationPlan works out where the session-revocation deny goes: on the
// key's IAM user for sessions it minted with GetSessionToken or
// GetFederationToken, on each of the account's roles it assumed.
func (s State) RevocationPlan() RevocationPlan {
	var p RevocationPlan
	if s.Investigate.Investigation == nil || len(s.Investigate.Investigation.Minted) == 0 {
		return p
	}
	add := func(t RevocationTarget) {
		if !slices.Contains(p.Targets, t) {
			p.Targets = append(p.Targets, t)
		}
	}
	var rootLatest time.Time
	reachable := 0
	for _, c := range s.Investigate.Investigation.Minted {
		switch {
		case c.Via == ViaAssumeRole && c.CrossAccount:
			p.Elsewhere = appendOnce(p.Elsewhere, fmt.Sprintf(
				"%s is in account %s: its sessions act there, out of reach of this account's policies. Ask that account's administrators to revoke them (IAM console: Roles → %s → Revoke active sessions, or this deny as an inline policy named %s).",
				c.RoleARN, c.RoleAccount(), c.RoleName(), RevocationPolicyName))
		case c.Via == ViaAssumeRole:
			reachable++
			add(RevocationTarget{Kind: "role", Name: c.RoleName(), ARN: c.RoleARN})
		case s.Intake.Key.Root:
			if c.ExpiresAt.After(rootLatest) {
				rootLatest = c.ExpiresAt
			}
		case s.Intake.Key.User != "":
			reachable++
			add(RevocationTarget{Kind: "user", Name: s.Intake.Key.User, ARN: s.Intake.Key.UserARN})
		}
	}
	if !rootLatest.IsZero() {
		p.Elsewhere = append(p.Elsewhere, rootAdvice(s.Intake.Key, rootLatest))
		p.RootOnly = reachable == 0
	}
	slices.SortFunc(p.Targets, func(a, b RevocationTarget) int { return strings.Compare(a.String(), b.String()) })
	return p
}

// rootAdvice says what to do about root's sessions, which no IAM policy
// can restrict: a policy attaches to users and roles, never to root.
func rootAdvice(k KeyFacts, latest time.Time) string {
	s := fmt.Sprintf("Sessions minted by the root user cannot be restricted by an IAM policy: no policy attaches to root. "+
		"STS caps them at 1 hour, so the last one ends by %s. Deactivate and delete the root key now so it mints no more; ",
		latest.UTC().Format("2006-01-02 15:04 UTC"))
	if k.OrgMember {
		return s + "in this Organizations member account an SCP denying the root user (unless aws:AssumedRoot) also stops its sessions at once."
	}
	return s + "if they must end sooner, contact AWS Support (a support case for a compromised account)."
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// Revocation is the last session revocation that ran.
type Revocation struct {
	At      time.Time          `json:"at"`
	Targets []RevocationTarget `json:"targets"`
	DryRun  bool               `json:"dryRun,omitempty"`
}

// RevokeSessions asks to deny every session minted before now on the
// targets of State.RevocationPlan.
type RevokeSessions struct{}

// SessionsRevoked confirms the deny is on each target from At: every
// session issued before At is denied from then on.
type SessionsRevoked struct {
	At      time.Time          `json:"at"`
	Targets []RevocationTarget `json:"targets"`
	DryRun  bool               `json:"dryRun,omitempty"`
}

// RevokeOlderSessions puts the inline policy RevocationPolicyName, Deny *
// where aws:TokenIssueTime is before the time of the call, on each target.
// It replaces an earlier one of the same name, so running it again moves
// the cut-off to the new time.
type RevokeOlderSessions struct {
	KeyID   string             `json:"keyId"`
	Targets []RevocationTarget `json:"targets"`
}

func (RevokeSessions) EventName() string       { return "RevokeSessions" }
func (SessionsRevoked) EventName() string      { return "SessionsRevoked" }
func (RevokeOlderSessions) EffectName() string { return "RevokeOlderSessions" }
func (RevokeOlderSessions) Mutates() bool      { return true }

func (m *Machine) revokeSessions(e RevokeSessions) ([]Effect, error) {
	s := &m.s
	switch s.Step {
	case StepDeactivate, StepWatch, StepDelete, StepHarden:
	default:
		return nil, refuse(s.Step, e, "sessions are revoked once containment has begun (from deactivation on)")
	}
	if s.Investigate.Investigation == nil || len(s.Investigate.Investigation.Minted) == 0 {
		return nil, refuse(s.Step, e, "the investigation found no temporary credentials minted by the key: there is no session to revoke")
	}
	if m.isPending("RevokeOlderSessions") {
		return nil, refuse(s.Step, e, "the revocation is already running")
	}
	plan := s.RevocationPlan()
	if len(plan.Targets) == 0 {
		return nil, refuse(s.Step, e, "no policy of this account can revoke these sessions: %s", strings.Join(plan.Elsewhere, " "))
	}
	if reason := m.mintedCaller(); reason != "" {
		return nil, refuse(s.Step, e, "%s", reason) // before the lock-out: it is the graver
	}
	if t, ok := m.selfTarget(plan.Targets); ok {
		return nil, refuse(s.Step, e, "your own credentials are a session of %s: the deny would lock you out mid-incident; run keyrunbook with credentials of another principal", t)
	}
	return []Effect{RevokeOlderSessions{KeyID: s.KeyID, Targets: plan.Targets}}, nil
}

// selfTarget finds the target the responder's own temporary credentials
// belong to: a session of a revoked role, or of the revoked user.
func (m *Machine) selfTarget(targets []RevocationTarget) (RevocationTarget, bool) {
	c := m.s.Intake.Caller
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") {
		return RevocationTarget{}, false // long-term keys carry no aws:TokenIssueTime
	}
	for _, t := range targets {
		switch t.Kind {
		case "role":
			if strings.Contains(c.ARN, ":assumed-role/"+t.Name+"/") {
				return t, true
			}
		case "user":
			if t.ARN != "" && c.ARN == t.ARN {
				return t, true
			}
		}
	}
	return RevocationTarget{}, false
}

func (m *Machine) sessionsRevoked(e SessionsRevoked) ([]Effect, error) {
	s := &m.s
	if !m.isPending("RevokeOlderSessions") {
		return nil, refuse(s.Step, e, "SessionsRevoked arrived but no RevokeOlderSessions was asked for")
	}
	if e.At.IsZero() {
		return nil, refuse(s.Step, e, "a revocation needs the time it took effect")
	}
	m.settle("RevokeOlderSessions")
	s.Contain.Revocation = &Revocation{At: e.At, Targets: slices.Clone(e.Targets), DryRun: e.DryRun}
	return nil, nil
}

// mintedCaller refuses mutations made with a credential the leaked key
// minted: the attacker may hold it too, and it ends with the revocation.
func (m *Machine) mintedCaller() string {
	c, ok := m.s.Investigate.Investigation.MintedKey(m.s.Intake.Caller.AccessKeyID)
	if !ok {
		return ""
	}
	return fmt.Sprintf("cannot change anything: you are signed in with %s, a temporary credential the leaked key minted (%s); use credentials of your own",
		c.KeyID, c.Describe())
}

// sentence is the timeline's, named by the event's line in registry.go.
func (RevokeSessions) sentence() string {
	return "revocation of the sessions the key minted requested"
}

func (e SessionsRevoked) sentence() string {
	return fmt.Sprintf("%ssessions issued before %s denied on %s", dry(e.DryRun), stamp(e.At), revocationTargets(e.Targets))
}

func revocationTargets(ts []RevocationTarget) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return strings.Join(names, ", ")
}

// mdMinted is the report's table of minted credentials.
func (r *Report) mdMinted(b *strings.Builder) {
	inv := r.Investigation
	if inv == nil || len(inv.Minted) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("### Temporary credentials the key minted\n\n| Key ID | How | Minted by | Issued | Valid until (%s) | Calls seen |\n|---|---|---|---|---|---|\n",
		"at most, unless STS said")
	for _, m := range inv.Minted {
		calls := fmt.Sprint(m.Events)
		if m.CrossAccount {
			calls = "not followed: another account"
		}
		p("| %s | %s | %s | %s | %s (%s) | %s |\n", m.KeyID, mdCell(m.Describe()), m.MintedBy, stamp(m.IssuedAt), stamp(m.ExpiresAt), orDashS(m.ExpiryBasis), calls)
	}
	p("\n")
}
