package runbook

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The registry is the one list of every event and effect the runbook
// knows. Replay decodes journaled records with it, the machine dispatches
// transitions through it, the engine tells results from intents by it, and
// awsops and the TUI check their tables against it (registry_test.go fails
// when a type is declared and not listed here).
//
// A new event needs its type (events.go, or the file of its feature), one
// line below, and its transition in the transitions_<step>.go of the step
// it belongs to. A new effect needs its type, one line below, and its
// handler in awsops (handlers.go).

// EventKind says where an event comes from, which decides how it is
// journaled and replayed.
type EventKind int

const (
	// Intent is the responder's: journaled as an event record.
	Intent EventKind = iota
	// Result answers an effect (or reports its progress): journaled as a
	// result record.
	Result
	// Note is journaled for the record only (an AWS call); the machine
	// never applies it and replay skips it.
	Note
)

// EventSpec is what the registry knows of an event.
type EventSpec struct {
	Name string
	Kind EventKind
	// Step is the step whose transitions handle the event; empty for the
	// ones any step accepts (Abort, Retry, EffectFailed).
	Step   Step
	decode func(data []byte) (Event, error)
	apply  func(m *Machine, ev Event) ([]Effect, error)
}

// EffectSpec is what the registry knows of an effect.
type EffectSpec struct {
	Name string
	// Step is the step whose transitions ask for the effect.
	Step Step
	// Mutates is the effect's own Mutates(): it changes the account.
	Mutates bool
	// Answer is the result event that answers the effect.
	Answer string
	decode func(data []byte) (Effect, error)
}

// eventList is every event, in the order the steps meet them.
var eventList = []EventSpec{
	on(Intent, StepIntake, (*Machine).submitKey),
	on(Result, StepIdentify, (*Machine).keyIdentified),

	on(Intent, StepInvestigate, (*Machine).beginInvestigation),
	on(Result, StepInvestigate, (*Machine).sweepProgress),
	on(Result, StepInvestigate, (*Machine).sweepFinished),
	on(Intent, StepInvestigate, (*Machine).relabelAndReprove),
	on(Intent, StepInvestigate, (*Machine).addTrailSource),
	on(Result, StepInvestigate, (*Machine).trailScanProgress),
	on(Result, StepInvestigate, (*Machine).trailSourceScanned),

	on(Intent, StepPropose, (*Machine).beginProposals),
	on(Result, StepPropose, (*Machine).proposalsReady),
	on(Intent, StepPropose, (*Machine).edited),
	on(Intent, StepPropose, (*Machine).decided),
	on(Result, StepPropose, noEffect((*Machine).proven)),
	on(Intent, StepPropose, noEffect((*Machine).overrideProof)),
	on(Intent, StepPropose, (*Machine).applyProposals),

	on(Result, StepReplace, (*Machine).replacementApplied),
	on(Intent, StepReplace, (*Machine).verifyMoves),
	on(Result, StepReplace, (*Machine).callerMoved),
	on(Intent, StepReplace, (*Machine).backToProposals),
	on(Intent, StepReplace, (*Machine).proceedToDeactivate),

	on(Intent, StepDeactivate, (*Machine).confirmDeactivate),
	on(Result, StepDeactivate, (*Machine).keyDeactivated),
	on(Intent, StepDeactivate, (*Machine).revokeSessions),
	on(Result, StepDeactivate, (*Machine).sessionsRevoked),
	on(Intent, StepDeactivate, (*Machine).signInAsRoot),
	on(Result, StepDeactivate, (*Machine).rootObtained),

	on(Result, StepWatch, (*Machine).observe),
	on(Intent, StepWatch, (*Machine).restartWatch),
	on(Intent, StepWatch, (*Machine).requestReactivate),
	on(Result, StepReactivate, (*Machine).keyReactivated),

	on(Intent, StepDelete, (*Machine).confirmDelete),
	on(Result, StepDelete, noEffect((*Machine).keyStatusRead)),
	on(Intent, StepDelete, (*Machine).rereadKey),
	on(Result, StepDelete, (*Machine).keyDeleted),

	on(Intent, StepHarden, (*Machine).cleanUp),
	on(Result, StepHarden, (*Machine).resourceCleanedUp),
	on(Result, StepHarden, (*Machine).hardeningChecked),
	on(Intent, StepHarden, (*Machine).recheckHardening),
	on(Intent, StepHarden, noEffect((*Machine).confirmFollowUp)),
	on(Intent, StepHarden, (*Machine).releaseContainmentSCP),
	on(Result, StepHarden, (*Machine).containmentSCPRemoved),
	on(Intent, StepHarden, (*Machine).closeIncident),

	on(Intent, "", (*Machine).abort),
	on(Intent, "", (*Machine).retry),
	on(Result, "", (*Machine).effectFailed),

	note[APICall](),
}

// effectList is every effect; its order is the order Pending lists them.
var effectList = []EffectSpec{
	effect[IdentifyKey](StepIdentify, "KeyIdentified"),
	effect[SweepCloudTrail](StepInvestigate, "SweepFinished"),
	effect[ProposeReplacements](StepPropose, "ProposalsReady"),
	effect[ApplyReplacement](StepReplace, "ReplacementApplied"),
	effect[VerifyMove](StepReplace, "CallerMoved"),
	effect[DeactivateKey](StepDeactivate, "KeyDeactivated"),
	effect[PollWatch](StepWatch, "WatchObserved"),
	effect[ReactivateKey](StepReactivate, "KeyReactivated"),
	effect[ReadKeyStatus](StepDelete, "KeyStatusRead"),
	effect[DeleteKey](StepDelete, "KeyDeleted"),
	effect[CheckHardening](StepHarden, "HardeningChecked"),
	effect[CleanUpResource](StepHarden, "ResourceCleanedUp"),
	effect[ScanTrailSource](StepInvestigate, "TrailSourceScanned"),
	effect[RevokeOlderSessions](StepDeactivate, "SessionsRevoked"),
	effect[ProveProposal](StepPropose, "ProposalProven"),
	effect[ObtainRootCredentials](StepDeactivate, "RootCredentialsObtained"),
	effect[RemoveContainmentSCP](StepHarden, "ContainmentSCPRemoved"),
}

var (
	eventSpecs  = byName(eventList, func(s EventSpec) string { return s.Name })
	effectSpecs = byName(effectList, func(s EffectSpec) string { return s.Name })
	// effectOrder keeps Pending deterministic.
	effectOrder = names(effectList)
	// answered maps a result to the effect it answers.
	answered = byName(effectList, func(s EffectSpec) string { return s.Answer })
)

// Events lists every event the runbook knows.
func Events() []EventSpec { return append([]EventSpec(nil), eventList...) }

// Effects lists every effect the runbook knows.
func Effects() []EffectSpec { return append([]EffectSpec(nil), effectList...) }

// EffectOf returns the registry's entry of the named effect.
func EffectOf(name string) (EffectSpec, bool) {
	s, ok := effectSpecs[name]
	return s, ok
}

// EventOf returns the registry's entry of the named event.
func EventOf(name string) (EventSpec, bool) {
	s, ok := eventSpecs[name]
	return s, ok
}

// DecodeEvent turns a journaled event back into its typed value.
func DecodeEvent(name string, data []byte) (Event, error) {
	spec, ok := eventSpecs[name]
	if !ok || spec.decode == nil {
		return nil, fmt.Errorf("unknown event %q", name)
	}
	ev, err := spec.decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return ev, nil
}

// DecodeEffect turns a journaled intent back into its typed effect.
func DecodeEffect(name string, data []byte) (Effect, error) {
	spec, ok := effectSpecs[name]
	if !ok {
		return nil, fmt.Errorf("unknown effect %q", name)
	}
	e, err := spec.decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return e, nil
}

// IsResult reports whether ev answers an effect (journaled as "result").
func IsResult(ev Event) bool {
	spec, ok := eventSpecs[ev.EventName()]
	return ok && spec.Kind != Intent
}

// on registers an event with its transition.
func on[E Event](kind EventKind, step Step, apply func(*Machine, E) ([]Effect, error)) EventSpec {
	var zero E
	return EventSpec{Name: zero.EventName(), Kind: kind, Step: step, decode: decodeEvent[E],
		apply: func(m *Machine, ev Event) ([]Effect, error) {
			e, ok := ev.(E)
			if !ok {
				return nil, refuse(m.s.Step, ev, "unknown event %s", ev.EventName())
			}
			return apply(m, e)
		}}
}

// note registers an event that is journaled and never applied or replayed.
func note[E Event]() EventSpec {
	var zero E
	return EventSpec{Name: zero.EventName(), Kind: Note}
}

// noEffect adapts a transition that asks for nothing.
func noEffect[E Event](fn func(*Machine, E) error) func(*Machine, E) ([]Effect, error) {
	return func(m *Machine, e E) ([]Effect, error) { return nil, fn(m, e) }
}

func decodeEvent[E Event](data []byte) (Event, error) {
	var e E
	if len(data) > 0 {
		// A field this version does not know is a record it cannot
		// fold faithfully: refuse rather than drop it silently.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func effect[E Effect](step Step, answer string) EffectSpec {
	var zero E
	return EffectSpec{Name: zero.EffectName(), Step: step, Mutates: zero.Mutates(), Answer: answer,
		decode: func(data []byte) (Effect, error) {
			var e E
			if len(data) > 0 {
				if err := json.Unmarshal(data, &e); err != nil {
					return nil, err
				}
			}
			return e, nil
		}}
}

func byName[S any](list []S, name func(S) string) map[string]S {
	out := make(map[string]S, len(list))
	for _, s := range list {
		out[name(s)] = s
	}
	return out
}

func names(list []EffectSpec) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Name
	}
	return out
}
