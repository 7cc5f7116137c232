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
		lines = append(lines, wrapKeyValue(f, "Reason", st.Reason)...)
		if st.KeyID != "" {
			lines = append(lines, wrapKeyValue(f, "Key", st.KeyID+" is "+keyState(st))...)
		}
		if st.Intake.Key.Status == runbook.KeyActive {
			lines = append(lines, wrapParagraph(sty.Danger, "! The key is still active: whoever holds it can still use it.", f.w, "  ")...)
		}
	} else {
		lines = append(lines, sty.Heading.Render("Closed")+sty.Muted.Render(" · the incident is over"))
		lines = append(lines, wrapKeyValue(f, "Key", st.KeyID+" of "+st.Intake.Key.Owner()+": "+keyState(st))...)
		if st.Reason != "" {
			lines = append(lines, wrapKeyValue(f, "Note", st.Reason)...)
		}
	}
	if !st.Intake.DetectedAt.IsZero() {
		lines = append(lines, wrapKeyValue(f, "Detected", stamp(st.Intake.DetectedAt))...)
	}
	dryRun := st.Mode == runbook.ModeDryRun
	if !st.Contain.DeactivatedAt.IsZero() {
		contain := stamp(st.Contain.DeactivatedAt)
		if !st.Intake.DetectedAt.IsZero() {
			contain += " (" + shortDur(st.Contain.DeactivatedAt.Sub(st.Intake.DetectedAt)) + " to contain)"
		}
		if dryRun {
			lines = append(lines, wrapKeyValue(f, "Deactivate", "would happen here; rehearsed at "+stamp(st.Contain.DeactivatedAt)+" (dry-run: the key is still Active)")...)
		} else {
			lines = append(lines, wrapKeyValue(f, "Deactivated", contain)...)
		}
	}
	if !st.Delete.DeletedAt.IsZero() {
		if dryRun {
			lines = append(lines, wrapKeyValue(f, "Delete", "would happen here; rehearsed at "+stamp(st.Delete.DeletedAt)+" (dry-run: nothing deleted)")...)
		} else {
			lines = append(lines, wrapKeyValue(f, "Deleted", stamp(st.Delete.DeletedAt))...)
		}
	}
	if st.Investigate.Investigation != nil {
		lines = append(lines, wrapKeyValue(f, "Callers", fmt.Sprintf("%d found · replacements: %s", len(st.Investigate.Investigation.Callers), replacementTally(st.Propose.Proposals)))...)
		cleaned := fmt.Sprintf("%d of %d resources the key created", len(st.Delete.CleanedUp), len(st.Investigate.Investigation.AttackerResources()))
		if dryRun {
			cleaned = "would remove " + cleaned + " (dry-run: nothing changed)"
		}
		label := "Cleaned up"
		if dryRun {
			label = "Clean-up"
		}
		lines = append(lines, wrapKeyValue(f, label, cleaned)...)
	}
	if st.Contain.Rollbacks > 0 {
		lines = append(lines, wrapKeyValue(f, "Roll-backs", fmt.Sprint(st.Contain.Rollbacks))...)
	}
	if st.Harden.Checklist != nil {
		pass := 0
		for _, it := range st.Harden.Checklist {
			if it.OK {
				pass++
			}
		}
		lines = append(lines, wrapKeyValue(f, "Checklist", fmt.Sprintf("%d of %d checks pass", pass, len(st.Harden.Checklist)))...)
	}
	lines = append(lines, "")
	lines = append(lines, wrapKeyValue(f, "Action log", f.logPath)...)
	lines = append(lines, wrapKeyValue(f, "Report", "keyrunbook report "+f.logPath+" --format md")...)
	lines = append(lines, wrapKeyValue(f, "Verify", "keyrunbook verify "+f.logPath)...)
	if f.training != nil {
		lines = append(lines, "", sty.Muted.Render("Training: the debrief follows when you quit (q)."))
	} else {
		lines = append(lines, "", sty.Muted.Render("q quits."))
	}
	return strings.Join(lines, "\n")
}

func keyState(st runbook.State) string {
	switch st.Intake.Key.Status {
	case runbook.KeyGone, runbook.KeyInactive:
		if st.Mode == runbook.ModeDryRun {
			return "would be " + strings.ToLower(string(st.Intake.Key.Status)) + " (dry-run: still active)"
		}
		return strings.ToLower(string(st.Intake.Key.Status))
	case runbook.KeyActive:
		return "active"
	}
	return "in an unknown state"
}
