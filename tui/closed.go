package tui

import (
	"fmt"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// closedView sums the incident up and says where its record is.
func closedView(f frame, abortedAt runbook.Step) string {
	st, sty := f.st, f.sty
	var lines []string
	if st.Step == runbook.StepAborted {
		lines = append(lines, sty.Danger.Render("Aborted")+sty.Muted.Render(" at "+abortedAt.Title()))
		lines = append(lines, wrapIndent(kv(sty, "Reason", st.Reason), f.w, strings.Repeat(" ", 13))...)
		if st.KeyID != "" {
			lines = append(lines, kv(sty, "Key", st.KeyID+" is "+keyState(st)))
		}
		if st.Key.Status == runbook.KeyActive {
			lines = append(lines, wrapIndent(sty.Danger.Render("! The key is still active: whoever holds it can still use it."), f.w, "  ")...)
		}
	} else {
		lines = append(lines, sty.Heading.Render("Closed")+sty.Muted.Render(" · the incident is over"))
		lines = append(lines, kv(sty, "Key", st.KeyID+" of "+st.Key.Owner()+": "+keyState(st)))
		if st.Reason != "" {
			lines = append(lines, kv(sty, "Note", st.Reason))
		}
	}
	if !st.DetectedAt.IsZero() {
		lines = append(lines, kv(sty, "Detected", stamp(st.DetectedAt)))
	}
	if !st.DeactivatedAt.IsZero() {
		contain := stamp(st.DeactivatedAt)
		if !st.DetectedAt.IsZero() {
			contain += " (" + shortDur(st.DeactivatedAt.Sub(st.DetectedAt)) + " to contain)"
		}
		lines = append(lines, kv(sty, "Deactivated", contain))
	}
	if !st.DeletedAt.IsZero() {
		lines = append(lines, kv(sty, "Deleted", stamp(st.DeletedAt)))
	}
	if st.Investigation != nil {
		lines = append(lines, kv(sty, "Callers", fmt.Sprintf("%d found · replacements: %s", len(st.Investigation.Callers), replacementTally(st.Proposals))))
		lines = append(lines, kv(sty, "Cleaned up", fmt.Sprintf("%d of %d resources the key created", len(st.CleanedUp), len(st.Investigation.BlastRadius))))
	}
	if st.Rollbacks > 0 {
		lines = append(lines, kv(sty, "Roll-backs", fmt.Sprint(st.Rollbacks)))
	}
	if st.Checklist != nil {
		pass := 0
		for _, it := range st.Checklist {
			if it.OK {
				pass++
			}
		}
		lines = append(lines, kv(sty, "Checklist", fmt.Sprintf("%d of %d checks pass", pass, len(st.Checklist))))
	}
	lines = append(lines, "", kv(sty, "Action log", f.logPath))
	lines = append(lines, kv(sty, "Report", "keyrunbook report "+f.logPath+" --format md"))
	lines = append(lines, kv(sty, "Verify", "keyrunbook verify "+f.logPath))
	if f.training != nil {
		lines = append(lines, "", sty.Muted.Render("Training: the debrief follows when you quit (q)."))
	} else {
		lines = append(lines, "", sty.Muted.Render("q quits."))
	}
	return strings.Join(lines, "\n")
}

func keyState(st runbook.State) string {
	switch st.Key.Status {
	case runbook.KeyGone:
		return "deleted"
	case runbook.KeyInactive:
		return "inactive"
	case runbook.KeyActive:
		return "active"
	}
	return "in an unknown state"
}
