package runbook

import (
	"fmt"
	"strings"
)

// A proposal's policy is proved before cutover (issue 11): every call its
// legitimate callers were seen to make is replayed through
// iam:SimulateCustomPolicy against the policy, and so are the writes of the
// callers labelled suspicious or attacker. A proof passes when every
// legitimate call is allowed and no attacker write is. A proposal whose
// proof did not pass is not applied unless the responder overrides it with
// a written reason, which the action log keeps.

// ProofStatus is where a proposal's proof stands.
type ProofStatus string

// Proof statuses.
const (
	ProofRunning ProofStatus = "running"
	ProofPassed  ProofStatus = "passed"
	// ProofFailed: the policy denies a legitimate call or allows an
	// attacker's write.
	ProofFailed ProofStatus = "failed"
	// ProofError: the simulation could not run (the responder lacks
	// iam:SimulateCustomPolicy, say): the policy is unproven.
	ProofError ProofStatus = "error"
)

// Proof is the latest proof of one caller's proposal.
type Proof struct {
	CallerID string      `json:"callerId"`
	Seq      int         `json:"seq"` // the ProveProposal it answers
	Status   ProofStatus `json:"status"`
	// Allowed and Denied are the legitimate calls the policy allows and
	// denies, as "action on resource" ("action" alone for "*").
	Allowed []string `json:"allowed,omitempty"`
	Denied  []string `json:"denied,omitempty"`
	// AttackerAllowed and AttackerDenied are the attacker's writes, with
	// the caller that made each.
	AttackerAllowed []string `json:"attackerAllowed,omitempty"`
	AttackerDenied  []string `json:"attackerDenied,omitempty"`
	Notes           []string `json:"notes,omitempty"`
	Error           string   `json:"error,omitempty"`
	// Override is the responder's written reason to apply it anyway.
	Override string `json:"override,omitempty"`
}

// Settled reports whether the proof lets its proposal be applied.
func (p Proof) Settled() bool {
	return p.Status == ProofPassed || (p.Override != "" && (p.Status == ProofFailed || p.Status == ProofError))
}

// ProveProposal replays what the callers of a proposal's identity did, and
// the attacker's writes, against the proposal's policy. It reads only.
type ProveProposal struct {
	Seq      int      `json:"seq"`
	Proposal Proposal `json:"proposal"`
	// Callers are the legitimate callers the identity serves: the
	// proposal's own and any other on the same target.
	Callers []UsageCaller `json:"callers"`
	// Attackers are the callers labelled suspicious or attacker.
	Attackers []UsageCaller `json:"attackers,omitempty"`
}

// ProposalProven is the proof's result. Error is set, and the lists empty,
// when the simulation could not run.
type ProposalProven struct {
	CallerID        string   `json:"callerId"`
	Seq             int      `json:"seq"`
	Allowed         []string `json:"allowed,omitempty"`
	Denied          []string `json:"denied,omitempty"`
	AttackerAllowed []string `json:"attackerAllowed,omitempty"`
	AttackerDenied  []string `json:"attackerDenied,omitempty"`
	Notes           []string `json:"notes,omitempty"`
	Error           string   `json:"error,omitempty"`
	// Action and Code name the missing permission when Error is a denial.
	Action string `json:"action,omitempty"`
	Code   string `json:"code,omitempty"`
}

// OverrideProof lets a proposal whose proof did not pass be applied. The
// reason is required: it goes into the action log.
type OverrideProof struct {
	CallerID string `json:"callerId"`
	Reason   string `json:"reason"`
}

// EffectName implements Effect.
func (ProveProposal) EffectName() string { return "ProveProposal" }

// Mutates implements Effect: a simulation changes nothing.
func (ProveProposal) Mutates() bool { return false }

// EventName implements Event.
func (ProposalProven) EventName() string { return "ProposalProven" }

// EventName implements Event.
func (OverrideProof) EventName() string { return "OverrideProof" }

// ProofOf returns the latest proof of a caller's proposal.
func (s State) ProofOf(callerID string) (Proof, bool) {
	for _, p := range s.Propose.Proofs {
		if p.CallerID == callerID {
			return p, true
		}
	}
	return Proof{}, false
}

// reprove asks for a new proof of every proposal not yet applied that has
// a policy. It runs when the proposals, a policy or the labels changed:
// any of them changes what must be allowed and what denied. Earlier
// proofs, and their overrides, no longer count.
func (m *Machine) reprove() []Effect {
	s := &m.s
	var effects []Effect
	var proofs []Proof
	for _, p := range s.Propose.Proofs {
		if i := m.proposalIndex(p.CallerID); i >= 0 && s.Propose.Proposals[i].Applied {
			proofs = append(proofs, p) // kept for the record
		}
	}
	for _, p := range s.Propose.Proposals {
		if p.Applied || p.Policy == "" {
			continue
		}
		s.Propose.ProofSeq++
		effects = append(effects, ProveProposal{Seq: s.Propose.ProofSeq, Proposal: p, Callers: m.servedBy(p), Attackers: m.attackers()})
		proofs = append(proofs, Proof{CallerID: p.CallerID, Seq: s.Propose.ProofSeq, Status: ProofRunning})
	}
	s.Propose.Proofs = proofs
	return effects
}

// servedBy are the legitimate callers whose proposals share p's identity
// (Propose names callers on one target alike): the policy serves them all.
func (m *Machine) servedBy(p Proposal) []UsageCaller {
	var out []UsageCaller
	if m.s.Investigate.Investigation == nil {
		return nil
	}
	for _, q := range m.s.Propose.Proposals {
		if q.CallerID != p.CallerID && (q.Name != p.Name || q.Kind != p.Kind) {
			continue
		}
		if c, ok := m.s.Investigate.Investigation.Caller(q.CallerID); ok && c.NeedsReplacement() {
			out = append(out, c)
		}
	}
	return out
}

// attackers are the callers whose writes a replacement must not allow.
// Unknown callers are neither: they feed no policy and prove nothing.
func (m *Machine) attackers() []UsageCaller {
	var out []UsageCaller
	if m.s.Investigate.Investigation == nil {
		return nil
	}
	for _, c := range m.s.Investigate.Investigation.Callers {
		if (c.Label == LabelAttacker || c.Label == LabelSuspicious) && c.Kind != CallerAWSService {
			out = append(out, c)
		}
	}
	return out
}

func (m *Machine) proven(e ProposalProven) error {
	s := &m.s
	q := m.pending["ProveProposal"]
	at := -1
	for i, eff := range q {
		if x := eff.(ProveProposal); x.Seq == e.Seq && x.Proposal.CallerID == e.CallerID {
			at = i
		}
	}
	if at < 0 {
		return refuse(s.Step, e, "a proof of %s arrived but none was asked for", e.CallerID)
	}
	eff := q[at]
	m.pending["ProveProposal"] = append(append([]Effect(nil), q[:at]...), q[at+1:]...)
	if len(m.pending["ProveProposal"]) == 0 {
		delete(m.pending, "ProveProposal")
	}
	proofs := append([]Proof(nil), s.Propose.Proofs...)
	for i := range proofs {
		// An answer to an older round settles its effect and is dropped:
		// the policy or the labels changed since it was asked.
		if proofs[i].CallerID != e.CallerID || proofs[i].Seq != e.Seq {
			continue
		}
		p := Proof{CallerID: e.CallerID, Seq: e.Seq, Allowed: e.Allowed, Denied: e.Denied,
			AttackerAllowed: e.AttackerAllowed, AttackerDenied: e.AttackerDenied, Notes: e.Notes, Error: e.Error}
		switch {
		case e.Error != "":
			p.Status = ProofError
			// Retry runs the proof again, as it does any failed effect.
			s.Effects.Failed = append(append([]Effect(nil), s.Effects.Failed...), eff)
			s.Effects.LastError = &EffectFailed{Effect: eff.EffectName(), Action: e.Action, Code: e.Code, Message: e.Error}
		case len(e.Denied) > 0 || len(e.AttackerAllowed) > 0:
			p.Status = ProofFailed
		default:
			p.Status = ProofPassed
		}
		proofs[i] = p
	}
	s.Propose.Proofs = proofs
	return nil
}

// proofFailed marks the proof whose effect an EffectFailed answers: the
// one in flight longest, which is the one failed() settles and Retry runs.
func (m *Machine) proofFailed(e EffectFailed) {
	q := m.pending["ProveProposal"]
	if len(q) == 0 {
		return
	}
	x := q[0].(ProveProposal)
	proofs := append([]Proof(nil), m.s.Propose.Proofs...)
	for i := range proofs {
		if proofs[i].CallerID == x.Proposal.CallerID && proofs[i].Seq == x.Seq {
			proofs[i].Status, proofs[i].Error = ProofError, e.Message
		}
	}
	m.s.Propose.Proofs = proofs
}

func (m *Machine) overrideProof(e OverrideProof) error {
	s := &m.s
	if s.Step != StepPropose {
		return refuse(s.Step, e, "a proof is overridden in the proposals step")
	}
	reason := strings.TrimSpace(e.Reason)
	if reason == "" {
		return refuse(s.Step, e, "say why the policy may be applied unproven: the reason goes into the action log")
	}
	i := -1
	for j, p := range s.Propose.Proofs {
		if p.CallerID == e.CallerID {
			i = j
		}
	}
	if i < 0 {
		return refuse(s.Step, e, "no proof of %s to override", e.CallerID)
	}
	switch s.Propose.Proofs[i].Status {
	case ProofRunning:
		return refuse(s.Step, e, "the proof of %s is still running: wait for its result", e.CallerID)
	case ProofPassed:
		return refuse(s.Step, e, "the proof of %s passed: there is nothing to override", e.CallerID)
	}
	s.Propose.Proofs = append([]Proof(nil), s.Propose.Proofs...)
	s.Propose.Proofs[i].Override = reason
	return nil
}

// applyGap says which proposals decided "apply" may not be applied yet:
// export-only kinds, proofs running, failed or unproven without override.
func (m *Machine) applyGap() string {
	s := &m.s
	var gaps []string
	for _, p := range s.Propose.Proposals {
		if p.Decision != DecisionApply || p.Applied {
			continue
		}
		if p.Kind.ExportOnly() {
			gaps = append(gaps, fmt.Sprintf("%s is a %s, which keyrunbook cannot create: export it instead", p.CallerID, p.Kind))
			continue
		}
		if p.Policy == "" {
			continue // apply itself says the proposal has no policy
		}
		pr, ok := s.ProofOf(p.CallerID)
		switch {
		case !ok:
			gaps = append(gaps, p.CallerID+"'s policy is unproven")
		case pr.Settled():
		case pr.Status == ProofRunning:
			gaps = append(gaps, "the proof of "+p.CallerID+" is still running")
		case pr.Status == ProofError:
			gaps = append(gaps, fmt.Sprintf("%s's policy could not be proved (%s); override with a reason to apply it unproven", p.CallerID, pr.Error))
		default:
			gaps = append(gaps, fmt.Sprintf("%s's policy fails its proof (%s); edit the policy, or override with a reason", p.CallerID, proofFailures(pr)))
		}
	}
	return strings.Join(gaps, "; ")
}

// proofFailures sums up what a failed proof found, a few of each.
func proofFailures(p Proof) string {
	var parts []string
	if n := len(p.Denied); n > 0 {
		parts = append(parts, fmt.Sprintf("denies %d legitimate call(s): %s", n, firstFew(p.Denied, 3)))
	}
	if n := len(p.AttackerAllowed); n > 0 {
		parts = append(parts, fmt.Sprintf("allows %d attacker write(s): %s", n, firstFew(p.AttackerAllowed, 3)))
	}
	return strings.Join(parts, "; ")
}

func firstFew(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// afterEdit keeps an edited proposal applicable: a switch to a kind
// keyrunbook only exports takes back an "apply" decision.
func (m *Machine) afterEdit(callerID string) {
	i := m.proposalIndex(callerID)
	if i < 0 || !m.s.Propose.Proposals[i].Kind.ExportOnly() || m.s.Propose.Proposals[i].Decision != DecisionApply {
		return
	}
	m.s.Propose.Proposals = cloneProposals(m.s.Propose.Proposals)
	m.s.Propose.Proposals[i].Decision = DecisionUndecided
}

// decideExportOnly refuses "apply" for a kind keyrunbook cannot create.
func (m *Machine) decideExportOnly(e DecideProposal) error {
	i := m.proposalIndex(e.CallerID)
	if e.Decision != DecisionApply || i < 0 || !m.s.Propose.Proposals[i].Kind.ExportOnly() {
		return nil
	}
	return refuse(m.s.Step, e, "%s", m.s.Propose.Proposals[i].Kind.ExportOnlyReason())
}

// relabelAndReprove relabels a caller; in the proposals step the proofs
// are asked again, since a label decides whose calls must be allowed and
// whose denied. A relabel that asks for a new proposal leaves that to the
// proposal's arrival, which proves everything anew.
func (m *Machine) relabelAndReprove(e RelabelCaller) ([]Effect, error) {
	effects, err := m.relabel(e)
	if err != nil || m.s.Step != StepPropose || len(effects) > 0 || m.isPending("ProposeReplacements") {
		return effects, err
	}
	return m.reprove(), nil
}

func (m *Machine) edited(e EditProposal) ([]Effect, error) {
	if err := m.editProposal(e); err != nil {
		return nil, err
	}
	m.afterEdit(e.Proposal.CallerID)
	return m.reprove(), nil
}

func (m *Machine) decided(e DecideProposal) ([]Effect, error) {
	if err := m.decideExportOnly(e); err != nil {
		return nil, err
	}
	if err := m.decide(e); err != nil {
		return nil, err
	}
	if e.Decision == DecisionNotOurs {
		// The caller now counts as suspicious: its writes must be denied.
		return m.reprove(), nil
	}
	return nil, nil
}

// sentence is the timeline's, named by the event's line in registry.go.
func (e ProposalProven) sentence() string {
	switch {
	case e.Error != "":
		return fmt.Sprintf("policy of %s could not be proved: %s", e.CallerID, RedactString(e.Error))
	case len(e.Denied) > 0 || len(e.AttackerAllowed) > 0:
		return fmt.Sprintf("policy of %s fails its proof: %s", e.CallerID,
			proofFailures(Proof{Denied: e.Denied, AttackerAllowed: e.AttackerAllowed}))
	}
	return fmt.Sprintf("policy of %s proved: %d legitimate call(s) allowed, %d attacker write(s) denied", e.CallerID, len(e.Allowed), len(e.AttackerDenied))
}

func (e OverrideProof) sentence() string {
	return fmt.Sprintf("policy of %s to be applied unproven, override: %s", e.CallerID, e.Reason)
}

// Summary says in a sentence where the proof stands, for the report.
func (p Proof) Summary() string {
	var s string
	switch p.Status {
	case ProofRunning:
		return "running"
	case ProofPassed:
		return fmt.Sprintf("passed: %d legitimate call(s) allowed, %d attacker write(s) denied", len(p.Allowed), len(p.AttackerDenied))
	case ProofError:
		s = "could not run: " + RedactString(p.Error)
	default:
		s = "failed: " + proofFailures(p)
	}
	if p.Override != "" {
		s += "; applied anyway, override: " + p.Override
	}
	return s
}
