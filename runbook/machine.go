package runbook

import (
	"fmt"
	"time"
)

// DefaultWatchWindow is how long the watch runs after deactivation: AWS's
// credential-compromise playbook advises watching CloudTrail for 30 minutes.
const DefaultWatchWindow = 30 * time.Minute

// DefaultSweepWindow is how far back the sweep looks: event history keeps 90 days.
const DefaultSweepWindow = 90 * 24 * time.Hour

// LogFormat is the action log's format version, carried by its first
// record (Configured). Resume refuses a log of another version: folding
// records whose meaning changed would rebuild a state that never was.
const LogFormat = "keyrunbook.log/v1"

// Config fixes what does not change during an incident.
type Config struct {
	// Format is LogFormat when the configuration is journaled.
	Format      string        `json:"format,omitempty"`
	Mode        Mode          `json:"mode"`
	WatchWindow time.Duration `json:"watchWindow"` // zero means DefaultWatchWindow
	// Scenario is a training drill's scenario (its name, or its file's
	// path), from which resume rebuilds the simulated account.
	Scenario string `json:"scenario,omitempty"`
}

// Machine is the incident's state machine. The zero value is not usable;
// build one with New.
type Machine struct {
	s State
	// pending maps an effect name to the effects of that name in flight.
	pending map[string][]Effect
}

// New returns a machine at intake.
func New(cfg Config) *Machine {
	w := cfg.WatchWindow
	if w <= 0 {
		w = DefaultWatchWindow
	}
	mode := cfg.Mode
	if mode == "" {
		mode = ModeLive
	}
	return &Machine{s: State{Step: StepIntake, Mode: mode, Scenario: cfg.Scenario, Watch: WatchState{Window: w}}, pending: map[string][]Effect{}}
}

// Clone returns an independent copy of the machine.
func (m *Machine) Clone() *Machine {
	c := *m
	c.pending = clonePending(m.pending)
	return &c
}

// State returns a copy of the state. Slices are shared: do not modify them.
func (m *Machine) State() State { return m.s }

// Config returns the configuration the machine was built with.
func (m *Machine) Config() Config {
	return Config{Format: LogFormat, Mode: m.s.Mode, WatchWindow: m.s.Watch.Window, Scenario: m.s.Scenario}
}

// Step is the current step.
func (m *Machine) Step() Step { return m.s.Step }

// Refusal is Apply's answer to an event the current state does not allow.
// Reason is written for the responder: it says what blocks and what to do.
type Refusal struct {
	Step   Step
	Event  string
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

func refuse(s Step, ev Event, format string, args ...any) error {
	return &Refusal{Step: s, Event: ev.EventName(), Reason: fmt.Sprintf(format, args...)}
}

// Apply moves the machine by one event and returns the effects to carry
// out. A refused event leaves the state exactly as it was.
func (m *Machine) Apply(ev Event) ([]Effect, error) {
	if ev == nil {
		return nil, &Refusal{Step: m.s.Step, Event: "nil", Reason: "no event"}
	}
	if m.s.Step.Final() {
		return nil, refuse(m.s.Step, ev, "the incident is %s: nothing more can happen in it (start a new one)", m.s.Step)
	}
	// Work on a copy so a refusal, wherever it happens, changes nothing.
	next := *m
	next.pending = clonePending(m.pending)
	effects, err := next.apply(ev)
	if err != nil {
		return nil, err
	}
	if err := next.guardMutations(ev, effects); err != nil {
		return nil, err
	}
	if next.s.Step != m.s.Step {
		// A failure belongs to its step: retrying it elsewhere would replay
		// a stale effect (a DeleteKey after the key was deleted another way).
		next.s.Effects.Failed, next.s.Effects.LastError = nil, nil
	}
	for _, e := range effects {
		next.pending[e.EffectName()] = append(next.pending[e.EffectName()], e)
		next.s.Effects.Failed = dropFailed(next.s.Effects.Failed, e.EffectName())
	}
	next.s.Effects.Pending = pendingNames(next.pending)
	*m = next
	return effects, nil
}

// guardMutations is the one place that keeps every mutating effect from
// running against an account that is not the key's, or with the leaked
// key's own credentials.
func (m *Machine) guardMutations(ev Event, effects []Effect) error {
	for _, e := range effects {
		if !e.Mutates() {
			continue
		}
		if !m.s.Intake.Identified {
			return refuse(m.s.Step, ev, "cannot change anything before the key is identified")
		}
		if m.s.Intake.Caller.Account != m.s.Intake.Key.Account {
			return refuse(m.s.Step, ev, "cannot change anything: your credentials are for account %s but the key belongs to account %s; run keyrunbook with credentials for %s",
				orUnknown(m.s.Intake.Caller.Account), orUnknown(m.s.Intake.Key.Account), orUnknown(m.s.Intake.Key.Account))
		}
		if m.s.Intake.Caller.AccessKeyID != "" && m.s.Intake.Caller.AccessKeyID == m.s.KeyID {
			return refuse(m.s.Step, ev, "cannot change anything: you are signed in with the leaked key itself; use other credentials")
		}
		if reason := m.mintedCaller(); reason != "" {
			return refuse(m.s.Step, ev, "%s", reason)
		}
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// settle removes one answered effect of the name from the pending set.
func (m *Machine) settle(name string) {
	if q := m.pending[name]; len(q) > 0 {
		m.pending[name] = q[1:]
		if len(m.pending[name]) == 0 {
			delete(m.pending, name)
		}
	}
}

func (m *Machine) isPending(name string) bool { return len(m.pending[name]) > 0 }

func dropFailed(failed []Effect, name string) []Effect {
	var out []Effect
	for _, f := range failed {
		if f.EffectName() != name {
			out = append(out, f)
		}
	}
	return out
}

func clonePending(p map[string][]Effect) map[string][]Effect {
	c := make(map[string][]Effect, len(p))
	for k, v := range p {
		c[k] = append([]Effect(nil), v...)
	}
	return c
}

func pendingNames(p map[string][]Effect) []string {
	var names []string
	for _, n := range effectOrder {
		for range p[n] {
			names = append(names, n)
		}
	}
	return names
}
