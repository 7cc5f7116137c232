package runbook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// apply is the transition table. It runs on a copy; any error discards it.
func (m *Machine) apply(ev Event) ([]Effect, error) {
	s := &m.s
	switch e := ev.(type) {
	case SubmitKey:
		if s.Step != StepIntake {
			return nil, refuse(s.Step, ev, "the key is already set to %s: start a new incident for another key", s.KeyID)
		}
		id, err := ParseKeyID(e.KeyID)
		if err != nil {
			return nil, refuse(s.Step, ev, "%s", err.Error())
		}
		if !e.ExposedAt.IsZero() && !e.DetectedAt.IsZero() && e.ExposedAt.After(e.DetectedAt) {
			return nil, refuse(s.Step, ev, "the key cannot be exposed (%s) after the leak was detected (%s)", stamp(e.ExposedAt), stamp(e.DetectedAt))
		}
		s.KeyID, s.DetectedAt, s.ExposedAt, s.Step = id, e.DetectedAt, e.ExposedAt, StepIdentify
		return []Effect{IdentifyKey{KeyID: id}}, nil

	case KeyIdentified:
		if err := m.expect(ev, StepIdentify, "IdentifyKey"); err != nil {
			return nil, err
		}
		if e.Key.KeyID != "" && e.Key.KeyID != s.KeyID {
			return nil, refuse(s.Step, ev, "identification answered for key %s, not %s", e.Key.KeyID, s.KeyID)
		}
		m.settle("IdentifyKey")
		s.Caller, s.Key, s.Identified = e.Caller, e.Key, true
		s.Key.KeyID = s.KeyID
		s.Findings = append(s.Findings, e.Findings...)
		return nil, nil

	case BeginInvestigation:
		if s.Step != StepIdentify && s.Step != StepInvestigate {
			return nil, refuse(s.Step, ev, "the investigation runs after identification, not at %s", s.Step.Title())
		}
		if !s.Identified {
			return nil, refuse(s.Step, ev, "wait for identification to finish before sweeping CloudTrail")
		}
		if s.Sweeping {
			return nil, refuse(s.Step, ev, "a sweep is already running")
		}
		if e.From.IsZero() || e.To.IsZero() || !e.From.Before(e.To) {
			return nil, refuse(s.Step, ev, "choose a time window whose start is before its end")
		}
		s.Step, s.Sweeping = StepInvestigate, true
		s.Investigation = &Investigation{From: e.From, To: e.To}
		return []Effect{SweepCloudTrail{KeyID: s.KeyID, From: e.From, To: e.To, ExposedAt: s.ExposedAt}}, nil

	case SweepProgress:
		if s.Step != StepInvestigate || !s.Sweeping {
			return nil, refuse(s.Step, ev, "no sweep is running")
		}
		inv := *s.Investigation
		inv.Regions = upsertRegion(inv.Regions, e.Region)
		s.Investigation = &inv
		return nil, nil

	case SweepFinished:
		if err := m.expect(ev, StepInvestigate, "SweepCloudTrail"); err != nil {
			return nil, err
		}
		m.settle("SweepCloudTrail")
		inv := e.Investigation
		s.Investigation, s.Sweeping = &inv, false
		s.Findings = append(s.Findings, e.Findings...)
		return nil, nil

	case RelabelCaller:
		return m.relabelAndReprove(e)

	case BeginProposals:
		return m.beginProposals(e)

	case ProposalsReady:
		if err := m.expect(ev, StepPropose, "ProposeReplacements"); err != nil {
			return nil, err
		}
		m.settle("ProposeReplacements")
		s.Proposals = mergeProposals(s.Proposals, e.Proposals)
		return m.reprove(), nil

	case EditProposal:
		return m.edited(e)

	case DecideProposal:
		return m.decided(e)

	case ApplyProposals:
		if s.Step != StepPropose {
			return nil, refuse(s.Step, ev, "replacements are applied from the proposals step")
		}
		if m.isPending("ProposeReplacements") {
			return nil, refuse(s.Step, ev, "wait for the proposals to be built")
		}
		if gap := m.applyGap(); gap != "" {
			return nil, refuse(s.Step, ev, "cannot apply yet: %s", gap)
		}
		s.Step = StepReplace
		var effects []Effect
		for _, p := range s.Proposals {
			if p.Decision == DecisionApply && !p.Applied {
				effects = append(effects, ApplyReplacement{Proposal: p})
			}
		}
		return effects, nil

	case ReplacementApplied:
		if err := m.expect(ev, StepReplace, "ApplyReplacement"); err != nil {
			return nil, err
		}
		i := m.proposalIndex(e.CallerID)
		if i < 0 {
			return nil, refuse(s.Step, ev, "no proposal for caller %s", e.CallerID)
		}
		m.settleProposal("ApplyReplacement", e.CallerID)
		s.Proposals = cloneProposals(s.Proposals)
		s.Proposals[i].Applied, s.Proposals[i].Created = true, e.Created
		return nil, nil

	case VerifyMoves:
		if s.Step != StepReplace {
			return nil, refuse(s.Step, ev, "moves are verified in the replace step")
		}
		var effects []Effect
		for _, p := range s.Proposals {
			if p.Applied && !p.Moved && !m.verifying(p.CallerID) {
				c, _ := s.Investigation.Caller(p.CallerID)
				effects = append(effects, VerifyMove{KeyID: s.KeyID, Proposal: p, Caller: c})
			}
		}
		if len(effects) == 0 {
			return nil, refuse(s.Step, ev, "nothing to verify: no applied replacement is waiting for its caller to move")
		}
		return effects, nil

	case CallerMoved:
		// A move check may answer after the responder went on to
		// deactivation: it still settles, or the incident could never close.
		if !m.isPending("VerifyMove") {
			return nil, refuse(s.Step, ev, "CallerMoved arrived but no VerifyMove was asked for")
		}
		i := m.proposalIndex(e.CallerID)
		if i < 0 {
			return nil, refuse(s.Step, ev, "no proposal for caller %s", e.CallerID)
		}
		m.settleProposal("VerifyMove", e.CallerID)
		s.Proposals = cloneProposals(s.Proposals)
		s.Proposals[i].Moved = e.Moved
		return nil, nil

	case BackToProposals:
		if s.Step != StepReplace {
			return nil, refuse(s.Step, ev, "going back to the proposals is possible from the replace step")
		}
		if m.isPending("ApplyReplacement") {
			return nil, refuse(s.Step, ev, "wait for the replacements being applied to finish")
		}
		s.Step = StepPropose
		return nil, nil

	case ProceedToDeactivate:
		if s.Step != StepReplace {
			return nil, refuse(s.Step, ev, "deactivation comes after the replacements are applied")
		}
		if m.isPending("ApplyReplacement") {
			return nil, refuse(s.Step, ev, "wait for the replacements being applied to finish")
		}
		if gaps := m.openGaps(); len(gaps) > 0 {
			return nil, m.gapRefusal(ev, "deactivate", gaps)
		}
		override := strings.TrimSpace(e.Override)
		if reason := m.replacementGap(); reason != "" && override == "" {
			return nil, refuse(s.Step, ev, "cannot deactivate yet: %s (decide each one, or give a written reason to override)", reason)
		}
		if override != "" {
			s.Override = override
		}
		s.Step = StepDeactivate
		return nil, nil

	case ConfirmDeactivate:
		if s.Step != StepDeactivate {
			return nil, refuse(s.Step, ev, "the key is deactivated from the deactivation step")
		}
		if m.isPending("DeactivateKey") {
			return nil, refuse(s.Step, ev, "the deactivation is already running")
		}
		if reason := m.replacementGap(); reason != "" && s.Override == "" {
			return nil, refuse(s.Step, ev, "cannot deactivate yet: %s", reason)
		}
		if gaps := m.openGaps(); len(gaps) > 0 {
			return nil, m.gapRefusal(ev, "deactivate", gaps)
		}
		if reason := m.rootGap(); reason != "" {
			return nil, refuse(s.Step, ev, "cannot deactivate yet: %s", reason)
		}
		return []Effect{DeactivateKey{m.target()}}, nil

	case KeyDeactivated:
		if err := m.expect(ev, StepDeactivate, "DeactivateKey"); err != nil {
			return nil, err
		}
		m.settle("DeactivateKey")
		s.Key.Status = KeyInactive
		s.DeactivatedAt = e.At
		m.startWatch(e.At)
		s.Step = StepWatch
		return []Effect{m.pollEffect()}, nil

	case WatchObserved:
		return m.observe(e)

	case RestartWatch:
		if s.Step != StepWatch {
			return nil, refuse(s.Step, ev, "the watch can only be restarted while watching")
		}
		m.startWatch(s.WatchLast)
		if m.isPending("PollWatch") {
			return nil, nil
		}
		return []Effect{m.pollEffect()}, nil

	case RequestReactivate:
		if s.Step != StepWatch && s.Step != StepDelete {
			return nil, refuse(s.Step, ev, "roll-back is possible while watching, before the key is deleted")
		}
		if m.isPending("DeleteKey") {
			// A roll-back racing the deletion could answer either way.
			return nil, refuse(s.Step, ev, "the key is being deleted: wait for the deletion's result")
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, refuse(s.Step, ev, "say why you roll back: the reason goes into the action log")
		}
		s.Step = StepReactivate
		s.Lessons = append(s.Lessons, m.lesson(e.Reason))
		return []Effect{ReactivateKey{m.target()}}, nil

	case KeyReactivated:
		if err := m.expect(ev, StepReactivate, "ReactivateKey"); err != nil {
			return nil, err
		}
		m.settle("ReactivateKey")
		// A poll still in flight answers a watch that no longer exists.
		delete(m.pending, "PollWatch")
		s.Key.Status = KeyActive
		s.Rollbacks++
		m.startWatch(time.Time{})
		s.DeactivatedAt = time.Time{}
		s.Step = StepPropose
		return nil, nil

	case ConfirmDelete:
		return m.confirmDelete(e)

	case KeyDeleted:
		if err := m.expect(ev, StepDelete, "DeleteKey"); err != nil {
			return nil, err
		}
		m.settle("DeleteKey")
		s.Key.Status, s.DeletedAt, s.Step = KeyGone, e.At, StepHarden
		return []Effect{CheckHardening{KeyID: s.KeyID}}, nil

	case CleanUp:
		return m.cleanUp(e)

	case ResourceCleanedUp:
		if !m.isPending("CleanUpResource") {
			return nil, refuse(s.Step, ev, "no clean-up was asked for")
		}
		m.settleResource(e.Resource)
		m.cleanedUp(e)
		return nil, nil

	case HardeningChecked:
		if err := m.expect(ev, StepHarden, "CheckHardening"); err != nil {
			return nil, err
		}
		m.settle("CheckHardening")
		// The indicators' follow-ups (rotate the secrets read, unshare the
		// snapshots shared) join what awsops read of the account.
		s.Checklist = append(append([]CheckItem(nil), e.Items...), s.Investigation.FollowUpChecks()...)
		m.markFollowUps()
		return nil, nil

	case RecheckHardening:
		if s.Step != StepHarden {
			return nil, refuse(s.Step, ev, "the hardening checklist is read after the key is deleted")
		}
		if m.isPending("CheckHardening") {
			return nil, refuse(s.Step, ev, "the checklist is being read")
		}
		return []Effect{CheckHardening{KeyID: s.KeyID}}, nil

	case CloseIncident:
		if s.Step != StepHarden {
			return nil, refuse(s.Step, ev, "the incident closes after the key is deleted and the account checked")
		}
		if s.Checklist == nil {
			return nil, refuse(s.Step, ev, "read the hardening checklist before closing")
		}
		if len(m.pending) > 0 {
			return nil, refuse(s.Step, ev, "wait for %s to finish", strings.Join(pendingNames(m.pending), ", "))
		}
		s.Reason, s.Step = e.Note, StepClosed
		return nil, nil

	case Abort:
		if strings.TrimSpace(e.Reason) == "" {
			return nil, refuse(s.Step, ev, "say why you abort: the reason goes into the action log")
		}
		s.Reason, s.Step = e.Reason, StepAborted
		return nil, nil

	case Retry:
		if len(s.Failed) == 0 {
			return nil, refuse(s.Step, ev, "nothing failed: there is nothing to retry")
		}
		effects := s.Failed
		s.Failed, s.LastError = nil, nil
		for _, eff := range effects {
			if eff.EffectName() == "SweepCloudTrail" {
				s.Sweeping = true
			}
		}
		return effects, nil

	case EffectFailed:
		if e.Effect == "ProveProposal" {
			m.proofFailed(e)
		}
		return nil, m.failed(e)
	case AddTrailSource:
		return m.addTrailSource(e)
	case TrailScanProgress:
		return m.trailScanProgress(e)
	case TrailSourceScanned:
		return m.trailSourceScanned(e)
	case RevokeSessions:
		return m.revokeSessions(e)
	case SessionsRevoked:
		return m.sessionsRevoked(e)
	case ProposalProven:
		return nil, m.proven(e)
	case OverrideProof:
		return nil, m.overrideProof(e)
	case ConfirmFollowUp:
		return nil, m.confirmFollowUp(e)
	case SignInAsRoot:
		return m.signInAsRoot(e)
	case RootCredentialsObtained:
		return m.rootObtained(e)
	}
	return nil, refuse(s.Step, ev, "unknown event %s", ev.EventName())
}

// expect checks that a result arrives in its step for an effect in flight.
func (m *Machine) expect(ev Event, step Step, effect string) error {
	if !m.isPending(effect) {
		return refuse(m.s.Step, ev, "%s arrived but no %s was asked for", ev.EventName(), effect)
	}
	if m.s.Step != step {
		return refuse(m.s.Step, ev, "%s arrived at %s, expected at %s", ev.EventName(), m.s.Step.Title(), step.Title())
	}
	return nil
}

func (m *Machine) target() KeyTarget {
	return KeyTarget{KeyID: m.s.KeyID, User: m.s.Key.User, Root: m.s.Key.Root}
}

func (m *Machine) proposeEffect(callers []UsageCaller) Effect {
	return ProposeReplacements{KeyID: m.s.KeyID, Account: m.s.Key.Account, Callers: callers}
}

func legitimate(callers []UsageCaller) []UsageCaller {
	var out []UsageCaller
	for _, c := range callers {
		if c.NeedsReplacement() {
			out = append(out, c)
		}
	}
	return out
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

// validPolicy checks the parts of an IAM policy document a typo breaks.
func validPolicy(doc string) error {
	var p struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return fmt.Errorf("the policy is not valid JSON: %v", err)
	}
	if p.Version != "2012-10-17" {
		return fmt.Errorf("the policy's Version must be \"2012-10-17\"")
	}
	// IAM accepts one statement object or an array of them.
	if st := strings.TrimSpace(string(p.Statement)); st == "" || st == "[]" || st == "null" || st == "{}" {
		return fmt.Errorf("the policy has no Statement")
	}
	return nil
}
