package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Demo plays a model response in the TUI (keyrunbook train --demo): Next
// is asked for the next move whenever nothing runs, and its reason is
// shown above the step as the narration. Next returns done when the
// incident is over, and a nil event to wait.
type Demo struct {
	Next func(st runbook.State) (why string, ev runbook.Event, done bool)
	// Pace is the real time between two moves, for a reader to follow.
	Pace time.Duration
}

// demoMsg asks the demo for its next move.
type demoMsg struct{}

// demoRetry is how soon the demo looks again while effects run.
const demoRetry = 300 * time.Millisecond

func (m Model) demoAfter(d time.Duration) tea.Cmd {
	if m.opts.Demo == nil {
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return demoMsg{} })
}

// onDemo makes the demo's next move once nothing is running or asked of
// the responder: the move's reason becomes the narration, its event goes
// to the machine as a confirmed key press would.
func (m Model) onDemo() (tea.Model, tea.Cmd) {
	if m.waiting() || m.confirm.open || m.prompt.open || m.trail.open || m.quitAsk || m.left {
		return m, m.demoAfter(demoRetry)
	}
	why, ev, done := m.opts.Demo.Next(m.State())
	if done {
		m.narration = "The model response is over: q quits, and the debrief follows."
		return m, nil
	}
	if ev == nil {
		return m, m.demoAfter(demoRetry)
	}
	m.narration = why
	next, cmd := m.submit(ev)
	nm := next.(Model)
	return nm, tea.Batch(cmd, nm.demoAfter(m.opts.Demo.Pace))
}

// narrationView is the demo's last reason, above the step.
func (m Model) narrationView(w int) string {
	return strings.Join(wrapParagraph(m.sty.Title, "▶ "+m.narration, w, "  "), "\n")
}
