package runbook

import "time"

// Effect describes I/O the machine asks for. It does none itself: the
// executor in awsops carries it out and answers with a result event.
type Effect interface {
	EffectName() string
	// Mutates reports whether carrying the effect out changes the account.
	// Mutating effects are what the account and dry-run guards protect.
	Mutates() bool
}

// IdentifyKey learns the caller, the key's account, owner and status.
type IdentifyKey struct {
	KeyID string `json:"keyId"`
}

// SweepCloudTrail looks up the key's events in every region. Regions, when
// set, limits the sweep to those (a resumed sweep redoes unfinished ones).
type SweepCloudTrail struct {
	KeyID   string    `json:"keyId"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Regions []string  `json:"regions,omitempty"`
	// ExposedAt is when the key was exposed, if known (SubmitKey).
	ExposedAt time.Time `json:"exposedAt,omitzero"`
}

// ProposeReplacements builds a least-privilege proposal per legitimate caller.
type ProposeReplacements struct {
	KeyID   string        `json:"keyId"`
	Account string        `json:"account"`
	Callers []UsageCaller `json:"callers"`
}

// ApplyReplacement creates the identity a proposal describes.
type ApplyReplacement struct {
	Proposal Proposal `json:"proposal"`
	// Caller is the caller the replacement is for: where its target may
	// run, and (off AWS) the address whose workload takes the new key.
	Caller UsageCaller `json:"caller,omitzero"`
}

// VerifyMove looks for the caller's calls under its new identity.
type VerifyMove struct {
	KeyID    string      `json:"keyId"`
	Proposal Proposal    `json:"proposal"`
	Caller   UsageCaller `json:"caller"`
}

// KeyTarget names exactly one key; operations never act on "all keys".
type KeyTarget struct {
	KeyID string `json:"keyId"`
	User  string `json:"user,omitempty"` // empty for a root key
	Root  bool   `json:"root"`
}

// DeactivateKey makes the leaked key inactive (reversible, never delete first).
type DeactivateKey struct{ KeyTarget }

// ReactivateKey rolls a deactivation back when the watch shows impact.
type ReactivateKey struct{ KeyTarget }

// DeleteKey removes the key for good.
type DeleteKey struct{ KeyTarget }

// PollWatch reads the signals of the watch once, after the executor's
// polling interval: new use of the key, denied calls of replacements, alarms.
type PollWatch struct {
	KeyID string    `json:"keyId"`
	Since time.Time `json:"since"`
	// Replacements are the identities whose AccessDenied errors matter.
	Replacements []string `json:"replacements,omitempty"`
	// Applied are the replacements applied, by which their sessions and
	// regions are found; Callers are the legitimate callers, whose
	// regions hold the alarms that matter.
	Applied []Proposal    `json:"applied,omitempty"`
	Callers []UsageCaller `json:"callers,omitempty"`
	// Regions are the regions the investigation read; empty reads the
	// account's enabled regions.
	Regions []string `json:"regions,omitempty"`
}

// CheckHardening reads the account's hardening checklist.
type CheckHardening struct {
	KeyID string `json:"keyId"`
	// Swept is true when the investigation finished; BlastRadius is what
	// it found the attacker created, which the checklist reads again.
	Swept       bool       `json:"swept,omitempty"`
	BlastRadius []Resource `json:"blastRadius,omitempty"`
}

// CleanUpResource removes or disables something the attacker created
// (a key is deactivated, a user's keys and login profile removed).
type CleanUpResource struct {
	Resource Resource `json:"resource"`
}

func (IdentifyKey) EffectName() string         { return "IdentifyKey" }
func (SweepCloudTrail) EffectName() string     { return "SweepCloudTrail" }
func (ProposeReplacements) EffectName() string { return "ProposeReplacements" }
func (ApplyReplacement) EffectName() string    { return "ApplyReplacement" }
func (VerifyMove) EffectName() string          { return "VerifyMove" }
func (DeactivateKey) EffectName() string       { return "DeactivateKey" }
func (ReactivateKey) EffectName() string       { return "ReactivateKey" }
func (DeleteKey) EffectName() string           { return "DeleteKey" }
func (PollWatch) EffectName() string           { return "PollWatch" }
func (CheckHardening) EffectName() string      { return "CheckHardening" }
func (CleanUpResource) EffectName() string     { return "CleanUpResource" }

func (IdentifyKey) Mutates() bool         { return false }
func (SweepCloudTrail) Mutates() bool     { return false }
func (ProposeReplacements) Mutates() bool { return false }
func (ApplyReplacement) Mutates() bool    { return true }
func (VerifyMove) Mutates() bool          { return false }
func (DeactivateKey) Mutates() bool       { return true }
func (ReactivateKey) Mutates() bool       { return true }
func (DeleteKey) Mutates() bool           { return true }
func (PollWatch) Mutates() bool           { return false }
func (CheckHardening) Mutates() bool      { return false }
func (CleanUpResource) Mutates() bool     { return true }
