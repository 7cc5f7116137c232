package runbook

import (
	"encoding/json"
	"fmt"
	"strings"
)

// mdContainment renders the deactivation, the watch and the deletion: who
// used the key during the watch, what failed, what could not be read, and
// what still blocked the deletion. Dry-run says what would have happened.
func (r *Report) mdContainment(b *strings.Builder) {
	c := r.Containment
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	dryRun := r.Summary.Mode == ModeDryRun
	p("## Containment\n\n")
	if dryRun {
		p("> Dry-run: nothing below was changed in the account. Each step says what would have happened; the times are the rehearsal's, not a real containment's.\n\n")
		p("- Would have deactivated the key (rehearsed at %s)\n", stamp(c.DeactivatedAt))
	} else {
		p("- Deactivated: %s\n", stamp(c.DeactivatedAt))
	}
	if c.Override != "" {
		p("- Deactivated with callers undecided, override reason: %s\n", c.Override)
	}
	r.mdRoot(p)
	switch {
	case dryRun:
		p("- Watch window: %s, not run (dry-run turned nothing off, so there was nothing to watch)\n", c.WatchWindow)
	default:
		p("- Watch window: %s, from %s to %s, passed: %v, key uses seen: %d\n", c.WatchWindow, stamp(c.WatchStart), stamp(c.WatchLast), c.WatchPassed, c.KeyUses)
	}
	if c.WatchNote != "" {
		p("- Watch caveat: %s\n", c.WatchNote)
	}
	for _, u := range c.Uses {
		p("- Key used by %s: %s. %s\n", u.Who(), u.What(), capitalise(u.Advice()))
	}
	for _, d := range c.Denied {
		p("- Replacement denied: %s denied %s\n", d.Principal, d.Action)
	}
	if len(c.Unhealthy) > 0 {
		p("- **Workloads failing at the last reading: %s**\n", strings.Join(c.Unhealthy, ", "))
	}
	if len(c.Alarms) > 0 {
		p("- **Alarms in ALARM at the last reading: %s**\n", strings.Join(c.Alarms, ", "))
	}
	for _, u := range c.Unread {
		p("- %s\n", capitalise(u.Text()))
	}
	if len(c.Blockers) > 0 {
		p("- Still blocking the deletion:\n")
		for _, bl := range c.Blockers {
			p("  - %s: %s\n", bl.What, bl.Do)
		}
	}
	if rv := c.Revocation; rv != nil {
		p("- %sSessions minted before %s revoked on: %s\n", dry(rv.DryRun), stamp(rv.At), revocationTargets(rv.Targets))
	}
	p("- Roll-backs: %d\n", c.Rollbacks)
	for _, l := range c.Lessons {
		p("  - %s\n", l)
	}
	if dryRun {
		if !c.DeletedAt.IsZero() {
			p("- Would have deleted the key (rehearsed at %s)\n", stamp(c.DeletedAt))
		}
		for _, res := range r.CleanedUp {
			p("- Would have removed %s %s\n", res.Type, res.ID)
		}
	} else {
		p("- Deleted: %s\n", stamp(c.DeletedAt))
		for _, res := range r.CleanedUp {
			p("- Removed %s %s\n", res.Type, res.ID)
		}
	}
	p("\n")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// mdDebrief renders a training run's debrief, which the JSON report
// carries as it was journaled: the score and every point, with its reason.
func (r *Report) mdDebrief(b *strings.Builder) {
	if len(r.Debrief) == 0 {
		return
	}
	var d Debrief
	if err := json.Unmarshal(r.Debrief, &d); err != nil {
		fmt.Fprintf(b, "## Training debrief\n\nThe debrief record could not be read: %s\n\n", mdCell(err.Error()))
		return
	}
	fmt.Fprintf(b, "## Training debrief\n\nScenario %s: **%d/100**.\n\n| | Point | Lost | Why |\n|---|---|---|---|\n", mdCell(d.Scenario), d.Score)
	for _, p := range d.Points {
		lost := ""
		if p.Lost > 0 {
			lost = fmt.Sprintf("−%d", p.Lost)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", p.Mark(), mdCell(p.Title), lost, mdCell(p.Detail))
	}
	b.WriteString("\n")
}
