package runbook

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The organization's root keys (Security Hub control IAM.4): what the
// audit of every member account learned of its root user, how the
// accounts rank by risk, and which keys the campaign may retire in bulk.
// awsops reads the accounts; this file holds the judgement, the journal
// records and nothing that talks to AWS.

// Answer is yes, no, or unknown: a read that failed is never a no.
type Answer string

// The three answers.
const (
	Yes     Answer = "yes"
	No      Answer = "no"
	Unknown Answer = "unknown"
)

// Where an account's root facts came from.
const (
	// SourceAssumeRoot: read in the account through an sts:AssumeRoot
	// session with the IAMAuditRootUserCredentials task policy.
	SourceAssumeRoot = "AssumeRoot"
	// SourceSecurityHub: Security Hub's IAM.4 finding, which says only
	// whether a root key exists, as of its last evaluation.
	SourceSecurityHub = "Security Hub IAM.4"
)

// RootAudit is what the organization audit learned of one account's root
// user. Field names avoid the words the journal redacts (password).
type RootAudit struct {
	Account    string `json:"account"`
	Name       string `json:"name,omitempty"`
	Management bool   `json:"management,omitempty"`
	// Source is SourceAssumeRoot, SourceSecurityHub, or "" when nothing
	// could be read.
	Source string `json:"source,omitempty"`
	// HasKeys says whether the root user has an access key.
	HasKeys Answer    `json:"hasKeys"`
	Keys    []RootKey `json:"keys,omitempty"`
	MFA     Answer    `json:"mfa"`
	// LoginProfile says whether root can sign in with a password.
	LoginProfile Answer `json:"loginProfile"`
	// Why says why any answer is unknown, as a sentence.
	Why string `json:"why,omitempty"`
}

// RootKey is one root access key of a member account.
type RootKey struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// LastUsed is zero when the key was never used (LastUsedKnown) or when
	// its last use could not be read (!LastUsedKnown).
	LastUsed      time.Time `json:"lastUsed,omitzero"`
	LastUsedKnown bool      `json:"lastUsedKnown"`
	Service       string    `json:"service,omitempty"`
	Region        string    `json:"region,omitempty"`
}

// Used says whether the key was used within window before now; unknown
// when its last use could not be read.
func (k RootKey) Used(now time.Time, window time.Duration) Answer {
	switch {
	case !k.LastUsedKnown:
		return Unknown
	case !k.LastUsed.IsZero() && k.LastUsed.After(now.Add(-window)):
		return Yes
	}
	return No
}

// LastUse words the key's last use for a table: "s3 us-east-1 20m ago",
// "never", or "unknown".
func (k RootKey) LastUse(now time.Time) string {
	switch {
	case !k.LastUsedKnown:
		return "unknown"
	case k.LastUsed.IsZero():
		return "never"
	}
	return fmt.Sprintf("%s %s %s ago", k.Service, k.Region, Ago(now.Sub(k.LastUsed)))
}

// Ago words a duration coarsely: 20m, 5h, 12d.
func Ago(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", max(0, int(d/time.Minute)))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// LatestUse is the most recent known use of any of the account's keys.
func (a RootAudit) LatestUse() (RootKey, bool) {
	var best RootKey
	found := false
	for _, k := range a.Keys {
		if k.LastUsedKnown && !k.LastUsed.IsZero() && (!found || k.LastUsed.After(best.LastUsed)) {
			best, found = k, true
		}
	}
	return best, found
}

// Risk scores an account's root user: a key used recently ranks first,
// then any key, then a key that may exist; within each, no MFA before
// MFA. A higher score is riskier.
func (a RootAudit) Risk(now time.Time, window time.Duration) int {
	score := 0
	switch a.HasKeys {
	case Yes:
		score = 100
		if k, ok := a.LatestUse(); ok {
			switch age := now.Sub(k.LastUsed); {
			case age < 24*time.Hour:
				score += 60
			case age < 7*24*time.Hour:
				score += 40
			case age < window:
				score += 20
			}
		}
	case Unknown:
		score = 50
	}
	switch a.MFA {
	case No:
		score += 10
	case Unknown:
		score += 5
	}
	return score
}

// SortByRisk orders accounts riskiest first; ties go to the more recent
// key use, then to the account ID, so the order is stable.
func SortByRisk(accounts []RootAudit, now time.Time, window time.Duration) {
	slices.SortStableFunc(accounts, func(a, b RootAudit) int {
		if c := cmp.Compare(b.Risk(now, window), a.Risk(now, window)); c != 0 {
			return c
		}
		ka, _ := a.LatestUse()
		kb, _ := b.LatestUse()
		if c := kb.LastUsed.Compare(ka.LastUsed); c != 0 {
			return c
		}
		return strings.Compare(a.Account, b.Account)
	})
}

// Retirable reports whether every root key of the account can be deleted
// without a replacement: each was read through AssumeRoot (so its ID is
// known) and none was used within window. A key used in the window has a
// caller that needs a replacement first: its own runbook.
func (a RootAudit) Retirable(now time.Time, window time.Duration) bool {
	if a.Source != SourceAssumeRoot || a.HasKeys != Yes || len(a.Keys) == 0 {
		return false
	}
	for _, k := range a.Keys {
		if k.Used(now, window) != No {
			return false
		}
	}
	return true
}

// KeysText words the root keys for a table: "1 active", "2 (1 active)",
// or the answer alone when only their presence is known.
func (a RootAudit) KeysText() string {
	if a.HasKeys != Yes || len(a.Keys) == 0 {
		return string(a.HasKeys)
	}
	active := 0
	for _, k := range a.Keys {
		if k.Status == "Active" {
			active++
		}
	}
	if active == len(a.Keys) {
		return fmt.Sprintf("%d active", active)
	}
	return fmt.Sprintf("%d (%d active)", len(a.Keys), active)
}

// LastUseText is the latest use of any of the account's root keys:
// "s3 us-east-1 20m ago", "never" or "unknown".
func (a RootAudit) LastUseText(now time.Time) string {
	if k, ok := a.LatestUse(); ok {
		return k.LastUse(now)
	}
	if len(a.Keys) == 0 {
		return "unknown"
	}
	for _, k := range a.Keys {
		if !k.LastUsedKnown {
			return "unknown"
		}
	}
	return "never"
}

// OrgMove is the campaign's next move for an account's root keys: the one
// classification the org table, its TUI and the campaign word, each in
// its own medium (a command line, a key to press).
type OrgMove int

// The moves, in the order NextMove tests them.
const (
	// MoveCheckByHand: nothing the audit read decides it.
	MoveCheckByHand OrgMove = iota
	// MoveRetire: no key was used in the window: deleted in bulk through
	// sts:AssumeRoot after one review.
	MoveRetire
	// MoveRespond: a key is in use (or its last use unknown): its own
	// runbook contains it with an SCP (no root task policy allows
	// UpdateAccessKey), replaces the caller, deletes through AssumeRoot.
	MoveRespond
	// MoveManagementRoot: the management account's root is out of
	// AssumeRoot's reach: sign in as root there.
	MoveManagementRoot
	// MoveEnableCentral: only Security Hub saw the key: enable centralized
	// root access, then audit again.
	MoveEnableCentral
	// MoveReread: the account could not be read (Why says why).
	MoveReread
)

// ManagementRootAdvice is MoveManagementRoot in words.
const ManagementRootAdvice = "sign in as the management account's root user and delete it there (AssumeRoot cannot reach it)"

// NextMove is the campaign's next move for the account's root keys.
func (a RootAudit) NextMove(now time.Time, window time.Duration) OrgMove {
	switch {
	case a.Retirable(now, window):
		return MoveRetire
	case a.HasKeys == Yes && a.Source == SourceAssumeRoot:
		return MoveRespond
	case a.HasKeys == Yes && a.Management:
		return MoveManagementRoot
	case a.HasKeys == Yes && a.Source == SourceSecurityHub:
		return MoveEnableCentral
	case a.Why != "":
		return MoveReread
	}
	return MoveCheckByHand
}

// UseText words the use that makes a key's account MoveRespond: "in use",
// or "last use unknown" when a key's last use could not be read.
func (a RootAudit) UseText(now time.Time, window time.Duration) string {
	for _, k := range a.Keys {
		if k.Used(now, window) == Unknown {
			return "last use unknown"
		}
	}
	return "in use"
}

// Journal records of the organization campaign. A RootAudited result per
// account lets an interrupted audit resume where it stopped; each bulk
// deletion is an intent before the call and a result after it.
const (
	StepOrgAudit        = "OrgAudit"
	StepOrgRetire       = "OrgRetire"
	RecordRootAudited   = "RootAudited"
	RecordRetireRootKey = "DeleteRootKey"
)

// errOrgLog is what replaying an organization audit's log as an incident
// answers: it holds no incident, and keyrunbook org continues it.
var errOrgLog = errors.New("this is the action log of an organization audit (keyrunbook org), not of an incident: continue it with 'keyrunbook org --log' and this path; 'keyrunbook verify' checks it")

// RootKeyRetirement is the data of a bulk deletion's intent and result.
type RootKeyRetirement struct {
	Account string `json:"account"`
	KeyID   string `json:"keyId"`
	// Outcome is "" in the intent; "deleted", "would delete" (dry-run) or
	// "failed: …" in the result.
	Outcome string `json:"outcome,omitempty"`
}

// AuditedAccounts folds an org journal's records into the accounts
// already audited, by account ID (the latest record wins), and the keys
// already retired.
func AuditedAccounts(recs []Record) (map[string]RootAudit, map[string]bool, error) {
	done, retired := map[string]RootAudit{}, map[string]bool{}
	for _, r := range recs {
		switch {
		case r.Type == RecordResult && r.Name == RecordRootAudited:
			var a RootAudit
			if err := json.Unmarshal(r.Data, &a); err != nil {
				return nil, nil, fmt.Errorf("org action log record %d: %w", r.Seq, err)
			}
			done[a.Account] = a
		case r.Type == RecordResult && r.Name == RecordRetireRootKey:
			var k RootKeyRetirement
			if err := json.Unmarshal(r.Data, &k); err != nil {
				return nil, nil, fmt.Errorf("org action log record %d: %w", r.Seq, err)
			}
			if k.Outcome == "deleted" {
				retired[k.KeyID] = true
			}
		}
	}
	return done, retired, nil
}
