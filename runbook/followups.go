package runbook

import (
	"fmt"
	"slices"
	"strings"
)

// CheckItem is one hardening check.
type CheckItem struct {
	ID    string `json:"id"` // e.g. root-keys (Security Hub IAM.4)
	Title string `json:"title"`
	OK    bool   `json:"ok"`
	State string `json:"state"` // what was read
	Fix   string `json:"fix,omitempty"`
}

// FollowUp is what to do about an indicator once the incident is
// contained: rotate the secrets read, unshare the snapshot shared, revoke
// the model access enabled. It comes from the technique row the calls
// matched (package judge) and lists what those calls acted on.
type FollowUp struct {
	Kind      string   `json:"kind"`      // rotate, unshare, terminate, revoke, delete, restore
	Technique string   `json:"technique"` // the technique row's ID
	Do        string   `json:"do"`
	Targets   []string `json:"targets,omitempty"`
	CallerID  string   `json:"callerId"`
}

// FollowUps are the follow-ups of the indicators whose caller is not
// labelled legitimate: a workload reading its own secret leaves nothing to
// rotate, an attacker or an unknown caller reading it does. They follow the
// labels as the responder changes them.
func (inv *Investigation) FollowUps() []FollowUp {
	if inv == nil {
		return nil
	}
	var out []FollowUp
	for _, ind := range inv.Indicators {
		c, ok := inv.Caller(ind.CallerID)
		if ok && c.Label == LabelLegitimate {
			continue
		}
		for _, f := range ind.FollowUps {
			if !slices.ContainsFunc(out, func(o FollowUp) bool {
				return o.Technique == f.Technique && o.CallerID == f.CallerID
			}) {
				out = append(out, f)
			}
		}
	}
	return out
}

// AttackerResources is the blast radius as the clean-up offers it: what a
// caller not labelled legitimate made. The sweep leaves out what only
// workloads touched; a caller relabelled legitimate since takes its
// resources out of the list too.
func (inv *Investigation) AttackerResources() []Resource {
	if inv == nil {
		return nil
	}
	var out []Resource
	for _, r := range inv.BlastRadius {
		if !inv.ownedByWorkload(r) {
			out = append(out, r)
		}
	}
	return out
}

// ownedByWorkload reports whether a legitimate caller made the resource.
func (inv *Investigation) ownedByWorkload(r Resource) bool {
	if r.CallerID == "" {
		return false // a source that does not attribute: the responder judges
	}
	c, ok := inv.Caller(r.CallerID)
	return ok && c.Label == LabelLegitimate
}

// followUpVerbs title a follow-up check by its kind.
var followUpVerbs = map[string]string{
	"rotate": "Rotate", "unshare": "Unshare", "terminate": "Terminate", "revoke": "Revoke",
	"delete": "Delete", "restore": "Restore",
}

// FollowUpChecks are the follow-ups as items of the hardening checklist:
// keyrunbook cannot tell that a secret was rotated or a model's access
// revoked, so each stays open with what to do, for the responder and the
// postmortem.
func (inv *Investigation) FollowUpChecks() []CheckItem {
	var out []CheckItem
	for _, f := range inv.FollowUps() {
		what := "what caller " + f.CallerID + " touched"
		if len(f.Targets) > 0 {
			what = strings.Join(f.Targets, ", ")
		}
		verb := followUpVerbs[f.Kind]
		if verb == "" {
			verb = "Follow up on"
		}
		out = append(out, CheckItem{ID: followUpID(f), Title: verb + " " + what,
			State: fmt.Sprintf("after %s by caller %s; keyrunbook cannot check it", f.Technique, f.CallerID), Fix: f.Do})
	}
	return out
}

func followUpID(f FollowUp) string { return "follow-up-" + f.Technique + "-" + f.CallerID }

// ConfirmFollowUp is the responder saying a follow-up is done by hand
// (the secret rotated, the snapshot unshared): keyrunbook cannot check it,
// so the word is journaled, with the note, for the postmortem and the
// debrief.
type ConfirmFollowUp struct {
	ID   string `json:"id"` // the checklist item's ID (follow-up-…)
	Note string `json:"note,omitempty"`
}

// EventName implements Event.
func (ConfirmFollowUp) EventName() string { return "ConfirmFollowUp" }

// FollowUpDone is one follow-up the responder confirmed.
type FollowUpDone struct {
	ID        string `json:"id"`
	Technique string `json:"technique"`
	Note      string `json:"note,omitempty"`
}

func (m *Machine) confirmFollowUp(e ConfirmFollowUp) error {
	s := &m.s
	if s.Step != StepHarden {
		return refuse(s.Step, e, "follow-ups are confirmed at the hardening checklist, once the key is gone")
	}
	var found *FollowUp
	for _, f := range s.Investigate.Investigation.FollowUps() {
		if followUpID(f) == e.ID {
			found = &f
			break
		}
	}
	switch {
	case found == nil:
		return refuse(s.Step, e, "no open follow-up %s", e.ID)
	case slices.ContainsFunc(s.Harden.FollowUpsDone, func(d FollowUpDone) bool { return d.ID == e.ID }):
		return refuse(s.Step, e, "%s is already confirmed", e.ID)
	case s.followUpCleanedUp(*found):
		return refuse(s.Step, e, "%s is done already: keyrunbook's clean-up removed %s", e.ID, strings.Join(found.Targets, ", "))
	}
	s.Harden.FollowUpsDone = append(slices.Clone(s.Harden.FollowUpsDone), FollowUpDone{ID: e.ID, Technique: found.Technique, Note: e.Note})
	m.markFollowUps()
	return nil
}

// cleanedUpBy are the follow-up kinds keyrunbook's own clean-up carries out:
// deleting what the attacker made, terminating what it launched. Rotating a
// secret or unsharing a snapshot stays the responder's to confirm.
var cleanedUpBy = map[string]bool{"delete": true, "terminate": true}

// FollowUpDone reports whether a follow-up is done: confirmed by the
// responder, or carried out by the clean-up (every target it names was
// removed: the user deleted, the instances terminated).
func (s State) FollowUpDone(f FollowUp) bool {
	if slices.ContainsFunc(s.Harden.FollowUpsDone, func(d FollowUpDone) bool { return d.ID == followUpID(f) }) {
		return true
	}
	return s.followUpCleanedUp(f)
}

func (s State) followUpCleanedUp(f FollowUp) bool {
	if !cleanedUpBy[f.Kind] || len(f.Targets) == 0 {
		return false
	}
	for _, t := range f.Targets {
		if !slices.ContainsFunc(s.Delete.CleanedUp, func(r Resource) bool { return r.ID == t }) {
			return false
		}
	}
	return true
}

// markFollowUps sets the checklist's follow-up items from what is done:
// the responder's word, or the clean-up that removed every target.
func (m *Machine) markFollowUps() {
	s := &m.s
	if s.Investigate.Investigation == nil || len(s.Harden.Checklist) == 0 {
		return
	}
	s.Harden.Checklist = slices.Clone(s.Harden.Checklist)
	for _, f := range s.Investigate.Investigation.FollowUps() {
		i := slices.IndexFunc(s.Harden.Checklist, func(c CheckItem) bool { return c.ID == followUpID(f) })
		if i < 0 {
			continue
		}
		if j := slices.IndexFunc(s.Harden.FollowUpsDone, func(d FollowUpDone) bool { return d.ID == followUpID(f) }); j >= 0 {
			s.Harden.Checklist[i].OK, s.Harden.Checklist[i].State = true, "done, says the responder"+noteSuffix(s.Harden.FollowUpsDone[j].Note)
		} else if s.followUpCleanedUp(f) {
			s.Harden.Checklist[i].OK, s.Harden.Checklist[i].State = true, "done: keyrunbook's clean-up removed "+strings.Join(f.Targets, ", ")
		}
	}
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}
