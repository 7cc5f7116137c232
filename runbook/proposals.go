package runbook

import (
	"fmt"
	"strings"
)

func (m *Machine) relabel(e RelabelCaller) ([]Effect, error) {
	s := &m.s
	if s.Step != StepInvestigate && s.Step != StepPropose {
		return nil, refuse(s.Step, e, "callers are labelled during the investigation and the proposals")
	}
	if s.Investigate.Investigation == nil || s.Investigate.Sweeping {
		return nil, refuse(s.Step, e, "wait for the sweep to finish before labelling callers")
	}
	switch e.Label {
	case LabelLegitimate, LabelSuspicious, LabelAttacker, LabelUnknown:
	default:
		return nil, refuse(s.Step, e, "%q is not a label: use legitimate, suspicious, attacker or unknown", e.Label)
	}
	inv := *s.Investigate.Investigation
	inv.Callers = append([]UsageCaller(nil), inv.Callers...)
	found := -1
	for i := range inv.Callers {
		if inv.Callers[i].ID == e.CallerID {
			found = i
		}
	}
	if found < 0 {
		return nil, refuse(s.Step, e, "no caller %s in the investigation", e.CallerID)
	}
	if i := m.proposalIndex(e.CallerID); i >= 0 && s.Propose.Proposals[i].Applied && e.Label != LabelLegitimate {
		return nil, refuse(s.Step, e, "caller %s already has an applied replacement; it cannot be relabelled now", e.CallerID)
	}
	inv.Callers[found].Label = e.Label
	inv.Callers[found].Undecided = "" // the responder decided it
	s.Investigate.Investigation = &inv
	if s.Step != StepPropose {
		return nil, nil
	}
	c := inv.Callers[found]
	if !c.NeedsReplacement() {
		s.Propose.Proposals = removeProposal(s.Propose.Proposals, c.ID)
		return nil, nil
	}
	if m.proposalIndex(c.ID) >= 0 || m.isPending("ProposeReplacements") {
		return nil, nil
	}
	return []Effect{m.proposeEffect([]UsageCaller{c})}, nil
}

func (m *Machine) editProposal(e EditProposal) error {
	s := &m.s
	if s.Step != StepPropose {
		return refuse(s.Step, e, "proposals are edited in the proposals step")
	}
	p := e.Proposal
	i := m.proposalIndex(p.CallerID)
	if i < 0 {
		return refuse(s.Step, e, "no proposal for caller %s", p.CallerID)
	}
	if s.Propose.Proposals[i].Applied {
		return refuse(s.Step, e, "the replacement for %s is already applied; edit it in IAM", p.CallerID)
	}
	if !p.Kind.Valid() {
		return refuse(s.Step, e, "%q is not a replacement kind", p.Kind)
	}
	if err := validIAMName(p.Name); err != nil {
		return refuse(s.Step, e, "%s", err.Error())
	}
	if err := validPolicy(p.Policy); err != nil {
		return refuse(s.Step, e, "%s", err.Error())
	}
	s.Propose.Proposals = cloneProposals(s.Propose.Proposals)
	old := s.Propose.Proposals[i]
	p.Decision, p.Applied, p.Moved, p.Created = old.Decision, false, false, nil
	s.Propose.Proposals[i] = p
	return nil
}

func (m *Machine) decide(e DecideProposal) error {
	s := &m.s
	if s.Step != StepPropose {
		return refuse(s.Step, e, "decisions are made in the proposals step")
	}
	i := m.proposalIndex(e.CallerID)
	if i < 0 {
		return refuse(s.Step, e, "no proposal for caller %s", e.CallerID)
	}
	switch e.Decision {
	case DecisionApply, DecisionExported, DecisionNotOurs, DecisionUndecided:
	default:
		return refuse(s.Step, e, "%q is not a decision", e.Decision)
	}
	if s.Propose.Proposals[i].Applied && e.Decision != DecisionApply {
		return refuse(s.Step, e, "the replacement for %s is already applied", e.CallerID)
	}
	s.Propose.Proposals = cloneProposals(s.Propose.Proposals)
	s.Propose.Proposals[i].Decision = e.Decision
	if e.Decision == DecisionNotOurs {
		// Not ours means someone else's use of our key: it counts as suspicious.
		inv := *s.Investigate.Investigation
		inv.Callers = append([]UsageCaller(nil), inv.Callers...)
		for j := range inv.Callers {
			if inv.Callers[j].ID == e.CallerID {
				inv.Callers[j].Label = LabelSuspicious
			}
		}
		s.Investigate.Investigation = &inv
	}
	return nil
}

// replacementGap says which legitimate callers have no decided
// replacement, or "" when every one has.
func (m *Machine) replacementGap() string {
	s := &m.s
	if s.Investigate.Investigation == nil || s.Investigate.Sweeping {
		return "the investigation has not finished"
	}
	var missing []string
	for _, c := range s.Investigate.Investigation.Callers {
		if c.Undecided != "" {
			missing = append(missing, c.ID+" is not decided ("+c.Undecided+"): label it legitimate, suspicious or attacker")
			continue
		}
		if !c.NeedsReplacement() {
			continue
		}
		i := m.proposalIndex(c.ID)
		if i < 0 {
			missing = append(missing, c.ID+" has no proposal")
			continue
		}
		p := s.Propose.Proposals[i]
		switch {
		case p.Decision == DecisionUndecided:
			missing = append(missing, c.ID+" is undecided")
		case p.Decision == DecisionApply && !p.Applied:
			missing = append(missing, c.ID+" is not applied yet")
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%d caller(s) still depend on the key or on your verdict: %s", len(missing), strings.Join(missing, "; "))
}

func (m *Machine) proposalIndex(callerID string) int {
	for i, p := range m.s.Propose.Proposals {
		if p.CallerID == callerID {
			return i
		}
	}
	return -1
}

// settleProposal settles the in-flight effect for one caller's proposal.
func (m *Machine) settleProposal(name, callerID string) {
	q := m.pending[name]
	for i, e := range q {
		var p Proposal
		switch x := e.(type) {
		case ApplyReplacement:
			p = x.Proposal
		case VerifyMove:
			p = x.Proposal
		}
		if p.CallerID == callerID {
			m.pending[name] = append(append([]Effect(nil), q[:i]...), q[i+1:]...)
			if len(m.pending[name]) == 0 {
				delete(m.pending, name)
			}
			return
		}
	}
	m.settle(name)
}

func (m *Machine) verifying(callerID string) bool {
	for _, e := range m.pending["VerifyMove"] {
		if e.(VerifyMove).Proposal.CallerID == callerID {
			return true
		}
	}
	return false
}

func cloneProposals(ps []Proposal) []Proposal { return append([]Proposal(nil), ps...) }

func removeProposal(ps []Proposal, callerID string) []Proposal {
	var out []Proposal
	for _, p := range ps {
		if p.CallerID != callerID {
			out = append(out, p)
		}
	}
	return out
}

// mergeProposals replaces proposals by caller, keeping applied ones: a
// second proposal round after a roll-back must not recreate what exists.
func mergeProposals(old, fresh []Proposal) []Proposal {
	out := cloneProposals(old)
	for _, p := range fresh {
		replaced := false
		for i := range out {
			if out[i].CallerID == p.CallerID {
				if !out[i].Applied {
					out[i] = p
				}
				replaced = true
			}
		}
		if !replaced {
			out = append(out, p)
		}
	}
	return out
}

// validIAMName applies IAM's rule for role and user names: 1-64 characters
// of letters, digits and +=,.@_-.
func validIAMName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("a role or user name has 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@_-", r)) {
			return fmt.Errorf("%q: a role or user name may use only letters, digits and +=,.@_-", name)
		}
	}
	return nil
}
