package runbook

import (
	"strings"
	"time"
)

// Transitions of containment: deactivate, watch, roll back, delete. The
// watch's readings and the deletion's guard are in containment.go.

func (m *Machine) confirmDeactivate(e ConfirmDeactivate) ([]Effect, error) {
	s := &m.s
	if s.Step != StepDeactivate {
		return nil, refuse(s.Step, e, "the key is deactivated from the deactivation step")
	}
	if m.isPending("DeactivateKey") {
		return nil, refuse(s.Step, e, "the deactivation is already running")
	}
	if reason := m.replacementGap(); reason != "" && s.Propose.Override == "" {
		return nil, refuse(s.Step, e, "cannot deactivate yet: %s", reason)
	}
	if gaps := m.openGaps(); len(gaps) > 0 {
		return nil, m.gapRefusal(e, "deactivate", gaps)
	}
	if reason := m.rootGap(); reason != "" {
		return nil, refuse(s.Step, e, "cannot deactivate yet: %s", reason)
	}
	return []Effect{DeactivateKey{m.target()}}, nil
}

func (m *Machine) keyDeactivated(e KeyDeactivated) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("DeactivateKey")
	s.Intake.Key.Status = KeyInactive
	s.Contain.DeactivatedAt = e.At
	m.startWatch(e.At)
	s.Step = StepWatch
	return []Effect{m.pollEffect()}, nil
}

func (m *Machine) restartWatch(e RestartWatch) ([]Effect, error) {
	s := &m.s
	if s.Step != StepWatch {
		return nil, refuse(s.Step, e, "the watch can only be restarted while watching")
	}
	m.startWatch(s.Watch.Last)
	if m.isPending("PollWatch") {
		return nil, nil
	}
	return []Effect{m.pollEffect()}, nil
}

func (m *Machine) requestReactivate(e RequestReactivate) ([]Effect, error) {
	s := &m.s
	if s.Step != StepWatch && s.Step != StepDelete {
		return nil, refuse(s.Step, e, "roll-back is possible while watching, before the key is deleted")
	}
	if m.isPending("DeleteKey") {
		// A roll-back racing the deletion could answer either way.
		return nil, refuse(s.Step, e, "the key is being deleted: wait for the deletion's result")
	}
	if strings.TrimSpace(e.Reason) == "" {
		return nil, refuse(s.Step, e, "say why you roll back: the reason goes into the action log")
	}
	s.Step = StepReactivate
	s.Contain.Lessons = append(s.Contain.Lessons, m.lesson(e.Reason))
	return []Effect{ReactivateKey{m.target()}}, nil
}

func (m *Machine) keyReactivated(e KeyReactivated) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("ReactivateKey")
	// A poll still in flight answers a watch that no longer exists.
	delete(m.pending, "PollWatch")
	s.Intake.Key.Status = KeyActive
	s.Contain.Rollbacks++
	m.startWatch(time.Time{})
	s.Contain.DeactivatedAt = time.Time{}
	s.Step = StepPropose
	return nil, nil
}

func (m *Machine) keyDeleted(e KeyDeleted) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("DeleteKey")
	s.Intake.Key.Status, s.Delete.DeletedAt, s.Step = KeyGone, e.At, StepHarden
	return []Effect{m.hardeningEffect()}, nil
}

func (m *Machine) target() KeyTarget { return m.s.KeyTarget() }

// KeyTarget is the leaked key as the effects that change it name it.
func (s State) KeyTarget() KeyTarget {
	return KeyTarget{KeyID: s.KeyID, User: s.Intake.Key.User, Root: s.Intake.Key.Root}
}
