package runbook

import "time"

// State is everything the machine knows. Read it through Machine.State;
// only Apply changes it. Its facts are grouped by the phase that writes
// them, so a reader sees which step owns what; the few at the top level
// belong to the whole incident.
type State struct {
	Step     Step
	Mode     Mode
	Scenario string // training: Config.Scenario
	KeyID    string
	// Findings are what every step noticed along the way (intake,
	// investigation, sources, the watch's lag).
	Findings []Finding
	// Reason is the abort reason or the closing note.
	Reason string

	Intake      IntakeState
	Investigate InvestigateState
	Propose     ProposeState
	Contain     ContainState
	Watch       WatchState
	Delete      DeleteState
	Harden      HardenState
	Effects     EffectState
}

// IntakeState is what intake and identification learned: who the
// responder is and what the key is.
type IntakeState struct {
	Caller Caller
	// Identified is true once KeyIdentified arrived.
	Identified bool
	Key        KeyFacts
	DetectedAt time.Time
	ExposedAt  time.Time
}

// InvestigateState is the sweep and what it found.
type InvestigateState struct {
	Investigation *Investigation
	Sweeping      bool
	// GapOverride is the written reason to decide on an incomplete
	// investigation (completeness.go).
	GapOverride *GapOverride
}

// ProposeState is the replacement proposals, their proofs, and the
// decision to go on with callers undecided.
type ProposeState struct {
	Proposals []Proposal
	// Proofs are the latest proof of each proposal (proof.go); ProofSeq
	// numbers the proofs asked for, so a late answer is told from a fresh one.
	Proofs   []Proof
	ProofSeq int
	// Override is the written reason to deactivate with callers undecided.
	Override string
}

// ContainState is what containment changed and learned, across
// deactivation, the watch and its roll-backs.
type ContainState struct {
	DeactivatedAt time.Time
	// RootAccess is the root session a root key's changes are made with,
	// as the responder obtained it (rootaccess.go).
	RootAccess *RootAccess
	// Revocation is the last revocation of the sessions the key minted.
	Revocation *Revocation
	Rollbacks  int
	// Lessons keeps what a rolled-back watch taught, for the next proposal.
	Lessons []string
}

// WatchState is the watch after deactivation: its window and its last
// reading.
type WatchState struct {
	Window time.Duration
	Start  time.Time
	Last   time.Time
	Passed bool
	// Ended is true when the window ran its length with something still
	// blocking deletion (Blockers): the watch stops polling and waits for
	// the responder to fix, roll back or restart it.
	Ended bool
	// KeyUses counts use of the key seen during the current watch; Uses
	// says who made them (watchuse.go).
	KeyUses int
	Uses    []KeyUse
	Unread  []UnreadSignal
	// ReadingSig is the signature of the last reading, kept across a
	// restart of the watch: a reading that says the same is not news.
	ReadingSig string
	Denied     []DeniedCall
	Alarms     []string
	Unhealthy  []string
}

// DeleteState is the deletion step: the last reading of the key's status
// and what was deleted.
type DeleteState struct {
	// KeyReadAt is when the Delete step last read the key's status in IAM
	// (keyread.go); KeyReadFrom where, for a root key read without root.
	KeyReadAt   time.Time
	KeyReadFrom string
	// KeyContained: that reading found the key Active but contained by a
	// service control policy (a member account's root key, ContainedBySCP).
	KeyContained bool
	DeletedAt    time.Time
	CleanedUp    []Resource
}

// HardenState is the hardening checklist and the follow-ups done.
type HardenState struct {
	Checklist []CheckItem
	// FollowUpsDone are the follow-ups the responder says are done
	// (ConfirmFollowUp), by checklist item ID.
	FollowUpsDone []FollowUpDone
}

// EffectState is the machine's bookkeeping of effects, at every step.
type EffectState struct {
	// Pending lists effects asked for and not yet answered.
	Pending []string
	// Failed holds the effects that failed, which Retry runs again.
	Failed    []Effect
	LastError *EffectFailed
}
