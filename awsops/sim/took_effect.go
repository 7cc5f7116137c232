package sim

// Which of a scenario's steps took effect, and so which of the attacker's
// the debrief expects found and undone: the account is the judge, not the
// scenario's author.

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

// PlantedActions are the attacker's steps that change the account (users,
// keys, policies, instances): what a responder should find and undo. A
// step the account refused (a CreateUser the key may not call) plants
// nothing and is left out; a scenario that does not compile gets every
// mutating step, as written.
func (sc *Scenario) PlantedActions() []Step {
	var out []Step
	services := newCatalog()
	for _, st := range sc.AttackerSteps() {
		if !services.readOnly(st.Service, st.Action, st.ReadOnly) {
			out = append(out, st)
		}
	}
	return out
}

// AttackerSteps are the attacker's steps the account accepted, reads
// included (a secret read is a loose end too: it must be rotated). A
// scenario that does not compile gets every step, as written.
func (sc *Scenario) AttackerSteps() []Step {
	accepted, known := tookEffect(sc)
	var out []Step
	for wi := range sc.Workloads {
		w := &sc.Workloads[wi]
		if w.Legitimate {
			continue
		}
		for si := range w.Steps {
			if st := &w.Steps[si]; !known || accepted[st] {
				out = append(out, *st)
			}
		}
	}
	return out
}
