package runbook

import "strings"

// Transitions of hardening and closing: the checklist read after the key
// is gone, clean-ups of what the attacker created (requested in
// containment.go), and the end of the incident.

func (m *Machine) resourceCleanedUp(e ResourceCleanedUp) ([]Effect, error) {
	s := &m.s
	if !m.isPending("CleanUpResource") {
		return nil, refuse(s.Step, e, "no clean-up was asked for")
	}
	m.settleResource(e.Resource)
	m.cleanedUp(e)
	return nil, nil
}

func (m *Machine) hardeningChecked(e HardeningChecked) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("CheckHardening")
	// The indicators' follow-ups (rotate the secrets read, unshare the
	// snapshots shared) join what awsops read of the account.
	s.Harden.Checklist = append(append([]CheckItem(nil), e.Items...), s.Investigate.Investigation.FollowUpChecks()...)
	m.markFollowUps()
	return nil, nil
}

func (m *Machine) recheckHardening(e RecheckHardening) ([]Effect, error) {
	s := &m.s
	if s.Step != StepHarden {
		return nil, refuse(s.Step, e, "the hardening checklist is read after the key is deleted")
	}
	if m.isPending("CheckHardening") {
		return nil, refuse(s.Step, e, "the checklist is being read")
	}
	return []Effect{m.hardeningEffect()}, nil
}

func (m *Machine) hardeningEffect() Effect {
	e := CheckHardening{KeyID: m.s.KeyID}
	if inv := m.s.Investigate.Investigation; inv != nil && !m.s.Investigate.Sweeping {
		e.Swept, e.BlastRadius = true, inv.BlastRadius
	}
	return e
}

func (m *Machine) closeIncident(e CloseIncident) ([]Effect, error) {
	s := &m.s
	if s.Step != StepHarden {
		return nil, refuse(s.Step, e, "the incident closes after the key is deleted and the account checked")
	}
	if s.Harden.Checklist == nil {
		return nil, refuse(s.Step, e, "read the hardening checklist before closing")
	}
	if len(m.pending) > 0 {
		return nil, refuse(s.Step, e, "wait for %s to finish", strings.Join(pendingNames(m.pending), ", "))
	}
	s.Reason, s.Step = e.Note, StepClosed
	return nil, nil
}
