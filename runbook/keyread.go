package runbook

import "time"

// The Delete step asserts the key is inactive. The machine learnt that when
// it deactivated the key, but anyone with IAM rights can turn it back on
// during the watch (issue 15, point 9): so the step reads the key's status
// again as it opens, and asserts only what that reading says.

// ReadKeyStatus reads the key's status in IAM again.
type ReadKeyStatus struct{ KeyTarget }

func (ReadKeyStatus) EffectName() string { return "ReadKeyStatus" }
func (ReadKeyStatus) Mutates() bool      { return false }

// KeyStatusRead answers ReadKeyStatus: the key's status in IAM at At.
type KeyStatusRead struct {
	Status KeyStatus `json:"status"`
	At     time.Time `json:"at"`
	// Source says where a root key's status was read from, when keyrunbook
	// holds no root credentials (the account summary, the credential report).
	Source string `json:"source,omitempty"`
	// ContainedBySCP: the key reads Active, but a service control policy
	// denies the member account's root user unless aws:AssumedRoot, so
	// nobody but an AssumeRoot session can use it (no root task policy
	// allows iam:UpdateAccessKey to make it inactive).
	ContainedBySCP bool `json:"containedBySCP,omitempty"`
}

func (KeyStatusRead) EventName() string { return "KeyStatusRead" }

// RereadKey asks for the key's status again at the Delete step: the screen
// sends it when it opens on a resumed incident, whose reading is as old as
// the log.
type RereadKey struct{}

func (RereadKey) EventName() string { return "RereadKey" }

func (m *Machine) rereadKey(e RereadKey) ([]Effect, error) {
	switch {
	case m.s.Step != StepDelete:
		return nil, refuse(m.s.Step, e, "the key's status is read again at the Delete step")
	case m.isPending("ReadKeyStatus"):
		return nil, nil
	case m.s.Mode == ModeDryRun:
		return nil, refuse(m.s.Step, e, "dry-run never turned the key off: there is no status to read again")
	}
	return m.readKeyEffects(), nil
}

// readKeyEffects are what opening the Delete step runs: the key read
// again, except in dry-run, where the key was never turned off and IAM
// would answer Active.
func (m *Machine) readKeyEffects() []Effect {
	if m.s.Mode == ModeDryRun {
		return nil
	}
	return []Effect{ReadKeyStatus{m.target()}}
}

func (m *Machine) keyStatusRead(e KeyStatusRead) error {
	if err := m.expect(e); err != nil {
		return err
	}
	m.settle("ReadKeyStatus")
	m.s.Intake.Key.Status, m.s.Delete.KeyReadAt, m.s.Delete.KeyReadFrom = e.Status, e.At, e.Source
	m.s.Delete.KeyContained = e.ContainedBySCP && e.Status == KeyActive
	return nil
}

// keyReadRefusal says why the key cannot be deleted while its status is
// being read, or could not be read: "" when it was read.
func (m *Machine) keyReadRefusal() string {
	if m.isPending("ReadKeyStatus") {
		return "cannot delete yet: the key's status is being read again in IAM"
	}
	for _, f := range m.s.Effects.Failed {
		if f.EffectName() == "ReadKeyStatus" {
			return "cannot delete: the key's status is unknown, because reading it again failed; retry (r) reads it"
		}
	}
	return ""
}
