package sim

// tookEffect runs the scenario's steps alone, in time order, in an account
// built as New builds it, and reports which steps the account accepted:
// an attacker's CreateUser that the leaked key's policy denies plants
// nothing. Periodic calls change nothing, so leaving them out changes no
// step's outcome. ok is false when the scenario does not compile.
func tookEffect(sc *Scenario) (accepted map[*Step]bool, ok bool) {
	s, err := newUnseeded(sc)
	if err != nil {
		return nil, false
	}
	accepted = map[*Step]bool{}
	for i := range s.plan.steps {
		cs := &s.plan.steps[i]
		n := len(s.trail.events)
		s.nextStep = i + 1
		s.runStep(cs, s.start.Add(cs.at))
		// runStep records the step's own event last; none means its key
		// was unknown, so nothing happened.
		evs := s.trail.events
		accepted[cs.s] = len(evs) > n && evs[len(evs)-1].fail == 0
	}
	return accepted, true
}
