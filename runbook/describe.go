package runbook

import (
	"fmt"
	"strings"
	"time"
)

// describe turns one journal record into a timeline sentence, the one its
// event's registry entry names. Unknown or undecodable records, and the
// events registered silent, render none: a report never fails on a record
// it cannot phrase.
func describe(rec Record) string {
	if rec.Type == RecordIntent {
		return "started: " + rec.Name
	}
	if rec.Name == "Configured" {
		return "incident configured"
	}
	spec, ok := eventSpecs[rec.Name]
	if !ok || spec.sentence == nil {
		return ""
	}
	ev, err := DecodeEvent(rec.Name, rec.Data)
	if err != nil {
		return ""
	}
	return spec.sentence(ev)
}

// The sentences below are the timeline's, one per event declared in
// events.go, each named by the event's line in registry.go; the events of
// a feature file (minted.go, proof.go) have theirs there.

func (e SubmitKey) sentence() string { return "incident opened for key " + e.KeyID }

func (SignInAsRoot) sentence() string { return "signing in as root (the MFA code is not kept)" }

func (e RootCredentialsObtained) sentence() string {
	return "root credentials obtained: " + e.Access.Text()
}

func (e KeyIdentified) sentence() string {
	return fmt.Sprintf("key belongs to %s in account %s (%s); responder %s", e.Key.Owner(), e.Key.Account, orDashS(string(e.Key.Status)), e.Caller.ARN)
}

func (e BeginInvestigation) sentence() string {
	return fmt.Sprintf("CloudTrail sweep from %s to %s", stamp(e.From), stamp(e.To))
}

func (e SweepFinished) sentence() string {
	inv := e.Investigation
	return fmt.Sprintf("sweep done: %d events, %d callers, %d indicators, %d resources in the blast radius", inv.Events, len(inv.Callers), len(inv.Indicators), len(inv.BlastRadius))
}

func (e RelabelCaller) sentence() string {
	return fmt.Sprintf("caller %s labelled %s", e.CallerID, e.Label)
}

func (e ProposalsReady) sentence() string {
	return fmt.Sprintf("%d replacement(s) proposed", len(e.Proposals))
}

func (e EditProposal) sentence() string {
	return fmt.Sprintf("proposal for %s edited: %s %s", e.Proposal.CallerID, e.Proposal.Kind, e.Proposal.Name)
}

func (e DecideProposal) sentence() string {
	return fmt.Sprintf("caller %s: %s", e.CallerID, orDashS(string(e.Decision)))
}

func (e ReplacementApplied) sentence() string {
	if e.DryRun {
		return fmt.Sprintf("replacement for %s: dry-run, nothing created", e.CallerID)
	}
	return fmt.Sprintf("replacement for %s created: %s", e.CallerID, strings.Join(e.Created, ", "))
}

func (e CallerMoved) sentence() string {
	if e.Moved {
		return fmt.Sprintf("caller %s now calls as its replacement", e.CallerID)
	}
	return fmt.Sprintf("caller %s not yet seen under its replacement %s", e.CallerID, e.Detail)
}

// sentence is empty without an override: beginning the proposals is
// what every incident does, and ProposalsReady says what came of it.
func (e BeginProposals) sentence() string {
	if e.Override != "" {
		return "decisions taken on an INCOMPLETE investigation, override: " + e.Override
	}
	return ""
}

func (e ProceedToDeactivate) sentence() string {
	if e.Override != "" {
		return "deactivation with callers undecided, override: " + e.Override
	}
	return "every legitimate caller has a replacement"
}

func (ConfirmDeactivate) sentence() string { return "deactivation confirmed" }

func (e KeyDeactivated) sentence() string {
	if e.DryRun {
		return "DRY-RUN: the key would be made inactive (rehearsed at " + stamp(e.At) + ")"
	}
	return "key inactive at " + stamp(e.At)
}

func (e WatchObserved) sentence() string { return "watch at " + stamp(e.At) + ": " + e.Summary() }

func (e RequestReactivate) sentence() string { return "roll-back requested: " + e.Reason }

func (e KeyReactivated) sentence() string {
	if e.DryRun {
		return "DRY-RUN: the key would be made active again (rehearsed at " + stamp(e.At) + ")"
	}
	return "key active again at " + stamp(e.At)
}

func (ConfirmDelete) sentence() string {
	return "deletion confirmed by typing the key's last four characters"
}

func (RereadKey) sentence() string {
	return "the key's status asked for again as the Delete step opened"
}

func (e KeyStatusRead) sentence() string {
	return "the key read again before deletion: " + orUnknown(string(e.Status)) + " at " + stamp(e.At)
}

func (e KeyDeleted) sentence() string {
	if e.DryRun {
		return "DRY-RUN: the key would be deleted (rehearsed at " + stamp(e.At) + ")"
	}
	return "key deleted at " + stamp(e.At)
}

func (e CleanUp) sentence() string {
	names := make([]string, 0, len(e.Targets()))
	for _, r := range e.Targets() {
		names = append(names, r.Type+" "+r.ID)
	}
	return "clean-up of " + strings.Join(names, ", ") + " requested"
}

func (e ResourceCleanedUp) sentence() string {
	with := ""
	if len(e.With) > 0 {
		with = fmt.Sprintf(" with %d item(s) it held", len(e.With))
	}
	if e.DryRun {
		return fmt.Sprintf("DRY-RUN: %s %s would be removed%s", e.Resource.Type, e.Resource.ID, with)
	}
	return fmt.Sprintf("%s %s removed%s", e.Resource.Type, e.Resource.ID, with)
}

func (e HardeningChecked) sentence() string {
	ok := 0
	for _, it := range e.Items {
		if it.OK {
			ok++
		}
	}
	return fmt.Sprintf("hardening checklist: %d of %d in order", ok, len(e.Items))
}

func (e CloseIncident) sentence() string { return "incident closed " + e.Note }

func (e Abort) sentence() string { return "incident aborted: " + e.Reason }

func (e AddTrailSource) sentence() string { return "read trail source " + e.Source.String() }

func (e TrailSourceScanned) sentence() string {
	st := e.Stats
	return fmt.Sprintf("%s read: %d file(s), %d record(s) of the key, %d data event(s), %d event(s) new to the investigation",
		e.Source.String(), st.Files, st.Matched, st.DataEvents, e.AddedEvents)
}

func (e EffectFailed) sentence() string {
	msg := RedactString(e.Message)
	if e.Action != "" {
		return fmt.Sprintf("%s failed: missing permission %s (%s)", e.Effect, e.Action, msg)
	}
	return fmt.Sprintf("%s failed: %s", e.Effect, msg)
}

func dry(on bool) string {
	if on {
		return "DRY-RUN: "
	}
	return ""
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
