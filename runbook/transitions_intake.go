package runbook

// Transitions of intake and identification: the key is named, then read.

func (m *Machine) submitKey(e SubmitKey) ([]Effect, error) {
	s := &m.s
	if s.Step != StepIntake {
		return nil, refuse(s.Step, e, "the key is already set to %s: start a new incident for another key", s.KeyID)
	}
	id, err := ParseKeyID(e.KeyID)
	if err != nil {
		return nil, refuse(s.Step, e, "%s", err.Error())
	}
	if !e.ExposedAt.IsZero() && !e.DetectedAt.IsZero() && e.ExposedAt.After(e.DetectedAt) {
		return nil, refuse(s.Step, e, "the key cannot be exposed (%s) after the leak was detected (%s)", stamp(e.ExposedAt), stamp(e.DetectedAt))
	}
	s.KeyID, s.Intake.DetectedAt, s.Intake.ExposedAt, s.Step = id, e.DetectedAt, e.ExposedAt, StepIdentify
	return []Effect{IdentifyKey{KeyID: id}}, nil
}

func (m *Machine) keyIdentified(e KeyIdentified) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	if e.Key.KeyID != "" && e.Key.KeyID != s.KeyID {
		return nil, refuse(s.Step, e, "identification answered for key %s, not %s", e.Key.KeyID, s.KeyID)
	}
	m.settle("IdentifyKey")
	s.Intake.Caller, s.Intake.Key, s.Intake.Identified = e.Caller, e.Key, true
	s.Intake.Key.KeyID = s.KeyID
	s.Findings = append(s.Findings, e.Findings...)
	return nil, nil
}
