package runbook

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The registry is the one list of every event and effect the runbook
// knows. Replay decodes journaled records with it, the machine dispatches
// transitions through it, the engine tells results from intents by it, the
// report's timeline phrases each record with its event's sentence, and
// awsops and the TUI check their tables against it (registry_test.go fails
// when a type is declared and not listed here).
//
// A new event needs its type (events.go, or the file of its feature), one
// line below, its transition in the transitions_<step>.go of the step it
// belongs to, and its sentence for the report's timeline (describe.go, or
// the file of its feature) or a reason it has none. A new effect needs
// its type, one line below, and its handler in awsops (handlers.go).

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
	// sentence is the event's line in the report's timeline; nil when
	// silent gives the reason the event's name is enough.
	sentence func(Event) string
	silent   string
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

// eventList is every event, in the order the steps meet them. The last
// argument is the event's sentence in the report's timeline (describe.go,
// or the feature file the event belongs to); an event registered silent
// says why its name alone is enough.
var eventList = []EventSpec{
	on(Intent, StepIntake, (*Machine).submitKey, SubmitKey.sentence),
	on(Result, StepIdentify, (*Machine).keyIdentified, KeyIdentified.sentence),

	on(Intent, StepInvestigate, (*Machine).beginInvestigation, BeginInvestigation.sentence),
	silent(Result, StepInvestigate, (*Machine).sweepProgress, "a region's progress: SweepFinished says what the sweep found"),
	on(Result, StepInvestigate, (*Machine).sweepFinished, SweepFinished.sentence),
	on(Intent, StepInvestigate, (*Machine).relabelAndReprove, RelabelCaller.sentence),
	on(Intent, StepInvestigate, (*Machine).addTrailSource, AddTrailSource.sentence),
	silent(Result, StepInvestigate, (*Machine).trailScanProgress, "a scan's progress: TrailSourceScanned says what the source showed"),
	on(Result, StepInvestigate, (*Machine).trailSourceScanned, TrailSourceScanned.sentence),

	on(Intent, StepPropose, (*Machine).beginProposals, BeginProposals.sentence),
	on(Result, StepPropose, (*Machine).proposalsReady, ProposalsReady.sentence),
	on(Intent, StepPropose, (*Machine).edited, EditProposal.sentence),
	on(Intent, StepPropose, (*Machine).decided, DecideProposal.sentence),
	on(Result, StepPropose, noEffect((*Machine).proven), ProposalProven.sentence),
	on(Intent, StepPropose, noEffect((*Machine).overrideProof), OverrideProof.sentence),
	silent(Intent, StepPropose, (*Machine).applyProposals, "no field: each ReplacementApplied says what was created"),

	on(Result, StepReplace, (*Machine).replacementApplied, ReplacementApplied.sentence),
	silent(Intent, StepReplace, (*Machine).verifyMoves, "no field: each CallerMoved says whether its caller moved"),
	on(Result, StepReplace, (*Machine).callerMoved, CallerMoved.sentence),
	silent(Intent, StepReplace, (*Machine).backToProposals, "no field: its name says it; the edits and decisions that follow say what changed"),
	on(Intent, StepReplace, (*Machine).proceedToDeactivate, ProceedToDeactivate.sentence),

	on(Intent, StepDeactivate, (*Machine).confirmDeactivate, ConfirmDeactivate.sentence),
	on(Result, StepDeactivate, (*Machine).keyDeactivated, KeyDeactivated.sentence),
	on(Intent, StepDeactivate, (*Machine).revokeSessions, RevokeSessions.sentence),
	on(Result, StepDeactivate, (*Machine).sessionsRevoked, SessionsRevoked.sentence),
	on(Intent, StepDeactivate, (*Machine).signInAsRoot, SignInAsRoot.sentence),
	on(Result, StepDeactivate, (*Machine).rootObtained, RootCredentialsObtained.sentence),

	on(Result, StepWatch, (*Machine).observe, WatchObserved.sentence),
	silent(Intent, StepWatch, (*Machine).restartWatch, "no field: its name says the watch window starts again"),
	on(Intent, StepWatch, (*Machine).requestReactivate, RequestReactivate.sentence),
	on(Result, StepReactivate, (*Machine).keyReactivated, KeyReactivated.sentence),

	on(Intent, StepDelete, (*Machine).confirmDelete, ConfirmDelete.sentence),
	on(Result, StepDelete, noEffect((*Machine).keyStatusRead), KeyStatusRead.sentence),
	on(Intent, StepDelete, (*Machine).rereadKey, RereadKey.sentence),
	on(Result, StepDelete, (*Machine).keyDeleted, KeyDeleted.sentence),

	on(Intent, StepHarden, (*Machine).cleanUp, CleanUp.sentence),
	on(Result, StepHarden, (*Machine).resourceCleanedUp, ResourceCleanedUp.sentence),
	on(Result, StepHarden, (*Machine).hardeningChecked, HardeningChecked.sentence),
	silent(Intent, StepHarden, (*Machine).recheckHardening, "no field: the HardeningChecked that answers it says what was read"),
	silent(Intent, StepHarden, noEffect((*Machine).confirmFollowUp), "the report's follow-ups table says which ones the responder confirmed"),
	on(Intent, StepHarden, (*Machine).releaseContainmentSCP, ReleaseContainmentSCP.sentence),
	on(Result, StepHarden, (*Machine).containmentSCPRemoved, ContainmentSCPRemoved.sentence),
	on(Intent, StepHarden, (*Machine).closeIncident, CloseIncident.sentence),

	on(Intent, "", (*Machine).abort, Abort.sentence),
	silent(Intent, "", (*Machine).retry, "no field: the effect's intent that follows names what runs again"),
	on(Result, "", (*Machine).effectFailed, EffectFailed.sentence),

	note[APICall]("the timeline shows each call as a row of its own (report.go)"),
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

// on registers an event with its transition and its timeline sentence.
func on[E Event](kind EventKind, step Step, apply func(*Machine, E) ([]Effect, error), sentence func(E) string) EventSpec {
	spec := handled(kind, step, apply)
	if sentence == nil {
		return spec // registry_test.go names the event
	}
	spec.sentence = func(ev Event) string {
		e, ok := ev.(E)
		if !ok {
			return ""
		}
		return sentence(e)
	}
	return spec
}

// silent registers an event the timeline shows by its name alone, and why.
func silent[E Event](kind EventKind, step Step, apply func(*Machine, E) ([]Effect, error), why string) EventSpec {
	spec := handled(kind, step, apply)
	spec.silent = why
	return spec
}

// handled is an event's entry with its decoder and its transition.
func handled[E Event](kind EventKind, step Step, apply func(*Machine, E) ([]Effect, error)) EventSpec {
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

// note registers an event that is journaled and never applied or
// replayed, with where the report shows it instead of a sentence.
func note[E Event](why string) EventSpec {
	var zero E
	return EventSpec{Name: zero.EventName(), Kind: Note, silent: why}
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
