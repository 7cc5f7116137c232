package runbook

import (
	"fmt"
	"strings"
	"time"
)

// describe turns one journal record into a timeline sentence. Unknown or
// undecodable records fall back to their name: a report never fails on
// a record it cannot phrase.
func describe(rec Record) string {
	if rec.Type == RecordIntent {
		return "started: " + rec.Name
	}
	if rec.Name == "Configured" {
		return "incident configured"
	}
	ev, err := DecodeEvent(rec.Name, rec.Data)
	if err != nil {
		return ""
	}
	switch e := ev.(type) {
	case SubmitKey:
		return "incident opened for key " + e.KeyID
	case SignInAsRoot:
		return "signing in as root (the MFA code is not kept)"
	case RootCredentialsObtained:
		return "root credentials obtained: " + e.Access.Text()
	case KeyIdentified:
		return fmt.Sprintf("key belongs to %s in account %s (%s); responder %s", e.Key.Owner(), e.Key.Account, orDashS(string(e.Key.Status)), e.Caller.ARN)
	case BeginInvestigation:
		return fmt.Sprintf("CloudTrail sweep from %s to %s", stamp(e.From), stamp(e.To))
	case SweepFinished:
		inv := e.Investigation
		return fmt.Sprintf("sweep done: %d events, %d callers, %d indicators, %d resources in the blast radius", inv.Events, len(inv.Callers), len(inv.Indicators), len(inv.BlastRadius))
	case RelabelCaller:
		return fmt.Sprintf("caller %s labelled %s", e.CallerID, e.Label)
	case ProposalsReady:
		return fmt.Sprintf("%d replacement(s) proposed", len(e.Proposals))
	case EditProposal:
		return fmt.Sprintf("proposal for %s edited: %s %s", e.Proposal.CallerID, e.Proposal.Kind, e.Proposal.Name)
	case DecideProposal:
		return fmt.Sprintf("caller %s: %s", e.CallerID, orDashS(string(e.Decision)))
	case ReplacementApplied:
		if e.DryRun {
			return fmt.Sprintf("replacement for %s: dry-run, nothing created", e.CallerID)
		}
		return fmt.Sprintf("replacement for %s created: %s", e.CallerID, strings.Join(e.Created, ", "))
	case CallerMoved:
		if e.Moved {
			return fmt.Sprintf("caller %s now calls as its replacement", e.CallerID)
		}
		return fmt.Sprintf("caller %s not yet seen under its replacement %s", e.CallerID, e.Detail)
	case BeginProposals:
		if e.Override != "" {
			return "decisions taken on an INCOMPLETE investigation, override: " + e.Override
		}
		return ""
	case ProceedToDeactivate:
		if e.Override != "" {
			return "deactivation with callers undecided, override: " + e.Override
		}
		return "every legitimate caller has a replacement"
	case ConfirmDeactivate:
		return "deactivation confirmed"
	case KeyDeactivated:
		if e.DryRun {
			return "DRY-RUN: the key would be made inactive (rehearsed at " + stamp(e.At) + ")"
		}
		return "key inactive at " + stamp(e.At)
	case WatchObserved:
		return "watch at " + stamp(e.At) + ": " + e.Summary()
	case RequestReactivate:
		return "roll-back requested: " + e.Reason
	case KeyReactivated:
		if e.DryRun {
			return "DRY-RUN: the key would be made active again (rehearsed at " + stamp(e.At) + ")"
		}
		return "key active again at " + stamp(e.At)
	case ConfirmDelete:
		return "deletion confirmed by typing the key's last four characters"
	case RereadKey:
		return "the key's status asked for again as the Delete step opened"
	case KeyStatusRead:
		return "the key read again before deletion: " + orUnknown(string(e.Status)) + " at " + stamp(e.At)
	case KeyDeleted:
		if e.DryRun {
			return "DRY-RUN: the key would be deleted (rehearsed at " + stamp(e.At) + ")"
		}
		return "key deleted at " + stamp(e.At)
	case CleanUp:
		names := make([]string, 0, len(e.Targets()))
		for _, r := range e.Targets() {
			names = append(names, r.Type+" "+r.ID)
		}
		return "clean-up of " + strings.Join(names, ", ") + " requested"
	case ResourceCleanedUp:
		with := ""
		if len(e.With) > 0 {
			with = fmt.Sprintf(" with %d item(s) it held", len(e.With))
		}
		if e.DryRun {
			return fmt.Sprintf("DRY-RUN: %s %s would be removed%s", e.Resource.Type, e.Resource.ID, with)
		}
		return fmt.Sprintf("%s %s removed%s", e.Resource.Type, e.Resource.ID, with)
	case HardeningChecked:
		ok := 0
		for _, it := range e.Items {
			if it.OK {
				ok++
			}
		}
		return fmt.Sprintf("hardening checklist: %d of %d in order", ok, len(e.Items))
	case CloseIncident:
		return "incident closed " + e.Note
	case Abort:
		return "incident aborted: " + e.Reason
	case RevokeSessions, SessionsRevoked:
		return describeMinted(e)
	case ProposalProven, OverrideProof:
		return describeProof(e)
	case AddTrailSource:
		return "read trail source " + e.Source.String()
	case TrailSourceScanned:
		st := e.Stats
		return fmt.Sprintf("%s read: %d file(s), %d record(s) of the key, %d data event(s), %d event(s) new to the investigation",
			e.Source.String(), st.Files, st.Matched, st.DataEvents, e.AddedEvents)
	case EffectFailed:
		msg := RedactString(e.Message)
		if e.Action != "" {
			return fmt.Sprintf("%s failed: missing permission %s (%s)", e.Effect, e.Action, msg)
		}
		return fmt.Sprintf("%s failed: %s", e.Effect, msg)
	}
	return ""
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
