package runbook

import (
	"slices"
	"strings"
)

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

// releaseContainmentSCP and containmentSCPRemoved: the SCP that contained
// a member's root key, removed from the checklist (containmentscp.go).
func (m *Machine) releaseContainmentSCP(e ReleaseContainmentSCP) ([]Effect, error) {
	s := &m.s
	switch {
	case s.Step != StepHarden:
		return nil, refuse(s.Step, e, "the containment SCP is removed at the hardening checklist, once the key is deleted")
	case !s.Harden.ContainmentSCPOpen():
		return nil, refuse(s.Step, e, "the checklist names no containment SCP still attached (read it again with g)")
	case m.isPending("RemoveContainmentSCP"):
		return nil, refuse(s.Step, e, "the SCP is being removed")
	}
	return []Effect{RemoveContainmentSCP{KeyID: s.KeyID, Account: s.Intake.Key.Account}}, nil
}

func (m *Machine) containmentSCPRemoved(e ContainmentSCPRemoved) ([]Effect, error) {
	s := &m.s
	if !m.isPending("RemoveContainmentSCP") {
		return nil, refuse(s.Step, e, "no removal of the containment SCP was asked for")
	}
	m.settle("RemoveContainmentSCP")
	s.Harden.Checklist = slices.Clone(s.Harden.Checklist)
	for i, it := range s.Harden.Checklist {
		if it.ID != CheckContainmentSCP {
			continue
		}
		if e.DryRun {
			// Nothing was detached: the item stays open, and says what a
			// live run would do.
			it.State = "dry-run: " + e.Policy + " would be detached and deleted; it stays attached"
		} else {
			it.OK, it.Fix = true, ""
			it.State = e.Policy + " detached from account " + s.Intake.Key.Account + " and deleted at " + stamp(e.At)
		}
		s.Harden.Checklist[i] = it
	}
	return nil, nil
}
