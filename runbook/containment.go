package runbook

import (
	"fmt"
	"strings"
	"time"
)

func (m *Machine) startWatch(at time.Time) {
	s := &m.s
	s.Watch.Start, s.Watch.Last, s.Watch.Passed, s.Watch.Ended = at, at, false, false
	s.Watch.KeyUses, s.Watch.Uses, s.Watch.Denied, s.Watch.Alarms, s.Watch.Unhealthy, s.Watch.Unread = 0, nil, nil, nil, nil, nil
}

func (m *Machine) pollEffect() Effect {
	e := PollWatch{KeyID: m.s.KeyID, Since: m.s.Watch.Start}
	for _, p := range m.s.Propose.Proposals {
		if p.Applied {
			e.Replacements = append(e.Replacements, p.Name)
			e.Applied = append(e.Applied, p)
		}
	}
	if inv := m.s.Investigate.Investigation; inv != nil && !m.s.Investigate.Sweeping {
		e.Callers = legitimate(inv.Callers)
		for _, r := range inv.Regions {
			e.Regions = append(e.Regions, r.Region)
		}
	}
	return e
}

// Impact reports whether the last watch reading showed anything broken:
// a use of the key that is not the attacker failing, a replacement
// denied, an alarm, a failing workload. A signal that could not be read
// is no impact (rolling back would not help) but still blocks deletion.
func (w WatchState) Impact() bool {
	for _, u := range w.Uses {
		if u.Blocks() {
			return true
		}
	}
	return (w.KeyUses > 0 && len(w.Uses) == 0) || len(w.Denied) > 0 || len(w.Alarms) > 0 || len(w.Unhealthy) > 0
}

// Remaining is how much of the window is left at the last reading.
func (w WatchState) Remaining() time.Duration {
	if w.Start.IsZero() {
		return w.Window
	}
	left := w.Window - w.Last.Sub(w.Start)
	if left < 0 {
		return 0
	}
	return left
}

func (m *Machine) observe(e WatchObserved) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("PollWatch")
	if e.At.Before(s.Watch.Last) {
		return nil, refuse(s.Step, e, "a watch reading from %s is older than the last one", e.At.Format(time.RFC3339))
	}
	if s.Watch.Start.IsZero() {
		s.Watch.Start = e.At
	}
	s.Watch.Last = e.At
	s.Watch.KeyUses, s.Watch.Denied, s.Watch.Alarms, s.Watch.Unhealthy, s.Watch.Unread = e.KeyUses, e.Denied, e.Alarms, e.Unhealthy, e.Unread
	s.Watch.Uses = attribute(s.Investigate.Investigation, e.Uses)
	s.Watch.ReadingSig = e.Signature()
	if s.Watch.Last.Sub(s.Watch.Start) < s.Watch.Window {
		return []Effect{m.pollEffect()}, nil
	}
	// The window has run its length: it passes when nothing blocks the
	// deletion (the attacker failing on the dead key does not); otherwise
	// the watch ends with the blockers listed, and the responder fixes
	// them and restarts it (w) or rolls back (R). Polling on would only
	// repeat the same news.
	if len(s.Watch.Blockers()) > 0 {
		s.Watch.Ended = true
		return nil, nil
	}
	s.Watch.Passed, s.Step = true, StepDelete
	m.noteShortWatch()
	return m.readKeyEffects(), nil
}

func (m *Machine) lesson(reason string) string {
	s := &m.s
	var parts []string
	for _, u := range s.Watch.Uses {
		parts = append(parts, "use of the key by "+u.Who()+": "+u.What())
	}
	if s.Watch.KeyUses > 0 && len(s.Watch.Uses) == 0 {
		parts = append(parts, fmt.Sprintf("%d use(s) of the key during the watch", s.Watch.KeyUses))
	}
	for _, d := range s.Watch.Denied {
		parts = append(parts, fmt.Sprintf("%s denied %s", d.Principal, d.Action))
	}
	if len(s.Watch.Alarms) > 0 {
		parts = append(parts, "alarms: "+strings.Join(s.Watch.Alarms, ", "))
	}
	if len(s.Watch.Unhealthy) > 0 {
		parts = append(parts, "unhealthy: "+strings.Join(s.Watch.Unhealthy, ", "))
	}
	if len(parts) == 0 {
		return reason
	}
	return reason + " (" + strings.Join(parts, "; ") + ")"
}

func (m *Machine) confirmDelete(e ConfirmDelete) ([]Effect, error) {
	s := &m.s
	if s.Step != StepWatch && s.Step != StepDelete {
		return nil, refuse(s.Step, e, "the key is deleted only after it was deactivated and watched")
	}
	if reason := m.keyReadRefusal(); reason != "" {
		return nil, refuse(s.Step, e, "%s", reason)
	}
	if s.Intake.Key.Status != KeyInactive && !s.Delete.KeyContained {
		return nil, refuse(s.Step, e, "cannot delete: key is still active")
	}
	if b := s.Watch.Blockers(); len(b) > 0 {
		return nil, refuse(s.Step, e, "cannot delete: %s; %s", b[0].What, b[0].Do)
	}
	if !s.Watch.Passed {
		return nil, refuse(s.Step, e, "cannot delete: the watch window has not passed (%s left)", s.Watch.Remaining().Round(time.Second))
	}
	if m.isPending("DeleteKey") {
		return nil, refuse(s.Step, e, "the deletion is already running")
	}
	if gaps := m.openGaps(); len(gaps) > 0 {
		return nil, m.gapRefusal(e, "delete", gaps)
	}
	if strings.TrimSpace(e.Typed) != LastFour(s.KeyID) {
		return nil, refuse(s.Step, e, "cannot delete: the confirmation does not match; type the last four characters of the key ID")
	}
	if reason := m.rootGap(); reason != "" {
		return nil, refuse(s.Step, e, "cannot delete yet: %s", reason)
	}
	return []Effect{DeleteKey{m.target()}}, nil
}

func (m *Machine) cleanUp(e CleanUp) ([]Effect, error) {
	s := &m.s
	switch s.Step {
	case StepDeactivate, StepWatch, StepDelete, StepHarden:
	default:
		return nil, refuse(s.Step, e, "the attacker's resources are removed once containment has begun (from deactivation on)")
	}
	targets := e.Targets()
	if len(targets) == 0 {
		return nil, refuse(s.Step, e, "nothing to clean up: pick a resource first")
	}
	var effects []Effect
	for _, r := range targets {
		if s.Investigate.Investigation == nil || !containsResource(s.Investigate.Investigation.BlastRadius, r) {
			return nil, refuse(s.Step, e, "%s %s is not in the blast radius of this key", r.Type, r.ID)
		}
		if s.Investigate.Investigation.ownedByWorkload(r) {
			return nil, refuse(s.Step, e, "%s %s was made by caller %s, labelled legitimate: it is the workload's, not the attacker's", r.Type, r.ID, r.CallerID)
		}
		if r.Type == "temporary-credentials" {
			// STS has no call that deletes a session: it lasts until it
			// expires, and only a deny on its principal stops it earlier.
			return nil, refuse(s.Step, e, "%s is a temporary credential: no AWS call deletes it; revoke the sessions the key minted (S) and it is denied until it expires", r.ID)
		}
		if containsResource(s.Delete.CleanedUp, r) {
			if len(targets) == 1 {
				return nil, refuse(s.Step, e, "%s %s was already cleaned up", r.Type, r.ID)
			}
			continue // a picked item that went with an earlier removal
		}
		for _, p := range m.pending["CleanUpResource"] {
			if sameResource(p.(CleanUpResource).Resource, r) {
				return nil, refuse(s.Step, e, "the clean-up of %s is already running", r.ID)
			}
		}
		if heldByOneOf(r, targets) {
			continue // removing its owner removes it (ResourceCleanedUp.With)
		}
		effects = append(effects, CleanUpResource{Resource: r})
	}
	if len(effects) == 0 {
		return nil, refuse(s.Step, e, "everything picked was already cleaned up")
	}
	return effects, nil
}

// cleanedUp records a removal and what went with it; something that went
// with it counts only where the investigation knew of it.
func (m *Machine) cleanedUp(e ResourceCleanedUp) {
	s := &m.s
	done := append([]Resource(nil), s.Delete.CleanedUp...)
	for _, r := range append([]Resource{e.Resource}, e.With...) {
		if containsResource(done, r) {
			continue
		}
		if sameResource(r, e.Resource) {
			done = append(done, r)
			continue
		}
		if s.Investigate.Investigation != nil {
			for _, b := range s.Investigate.Investigation.BlastRadius {
				if sameResource(b, r) {
					done = append(done, b)
				}
			}
		}
	}
	s.Delete.CleanedUp = done
	m.markFollowUps() // a removal may carry out a follow-up of the checklist
}

func (m *Machine) settleResource(r Resource) {
	q := m.pending["CleanUpResource"]
	for i, p := range q {
		if sameResource(p.(CleanUpResource).Resource, r) {
			m.pending["CleanUpResource"] = append(append([]Effect(nil), q[:i]...), q[i+1:]...)
			if len(m.pending["CleanUpResource"]) == 0 {
				delete(m.pending, "CleanUpResource")
			}
			return
		}
	}
	m.settle("CleanUpResource")
}

func sameResource(a, b Resource) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Region == b.Region
}

func containsResource(rs []Resource, r Resource) bool {
	for _, x := range rs {
		if sameResource(x, r) {
			return true
		}
	}
	return false
}

func (m *Machine) failed(e EffectFailed) error {
	s := &m.s
	q := m.pending[e.Effect]
	if len(q) == 0 {
		return refuse(s.Step, e, "%s failed but it was not running", e.Effect)
	}
	eff := q[0]
	m.settle(e.Effect)
	if e.Effect == "ObtainRootCredentials" {
		// A refused MFA code is not retried: the responder types the
		// device's next one (SignInAsRoot).
		failed := e
		s.Effects.LastError = &failed
		return nil
	}
	if e.Effect == "SweepCloudTrail" {
		m.sweepFailed(e)
	}
	if e.Effect == "DeleteKey" && e.Code == CodeKeyNotInactive {
		s.Intake.Key.Status = KeyActive
	}
	if e.Effect == "PollWatch" {
		// A watch that cannot read its signals proves nothing: keep the
		// window open until a reading succeeds.
		s.Watch.Passed = false
	}
	failed := e
	s.Effects.Failed, s.Effects.LastError = append(append([]Effect(nil), s.Effects.Failed...), eff), &failed
	return nil
}

// CredentialRevoked reports whether a temporary credential in the blast
// radius is denied by the last session revocation: it was minted before
// the revocation, on a role (its Parent, the role ARN) or on the key's user
// (no Parent) that got the deny. STS cannot delete it; this is all that
// stops it before it expires.
func (s State) CredentialRevoked(r Resource) bool {
	if r.Type != "temporary-credentials" || s.Contain.Revocation == nil || r.Time.After(s.Contain.Revocation.At) {
		return false
	}
	for _, t := range s.Contain.Revocation.Targets {
		switch {
		case r.Parent != "" && t.Kind == "role" && (t.ARN == r.Parent || strings.HasSuffix(r.Parent, ":role/"+t.Name)):
			return true
		case r.Parent == "" && t.Kind == "user":
			return true
		}
	}
	return false
}

// heldByOneOf reports whether r belongs to a user or role among targets:
// removing an IAM user removes its keys, console password and policies
// first (DeleteUser requires it), and removing a role its policies.
func heldByOneOf(r Resource, targets []Resource) bool {
	for _, t := range targets {
		switch t.Type {
		case "iam-user":
			if (r.Type == "access-key" || r.Type == "login-profile") && r.Parent == t.ID ||
				r.Type == "policy" && r.Parent == "user/"+t.ID {
				return true
			}
		case "iam-role":
			if r.Type == "policy" && r.Parent == "role/"+t.ID {
				return true
			}
		}
	}
	return false
}
