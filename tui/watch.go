package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

var watchKeyMap = struct {
	Rollback, Restart key.Binding
}{
	Rollback: binding("R", "roll back", "R"),
	Restart:  binding("w", "restart the watch", "w"),
}

func watchKeys(f frame) []key.Binding {
	if f.st.Step != runbook.StepWatch {
		return nil
	}
	return append([]key.Binding{watchKeyMap.Rollback, watchKeyMap.Restart}, revokeKeys(f)...)
}

func watchUpdate(k tea.KeyPressMsg, f frame, c *cleanupList) intent {
	if f.st.Step != runbook.StepWatch {
		return intent{}
	}
	switch {
	case key.Matches(k, watchKeyMap.Rollback):
		return intent{prompt: rollbackPrompt(f.st)}
	case key.Matches(k, watchKeyMap.Restart):
		return intent{event: runbook.RestartWatch{}}
	}
	if it, ok := revokeUpdate(k, f); ok {
		return it
	}
	it, _ := c.update(k, f.st)
	return it
}

func rollbackPrompt(st runbook.State) *promptSpec {
	return &promptSpec{
		title: "Roll back: make the key active again",
		detail: []string{
			"Use it when a workload broke: the key becomes active again, you go back to Propose to fix the replacement, then deactivate again.",
			"Say what broke (it goes into the action log):",
		},
		placeholder: "what broke",
		build:       func(a string) runbook.Event { return runbook.RequestReactivate{Reason: a} },
	}
}

// watchView shows the watch window's timer and the signals that would
// call for a roll-back.
func watchView(f frame, c cleanupList) string {
	st, sty := f.st, f.sty
	if st.Step == runbook.StepReactivate {
		return strings.Join([]string{
			sty.Heading.Render("Watch") + sty.Warning.Render(" · rolling back"),
			f.spin + " Reactivating the key, then back to Propose to fix the replacement…",
		}, "\n") + "\n" + strings.Join(stepCallLines(f), "\n")
	}
	watched := st.Watch.Window - st.Watch.Remaining()
	title := fmt.Sprintf(" · %s of %s watched · %s left", shortDur(watched), shortDur(st.Watch.Window), shortDur(st.Watch.Remaining()))
	lines := []string{sty.Heading.Render("Watch") + sty.Muted.Render(title)}
	frac := 0.0
	if st.Watch.Window > 0 {
		frac = float64(watched) / float64(st.Watch.Window)
	}
	bar := newRegionBar()
	bar.SetWidth(max(f.w-2, 10))
	lines = append(lines, bar.ViewAs(frac))
	reading := "deactivated " + clock(st.Contain.DeactivatedAt) + " · no reading yet"
	if !st.Watch.Last.IsZero() && st.Watch.Last != st.Watch.Start {
		reading = "last reading " + clock(st.Watch.Last)
	}
	if !f.lastPoll.IsZero() {
		// Time since the reading on the run's clock, which shows the watch
		// is alive between readings. The screen's clock may lag the
		// reading's (training's clock jumps ahead while it waits): never
		// say "-60s ago".
		reading += ", " + sinceReading(f.now.Sub(f.lastPoll))
	}
	if f.training != nil && f.training.ClockSpeed != "" {
		reading += " · " + f.training.ClockSpeed
	}
	switch {
	case st.Effects.LastError != nil:
		lines = append(lines, errorLines(f, st.Effects.LastError)...)
	case st.Watch.Ended:
		lines = append(lines, sty.Warning.Render("The window has passed; the watch stopped. ")+sty.Muted.Render(reading))
	default:
		lines = append(lines, f.spin+" "+sty.Muted.Render(reading))
	}
	if st.Mode == runbook.ModeDryRun {
		lines = append(lines, wrapParagraph(sty.Warning, "DRY-RUN: the key was not turned off, so there is nothing to watch: this is a rehearsal of the "+shortDur(st.Watch.Window)+" a live run watches.", f.w, "")...)
	}

	lines = append(lines, sty.Title.Render("Signals"))
	lines = append(lines, useLines(f)...)
	denied := make([]string, len(st.Watch.Denied))
	for i, d := range st.Watch.Denied {
		denied[i] = d.Principal + " denied " + d.Action
	}
	lines = append(lines, readSignal(f, "replacements denied", "replacements denied", len(st.Watch.Denied) == 0, strings.Join(denied, "; "))...)
	lines = append(lines, readSignal(f, "alarms in ALARM", "alarms", len(st.Watch.Alarms) == 0, strings.Join(st.Watch.Alarms, ", "))...)
	if f.training != nil || len(st.Watch.Unhealthy) > 0 {
		lines = append(lines, signal(f, "workloads unhealthy", len(st.Watch.Unhealthy) == 0, strings.Join(st.Watch.Unhealthy, ", "))...)
	}
	lines = append(lines, watchAdvice(f)...)
	lines = append(lines, mintedLines(f)...)
	return c.under(f, append(lines, ""), 0)
}

func sinceReading(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return shortDur(d) + " ago"
}

// useLines shows each use of the key since the watch began with who made
// it, and what it means: the attacker failing is containment working.
func useLines(f frame) []string {
	st, sty := f.st, f.sty
	if pollFailed(st) {
		// The key's use could not be read: the last good reading's quiet
		// is no answer now (the error above says what is missing).
		return signal(f, "use of the leaked key", false, "")
	}
	if len(st.Watch.Uses) == 0 {
		return signal(f, "use of the leaked key", st.Watch.KeyUses == 0, fmt.Sprintf("%d event(s) since deactivation, caller not named", st.Watch.KeyUses))
	}
	lines := []string{sty.Danger.Render("  ✗ ") + fmt.Sprintf("%-24s", "use of the leaked key") + fmt.Sprintf("%d event(s) since deactivation", st.Watch.KeyUses)}
	if len(st.Watch.Contained()) == len(st.Watch.Uses) {
		lines[0] = sty.OK.Render("  ✓ ") + fmt.Sprintf("%-24s", "use of the leaked key") + fmt.Sprintf("%d failed, none of yours", st.Watch.KeyUses)
	}
	for _, u := range st.Watch.Uses {
		mark, style := "    ✗ ", sty.Danger
		if u.Contained() {
			mark, style = "    · ", sty.OK
		}
		lines = append(lines, wrapAfterPrefix(style.Render(mark), u.Who()+": "+u.What(), plain, f.w, "      ")...)
		lines = append(lines, wrapAfterPrefix("      ", u.Advice(), sty.Muted, f.w, "      ")...)
	}
	return lines
}

// readSignal is signal for a signal that may not have been read: an
// unread one shows as unknown with its reason, never as "none".
func readSignal(f frame, name, signalName string, quiet bool, detail string) []string {
	var unread []string
	for _, u := range f.st.Watch.Unread {
		if u.Signal == signalName {
			unread = append(unread, u.Text())
		}
	}
	if len(unread) == 0 || pollFailed(f.st) {
		return signal(f, name, quiet, detail)
	}
	lines := wrapAfterPrefix(f.sty.Warning.Render("  ? "+fmt.Sprintf("%-24s", name)), strings.Join(unread, "; "), plain, f.w, strings.Repeat(" ", 28))
	if !quiet {
		lines = append(lines, wrapAfterPrefix(strings.Repeat(" ", 28), "and where it was read: "+detail, plain, f.w, strings.Repeat(" ", 28))...)
	}
	return lines
}

// watchAdvice says what to do: what still blocks the deletion once the
// window has passed, roll back while a workload is failing, keep the key
// off while only the attacker fails.
func watchAdvice(f frame) []string {
	st, sty := f.st, f.sty
	switch {
	case pollFailed(st):
		return nil // the error says what to do; nothing is known to advise on
	case st.Watch.Ended:
		lines := wrapParagraph(sty.Danger, "The window passed, but the key cannot be deleted yet. What blocks it, and what to do:", f.w, "")
		for _, b := range st.Watch.Blockers() {
			lines = append(lines, wrapAfterPrefix(sty.Danger.Render("  • "), b.What, plain, f.w, "    ")...)
			lines = append(lines, wrapAfterPrefix("    → ", b.Do, sty.Muted, f.w, "      ")...)
		}
		return lines
	case st.Watch.Impact():
		return wrapParagraph(sty.Danger, "Something you run is affected: R rolls back (the key becomes active again) so you can fix the replacement; w restarts the watch after a fix.", f.w, "")
	case len(st.Watch.Unread) > 0:
		return wrapParagraph(sty.Warning, "Some signals are unknown: the window cannot pass until they are read. Grant what is missing, then w restarts the watch.", f.w, "")
	case len(st.Watch.Contained()) > 0:
		return wrapParagraph(sty.OK, "Only the attacker uses the key, and fails: containment works. Keep the key off; do not roll back.", f.w, "")
	}
	if lag := watchLagLines(f); lag != nil {
		return lag
	}
	return wrapParagraph(sty.Muted, "Quiet so far. The delete step opens when the window passes with no signal.", f.w, "")
}

// pollFailed reports whether the last reading failed: every signal is then
// unknown, whatever the reading before it said.
func pollFailed(st runbook.State) bool {
	return st.Effects.LastError != nil && st.Effects.LastError.Effect == "PollWatch"
}

// signal renders one watch signal: ✓ when quiet, ✗ and the detail when not,
// ? when the last reading failed.
func signal(f frame, name string, quiet bool, detail string) []string {
	sty := f.sty
	if pollFailed(f.st) {
		return []string{sty.Warning.Render("  ? "+fmt.Sprintf("%-24s", name)) + "unknown: the reading failed"}
	}
	if quiet {
		return []string{sty.OK.Render("  ✓ ") + fmt.Sprintf("%-24s", name) + sty.Muted.Render("none")}
	}
	return wrapAfterPrefix(sty.Danger.Render("  ✗ "+fmt.Sprintf("%-24s", name)), detail, plain, f.w, strings.Repeat(" ", 28))
}
