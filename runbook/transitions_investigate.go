package runbook

// Transitions of the investigation: the CloudTrail sweep and its progress.

func (m *Machine) beginInvestigation(e BeginInvestigation) ([]Effect, error) {
	s := &m.s
	if s.Step != StepIdentify && s.Step != StepInvestigate {
		return nil, refuse(s.Step, e, "the investigation runs after identification, not at %s", s.Step.Title())
	}
	if !s.Intake.Identified {
		return nil, refuse(s.Step, e, "wait for identification to finish before sweeping CloudTrail")
	}
	if s.Investigate.Sweeping {
		return nil, refuse(s.Step, e, "a sweep is already running")
	}
	if e.From.IsZero() || e.To.IsZero() || !e.From.Before(e.To) {
		return nil, refuse(s.Step, e, "choose a time window whose start is before its end")
	}
	s.Step, s.Investigate.Sweeping = StepInvestigate, true
	s.Investigate.Investigation = &Investigation{From: e.From, To: e.To}
	return []Effect{SweepCloudTrail{KeyID: s.KeyID, From: e.From, To: e.To, ExposedAt: s.Intake.ExposedAt}}, nil
}

func (m *Machine) sweepProgress(e SweepProgress) ([]Effect, error) {
	s := &m.s
	if s.Step != StepInvestigate || !s.Investigate.Sweeping {
		return nil, refuse(s.Step, e, "no sweep is running")
	}
	inv := *s.Investigate.Investigation
	inv.Regions = upsertRegion(inv.Regions, e.Region)
	s.Investigate.Investigation = &inv
	return nil, nil
}

func (m *Machine) sweepFinished(e SweepFinished) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("SweepCloudTrail")
	inv := e.Investigation
	s.Investigate.Investigation, s.Investigate.Sweeping = &inv, false
	s.Findings = append(s.Findings, e.Findings...)
	return nil, nil
}

func upsertRegion(regions []RegionSweep, r RegionSweep) []RegionSweep {
	out := append([]RegionSweep(nil), regions...)
	for i := range out {
		if out[i].Region == r.Region {
			out[i] = r
			return out
		}
	}
	return append(out, r)
}
