package runbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// APICall notes one AWS call an effect made, or in dry-run would have made,
// with its full input. The executor emits it; the engine journals it so the
// report can show every call and the dry-run change plan.
type APICall struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Region is where a regional call went (or would have gone in dry-run).
	Region string          `json:"region,omitempty"`
	Input  json.RawMessage `json:"input,omitempty"`
	// WouldCall marks a mutation dry-run did not send.
	WouldCall bool `json:"wouldCall,omitempty"`
	// Actor is who sent the call when it is not the responder's own
	// credentials: the root user (arn:aws:iam::ACCOUNT:root) for a root
	// key's changes. The journal records it as the record's actor.
	Actor string `json:"actor,omitempty"`
	// Via says how a root session was opened, for an AssumeRoot one.
	Via   string `json:"via,omitempty"`
	Error string `json:"error,omitempty"`
}

// EventName implements Event.
func (APICall) EventName() string { return "APICall" }

// Executor carries effects out. Run answers every effect with exactly one
// result event (EffectFailed when it could not), and may emit progress and
// APICall events while it works. Run must honour ctx.
type Executor interface {
	Run(ctx context.Context, e Effect, emit func(Event)) Event
}

// Engine joins the machine and the action log: every accepted event is
// journaled, and every effect's intent is journaled and synced before the
// caller runs it (write-ahead), so a crash never loses a change.
type Engine struct {
	m *Machine
	j *Journal
}

// StartEngine begins a new incident: the configuration is the log's first
// record, so a replay rebuilds the same machine.
func StartEngine(cfg Config, j *Journal) (*Engine, error) {
	m := New(cfg)
	if _, err := j.Append(RecordEvent, string(m.Step()), "Configured", m.Config()); err != nil {
		return nil, fmt.Errorf("journal configuration: %w", err)
	}
	return &Engine{m: m, j: j}, nil
}

// ResumeEngine continues an incident whose machine was replayed from j's log.
func ResumeEngine(m *Machine, j *Journal) *Engine { return &Engine{m: m, j: j} }

// Machine returns the engine's machine, for reading its state.
func (en *Engine) Machine() *Machine { return en.m }

// Journal returns the engine's action log.
func (en *Engine) Journal() *Journal { return en.j }

// Submit applies ev and journals it; it returns the effects to run, whose
// intents are already in the log. A refused event is journaled as a refusal
// (the debrief and the postmortem want the attempts too) and returned as
// the *Refusal error.
func (en *Engine) Submit(ev Event) ([]Effect, error) {
	if spec, ok := eventSpecs[ev.EventName()]; ok && spec.Kind == Note {
		// A note is journaled for the record; the machine never sees it.
		// A call made as root names root as its actor.
		actor := ""
		if call, ok := ev.(APICall); ok {
			actor = call.Actor
		}
		// Written at once, fsynced in a batch (Journal.Note).
		_, err := en.j.Note(actor, string(en.m.Step()), ev.EventName(), ev)
		return nil, err
	}
	if o, ok := ev.(WatchObserved); ok {
		// The log says who used the key, as the screen does, not only
		// from where: a postmortem reads the caller it matched.
		o.Uses = attribute(en.m.s.Investigate.Investigation, o.Uses)
		ev = o
	}
	next := en.m.Clone()
	step := en.m.Step()
	effects, err := next.Apply(ev)
	var refusal *Refusal
	if errors.As(err, &refusal) {
		if _, jerr := en.j.Append(RecordEvent, string(step), "Refused", RefusedEvent{Event: ev.EventName(), Reason: refusal.Reason, Data: ev}); jerr != nil {
			return nil, fmt.Errorf("journal refusal of %s: %w", ev.EventName(), jerr)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if _, ok := ev.(WatchObserved); ok && repeatsReading(en.m.State(), next.State()) {
		// A reading that repeats the last one is not news: journaling every
		// tick of a long watch buried the log (55,295 records in a 16-minute
		// drill). The next reading that changes, or ends the window, is
		// journaled; a resume from the log re-reads what it needs.
		*en.m = *next
		return effects, nil
	}
	typ := RecordEvent
	if IsResult(ev) {
		typ = RecordResult
	}
	actor := ""
	if r, ok := ev.(RootCredentialsObtained); ok {
		// The session is root's: its record names root as the actor.
		actor = r.Access.Actor
	}
	if _, err := en.j.AppendAs(actor, typ, string(step), ev.EventName(), ev); err != nil {
		return nil, fmt.Errorf("journal %s: %w", ev.EventName(), err)
	}
	*en.m = *next
	for _, e := range effects {
		if _, err := en.j.Append(RecordIntent, string(en.m.Step()), e.EffectName(), e); err != nil {
			return nil, fmt.Errorf("journal intent %s: %w", e.EffectName(), err)
		}
	}
	return effects, nil
}

// NoteCall journals an AWS call an effect is about to send, from the
// effect's own goroutine: it touches only the log (safe for concurrent
// use), so the record is in the file before the call leaves, whatever the
// screen is doing. It is fsynced in a batch (Journal.Note): write-ahead
// rests on the effect's intent, not on its notes. step is the step the
// effect was started in.
func (en *Engine) NoteCall(step Step, c APICall) error {
	_, err := en.j.Note(c.Actor, string(step), c.EventName(), c)
	return err
}

// Run submits ev and carries out every effect that follows, one after the
// other, until the machine asks for nothing more. It is the headless driver
// (tests, --investigate-only); the TUI runs effects as commands instead.
func (en *Engine) Run(ctx context.Context, x Executor, ev Event) error {
	queue := []Event{ev}
	for len(queue) > 0 {
		ev := queue[0]
		queue = queue[1:]
		effects, err := en.Submit(ev)
		if err != nil {
			return err
		}
		for _, e := range effects {
			if err := ctx.Err(); err != nil {
				return err
			}
			result := x.Run(ctx, e, func(p Event) {
				if _, ok := p.(APICall); ok {
					en.Submit(p) //nolint:errcheck // a note's loss must not stop the effect; the result is journaled
					return
				}
				if _, ok := p.(SweepProgress); ok {
					en.m.Apply(p) //nolint:errcheck // progress is shown, not journaled
				}
			})
			queue = append(queue, result)
		}
	}
	return nil
}

// RefusedEvent is the journal record of an event the machine refused.
type RefusedEvent struct {
	Event  string `json:"event"`
	Reason string `json:"reason"`
	Data   any    `json:"data,omitempty"`
}
