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
		if st.Key.Status == runbook.KeyActive {
			lines = append(lines, wrapParagraph(sty.Danger, "! The key is still active: whoever holds it can still use it.", f.w, "  ")...)
		}
	} else {
		lines = append(lines, sty.Heading.Render("Closed")+sty.Muted.Render(" · the incident is over"))
		lines = append(lines, wrapKeyValue(f, "Key", st.KeyID+" of "+st.Key.Owner()+": "+keyState(st))...)
		if st.Reason != "" {
			lines = append(lines, wrapKeyValue(f, "Note", st.Reason)...)
		}
	}
	if !st.DetectedAt.IsZero() {
		lines = append(lines, wrapKeyValue(f, "Detected", stamp(st.DetectedAt))...)
	}
	dryRun := st.Mode == runbook.ModeDryRun
	if !st.DeactivatedAt.IsZero() {
		contain := stamp(st.DeactivatedAt)
		if !st.DetectedAt.IsZero() {
			contain += " (" + shortDur(st.DeactivatedAt.Sub(st.DetectedAt)) + " to contain)"
		}
		if dryRun {
			lines = append(lines, wrapKeyValue(f, "Deactivate", "would happen here; rehearsed at "+stamp(st.DeactivatedAt)+" (dry-run: the key is still Active)")...)
		} else {
			lines = append(lines, wrapKeyValue(f, "Deactivated", contain)...)
		}
	}
	if !st.DeletedAt.IsZero() {
		if dryRun {
			lines = append(lines, wrapKeyValue(f, "Delete", "would happen here; rehearsed at "+stamp(st.DeletedAt)+" (dry-run: nothing deleted)")...)
		} else {
			lines = append(lines, wrapKeyValue(f, "Deleted", stamp(st.DeletedAt))...)
		}
	}
	if st.Investigation != nil {
		lines = append(lines, wrapKeyValue(f, "Callers", fmt.Sprintf("%d found · replacements: %s", len(st.Investigation.Callers), replacementTally(st.Proposals)))...)
		cleaned := fmt.Sprintf("%d of %d resources the key created", len(st.CleanedUp), len(st.Investigation.AttackerResources()))
		if dryRun {
			cleaned = "would remove " + cleaned + " (dry-run: nothing changed)"
		}
		label := "Cleaned up"
		if dryRun {
			label = "Clean-up"
		}
		lines = append(lines, wrapKeyValue(f, label, cleaned)...)
	}
	if st.Rollbacks > 0 {
		lines = append(lines, wrapKeyValue(f, "Roll-backs", fmt.Sprint(st.Rollbacks))...)
	}
	if st.Checklist != nil {
		pass := 0
		for _, it := range st.Checklist {
			if it.OK {
				pass++
			}
		}
		lines = append(lines, wrapKeyValue(f, "Checklist", fmt.Sprintf("%d of %d checks pass", pass, len(st.Checklist)))...)
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
	switch st.Key.Status {
	case runbook.KeyGone, runbook.KeyInactive:
		if st.Mode == runbook.ModeDryRun {
			return "would be " + strings.ToLower(string(st.Key.Status)) + " (dry-run: still active)"
		}
		return strings.ToLower(string(st.Key.Status))
	case runbook.KeyActive:
		return "active"
	}
	return "in an unknown state"
}
