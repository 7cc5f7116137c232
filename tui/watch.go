package tui

import (
	"fmt"
	"strings"

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
		}, "\n") + "\n" + strings.Join(hang("  ", plannedCalls(runbook.ReactivateKey{KeyTarget: keyTarget(st)})[0].String(), sty.Call, f.w, "    "), "\n")
	}
	watched := st.WatchWindow - st.WatchRemaining()
	title := fmt.Sprintf(" · %s of %s watched · %s left", shortDur(watched), shortDur(st.WatchWindow), shortDur(st.WatchRemaining()))
	lines := []string{sty.Heading.Render("Watch") + sty.Muted.Render(title)}
	frac := 0.0
	if st.WatchWindow > 0 {
		frac = float64(watched) / float64(st.WatchWindow)
	}
	bar := newRegionBar()
	bar.SetWidth(max(f.w-2, 10))
	lines = append(lines, bar.ViewAs(frac))
	reading := "deactivated " + clock(st.DeactivatedAt) + " · no reading yet"
	if !st.WatchLast.IsZero() && st.WatchLast != st.WatchStart {
		reading = "last reading " + clock(st.WatchLast)
	}
	if !f.lastPoll.IsZero() {
		// Wall-clock time since the reading: a live count that shows the
		// watch is alive between readings.
		reading += fmt.Sprintf(", %s ago", shortDur(f.now.Sub(f.lastPoll)))
	}
	if f.training != nil && f.training.ClockSpeed != "" {
		reading += " · " + f.training.ClockSpeed
	}
	if st.LastError != nil {
		lines = append(lines, errorLines(f, st.LastError)...)
	} else {
		lines = append(lines, f.spin+" "+sty.Muted.Render(reading))
	}

	lines = append(lines, sty.Title.Render("Signals"))
	lines = append(lines, signal(f, "use of the leaked key", st.KeyUses == 0, fmt.Sprintf("%d event(s) since deactivation: a caller still uses it", st.KeyUses))...)
	denied := make([]string, len(st.Denied))
	for i, d := range st.Denied {
		denied[i] = d.Principal + " denied " + d.Action
	}
	lines = append(lines, signal(f, "replacements denied", len(st.Denied) == 0, strings.Join(denied, "; "))...)
	lines = append(lines, signal(f, "alarms in ALARM", len(st.Alarms) == 0, strings.Join(st.Alarms, ", "))...)
	if f.training != nil || len(st.Unhealthy) > 0 {
		lines = append(lines, signal(f, "workloads unhealthy", len(st.Unhealthy) == 0, strings.Join(st.Unhealthy, ", "))...)
	}
	if st.Impact() {
		lines = append(lines, para(sty.Danger, "Something is affected. R rolls back (the key becomes active again) so you can fix the replacement; w restarts the watch after a fix.", f.w, "")...)
	} else if lag := watchLagLines(f); lag != nil {
		lines = append(lines, lag...)
	} else {
		lines = append(lines, para(sty.Muted, "Quiet so far. The delete step opens when the window passes with no signal.", f.w, "")...)
	}
	lines = append(lines, mintedLines(f)...)
	return c.under(f, append(lines, ""), 0)
}

// signal renders one watch signal: ✓ when quiet, ✗ and the detail when not.
func signal(f frame, name string, quiet bool, detail string) []string {
	sty := f.sty
	if quiet && watchReadFailed(f.st) {
		return []string{sty.Warning.Render("  ? ") + fmt.Sprintf("%-24s", name) + sty.Muted.Render("unknown: the reading failed")}
	}
	if quiet {
		return []string{sty.OK.Render("  ✓ ") + fmt.Sprintf("%-24s", name) + sty.Muted.Render("none")}
	}
	return hang(sty.Danger.Render("  ✗ "+fmt.Sprintf("%-24s", name)), detail, plain, f.w, strings.Repeat(" ", 28))
}
