package runbook

import "strings"

// Transitions of the replace step: replacements applied, their callers'
// moves verified, then on to deactivation (or back to the proposals).

func (m *Machine) replacementApplied(e ReplacementApplied) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	i := m.proposalIndex(e.CallerID)
	if i < 0 {
		return nil, refuse(s.Step, e, "no proposal for caller %s", e.CallerID)
	}
	m.settleProposal("ApplyReplacement", e.CallerID)
	s.Propose.Proposals = cloneProposals(s.Propose.Proposals)
	s.Propose.Proposals[i].Applied, s.Propose.Proposals[i].Created = true, e.Created
	if s.Propose.Proposals[i].AppliedAt.IsZero() {
		s.Propose.Proposals[i].AppliedAt = e.At
	}
	return nil, nil
}

func (m *Machine) verifyMoves(e VerifyMoves) ([]Effect, error) {
	s := &m.s
	if s.Step != StepReplace {
		return nil, refuse(s.Step, e, "moves are verified in the replace step")
	}
	var effects []Effect
	for _, p := range s.Propose.Proposals {
		if p.Applied && !p.Moved && !m.verifying(p.CallerID) {
			c, _ := s.Investigate.Investigation.Caller(p.CallerID)
			effects = append(effects, VerifyMove{KeyID: s.KeyID, Proposal: p, Caller: c})
		}
	}
	if len(effects) == 0 {
		return nil, refuse(s.Step, e, "nothing to verify: no applied replacement is waiting for its caller to move")
	}
	return effects, nil
}

func (m *Machine) callerMoved(e CallerMoved) ([]Effect, error) {
	s := &m.s
	// A move check may answer after the responder went on to
	// deactivation: it still settles, or the incident could never close.
	if !m.isPending("VerifyMove") {
		return nil, refuse(s.Step, e, "CallerMoved arrived but no VerifyMove was asked for")
	}
	i := m.proposalIndex(e.CallerID)
	if i < 0 {
		return nil, refuse(s.Step, e, "no proposal for caller %s", e.CallerID)
	}
	m.settleProposal("VerifyMove", e.CallerID)
	s.Propose.Proposals = cloneProposals(s.Propose.Proposals)
	s.Propose.Proposals[i].Moved = e.Moved
	return nil, nil
}

func (m *Machine) backToProposals(e BackToProposals) ([]Effect, error) {
	s := &m.s
	if s.Step != StepReplace {
		return nil, refuse(s.Step, e, "going back to the proposals is possible from the replace step")
	}
	if m.isPending("ApplyReplacement") {
		return nil, refuse(s.Step, e, "wait for the replacements being applied to finish")
	}
	s.Step = StepPropose
	return nil, nil
}

func (m *Machine) proceedToDeactivate(e ProceedToDeactivate) ([]Effect, error) {
	s := &m.s
	if s.Step != StepReplace {
		return nil, refuse(s.Step, e, "deactivation comes after the replacements are applied")
	}
	if m.isPending("ApplyReplacement") {
		return nil, refuse(s.Step, e, "wait for the replacements being applied to finish")
	}
	if gaps := m.openGaps(); len(gaps) > 0 {
		return nil, m.gapRefusal(e, "deactivate", gaps)
	}
	override := strings.TrimSpace(e.Override)
	if reason := m.replacementGap(); reason != "" && override == "" {
		return nil, refuse(s.Step, e, "cannot deactivate yet: %s (decide each one, or give a written reason to override)", reason)
	}
	if override != "" {
		s.Propose.Override = override
	}
	s.Step = StepDeactivate
	return nil, nil
}
