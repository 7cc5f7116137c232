package runbook

import "time"

// Event is something that happened: a responder's intent or an effect's
// result. Machine.Apply is the only way an event changes the state.
type Event interface {
	EventName() string
}

// Responder intents.

// SubmitKey starts the incident with the leaked key's ID.
type SubmitKey struct {
	KeyID string `json:"keyId"`
	// DetectedAt is when the leak was detected, if known (time to detect).
	DetectedAt time.Time `json:"detectedAt,omitzero"`
	// ExposedAt is when the key was exposed (pushed, pasted, published), if
	// known: a caller first seen after it, from an address and tool the key
	// never used before, is for the responder to decide (issue 14).
	ExposedAt time.Time `json:"exposedAt,omitzero"`
}

// BeginInvestigation starts the CloudTrail sweep over [From, To].
type BeginInvestigation struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// BeginProposals asks for a replacement proposal per legitimate caller.
// Override is the responder's written reason to go on although the
// investigation is incomplete (Investigation.Gaps); it is refused without one.
type BeginProposals struct {
	Override string `json:"override,omitempty"`
}

// RelabelCaller changes a caller's label (e.g. "not ours" → suspicious).
type RelabelCaller struct {
	CallerID string `json:"callerId"`
	Label    Label  `json:"label"`
}

// EditProposal replaces a proposal's kind, name or policy before applying.
type EditProposal struct {
	Proposal Proposal `json:"proposal"`
}

// DecideProposal records the responder's decision for a caller.
type DecideProposal struct {
	CallerID string   `json:"callerId"`
	Decision Decision `json:"decision"`
}

// ApplyProposals creates every proposal decided "apply" not yet applied.
type ApplyProposals struct{}

// VerifyMoves checks every applied proposal's caller moved to it.
type VerifyMoves struct{}

// BackToProposals returns from the replace step to fix a proposal, after
// an apply failed or a move did not happen.
type BackToProposals struct{}

// ProceedToDeactivate moves to the deactivation step. Override, when
// set, is the responder's written reason to go on with callers undecided.
type ProceedToDeactivate struct {
	Override string `json:"override,omitempty"`
}

// ConfirmDeactivate runs the deactivation the step showed.
type ConfirmDeactivate struct{}

// RequestReactivate rolls back: the key becomes active again.
type RequestReactivate struct {
	Reason string `json:"reason"`
}

// RestartWatch starts the watch window again after a fix.
type RestartWatch struct{}

// ConfirmDelete deletes the key; Typed must be the key's last four characters.
type ConfirmDelete struct {
	Typed string `json:"typed"`
}

// CleanUp asks to remove what the attacker created: Resource, or each of
// Resources when the responder picked several from the checklist.
type CleanUp struct {
	Resource  Resource   `json:"resource"`
	Resources []Resource `json:"resources,omitempty"`
}

// Targets are the resources the clean-up asks for, Resource first when set.
func (e CleanUp) Targets() []Resource {
	if e.Resource == (Resource{}) {
		return e.Resources
	}
	return append([]Resource{e.Resource}, e.Resources...)
}

// RecheckHardening reads the checklist again after fixes.
type RecheckHardening struct{}

// CloseIncident ends the incident.
type CloseIncident struct {
	Note string `json:"note,omitempty"`
}

// Abort ends the incident early, from any step, with a reason.
type Abort struct {
	Reason string `json:"reason"`
}

// Retry runs the effect that failed last, again.
type Retry struct{}

// Effect results.

// KeyIdentified reports the caller and what is known of the key.
type KeyIdentified struct {
	Caller   Caller    `json:"caller"`
	Key      KeyFacts  `json:"key"`
	Findings []Finding `json:"findings,omitempty"`
}

// SweepProgress reports one region's progress during the sweep.
type SweepProgress struct {
	Region RegionSweep `json:"region"`
}

// SweepFinished carries the folded investigation.
type SweepFinished struct {
	Investigation Investigation `json:"investigation"`
	Findings      []Finding     `json:"findings,omitempty"`
}

// ProposalsReady carries a proposal per legitimate caller.
type ProposalsReady struct {
	Proposals []Proposal `json:"proposals"`
}

// ReplacementApplied reports what applying a proposal created.
type ReplacementApplied struct {
	CallerID string   `json:"callerId"`
	Created  []string `json:"created"`
	DryRun   bool     `json:"dryRun,omitempty"`
	// At is when the apply began.
	At time.Time `json:"at,omitzero"`
}

// CallerMoved reports whether a caller now calls as its replacement.
type CallerMoved struct {
	CallerID string `json:"callerId"`
	Moved    bool   `json:"moved"`
	Detail   string `json:"detail,omitempty"`
}

// KeyDeactivated confirms the key read back as inactive at At.
type KeyDeactivated struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dryRun,omitempty"`
	// Via says how the key was contained when not by its own status:
	// ContainedBySCP for a member account's root key.
	Via string `json:"via,omitempty"`
}

// ContainedBySCP: a service control policy denies the member account's
// root user unless aws:AssumedRoot; the key itself still reads Active,
// since no root task policy allows iam:UpdateAccessKey.
const ContainedBySCP = "scp"

// DeniedCall is a replacement identity's call that IAM denied.
type DeniedCall struct {
	Principal string    `json:"principal"`
	Action    string    `json:"action"`
	Time      time.Time `json:"time"`
}

// WatchObserved is one reading of the watch signals at At.
type WatchObserved struct {
	At      time.Time `json:"at"`
	KeyUses int       `json:"keyUses"` // events with the leaked key since the watch began
	// Uses says who made them, folded by source, action, region and error.
	Uses      []KeyUse     `json:"uses,omitempty"`
	Denied    []DeniedCall `json:"denied,omitempty"`
	Alarms    []string     `json:"alarms,omitempty"`    // CloudWatch alarms in ALARM
	Unhealthy []string     `json:"unhealthy,omitempty"` // training: the scenario's health signal
	// Unread lists the signals that could not be read: unknown, not quiet.
	Unread []UnreadSignal `json:"unread,omitempty"`
}

// KeyReactivated confirms the roll-back.
type KeyReactivated struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dryRun,omitempty"`
}

// KeyDeleted confirms the key is gone.
type KeyDeleted struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dryRun,omitempty"`
}

// ResourceCleanedUp confirms an attacker's resource was removed or disabled.
type ResourceCleanedUp struct {
	Resource Resource `json:"resource"`
	// With are what went with it, as read from the account while removing
	// it: the keys, console password and policies of a deleted user.
	With   []Resource `json:"with,omitempty"`
	DryRun bool       `json:"dryRun,omitempty"`
}

// HardeningChecked carries the checklist as read.
type HardeningChecked struct {
	Items []CheckItem `json:"items"`
}

// EffectFailed reports an effect that did not complete. The step stays
// where it was and Retry runs the effect again.
type EffectFailed struct {
	Effect string `json:"effect"`
	// Action names the IAM action the caller lacks, for AccessDenied.
	Action  string `json:"action,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (SubmitKey) EventName() string           { return "SubmitKey" }
func (BeginInvestigation) EventName() string  { return "BeginInvestigation" }
func (BeginProposals) EventName() string      { return "BeginProposals" }
func (RelabelCaller) EventName() string       { return "RelabelCaller" }
func (EditProposal) EventName() string        { return "EditProposal" }
func (DecideProposal) EventName() string      { return "DecideProposal" }
func (ApplyProposals) EventName() string      { return "ApplyProposals" }
func (VerifyMoves) EventName() string         { return "VerifyMoves" }
func (ProceedToDeactivate) EventName() string { return "ProceedToDeactivate" }
func (BackToProposals) EventName() string     { return "BackToProposals" }
func (ConfirmDeactivate) EventName() string   { return "ConfirmDeactivate" }
func (RequestReactivate) EventName() string   { return "RequestReactivate" }
func (RestartWatch) EventName() string        { return "RestartWatch" }
func (ConfirmDelete) EventName() string       { return "ConfirmDelete" }
func (CleanUp) EventName() string             { return "CleanUp" }
func (RecheckHardening) EventName() string    { return "RecheckHardening" }
func (CloseIncident) EventName() string       { return "CloseIncident" }
func (Abort) EventName() string               { return "Abort" }
func (Retry) EventName() string               { return "Retry" }
func (KeyIdentified) EventName() string       { return "KeyIdentified" }
func (SweepProgress) EventName() string       { return "SweepProgress" }
func (SweepFinished) EventName() string       { return "SweepFinished" }
func (ProposalsReady) EventName() string      { return "ProposalsReady" }
func (ReplacementApplied) EventName() string  { return "ReplacementApplied" }
func (CallerMoved) EventName() string         { return "CallerMoved" }
func (KeyDeactivated) EventName() string      { return "KeyDeactivated" }
func (WatchObserved) EventName() string       { return "WatchObserved" }
func (KeyReactivated) EventName() string      { return "KeyReactivated" }
func (KeyDeleted) EventName() string          { return "KeyDeleted" }
func (ResourceCleanedUp) EventName() string   { return "ResourceCleanedUp" }
func (HardeningChecked) EventName() string    { return "HardeningChecked" }
func (EffectFailed) EventName() string        { return "EffectFailed" }
