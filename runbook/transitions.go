package runbook

import "strings"

// apply runs the event's transition, found in the registry (registry.go);
// each step's transitions are in transitions_<step>.go. It runs on a copy;
// any error discards it.
func (m *Machine) apply(ev Event) ([]Effect, error) {
	spec, ok := eventSpecs[ev.EventName()]
	if !ok || spec.apply == nil {
		return nil, refuse(m.s.Step, ev, "unknown event %s", ev.EventName())
	}
	return spec.apply(m, ev)
}

// Transitions allowed at any step.

func (m *Machine) abort(e Abort) ([]Effect, error) {
	s := &m.s
	if strings.TrimSpace(e.Reason) == "" {
		return nil, refuse(s.Step, e, "say why you abort: the reason goes into the action log")
	}
	s.Reason, s.Step = e.Reason, StepAborted
	return nil, nil
}

func (m *Machine) retry(e Retry) ([]Effect, error) {
	s := &m.s
	if len(s.Effects.Failed) == 0 {
		return nil, refuse(s.Step, e, "nothing failed: there is nothing to retry")
	}
	effects := s.Effects.Failed
	s.Effects.Failed, s.Effects.LastError = nil, nil
	for _, eff := range effects {
		if eff.EffectName() == "SweepCloudTrail" {
			s.Investigate.Sweeping = true
		}
	}
	return effects, nil
}

func (m *Machine) effectFailed(e EffectFailed) ([]Effect, error) {
	if e.Effect == "ProveProposal" {
		m.proofFailed(e)
	}
	return nil, m.failed(e)
}

// expect checks that a result arrives in its step for an effect in flight:
// the effect it answers, and that effect's step, are the registry's.
func (m *Machine) expect(ev Event) error {
	spec, ok := answered[ev.EventName()]
	if !ok {
		return refuse(m.s.Step, ev, "%s answers no effect", ev.EventName())
	}
	effect, step := spec.Name, spec.Step
	if !m.isPending(effect) {
		return refuse(m.s.Step, ev, "%s arrived but no %s was asked for", ev.EventName(), effect)
	}
	if m.s.Step != step {
		return refuse(m.s.Step, ev, "%s arrived at %s, expected at %s", ev.EventName(), m.s.Step.Title(), step.Title())
	}
	return nil
}
