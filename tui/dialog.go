package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// promptSpec asks the responder for a line of text (an abort reason, an
// override, a new name) and builds the event from the answer.
type promptSpec struct {
	title       string
	detail      []string
	placeholder string
	value       string
	// build returns the event for the answer; "" keeps the prompt open with
	// a word on what is missing, since every reason here goes into the log.
	build func(answer string) runbook.Event
	// parse, when set, replaces build for answers that can be wrong (a
	// trail source): an error keeps the prompt open and is shown in it.
	parse func(answer string) (runbook.Event, error)
}

// prompt is an open promptSpec with its text field.
type prompt struct {
	open  bool
	spec  promptSpec
	input textinput.Model
	err   string // why the last answer was not taken
}

func openPrompt(spec promptSpec, sty styles, width int) (prompt, tea.Cmd) {
	in := textinput.New()
	in.SetStyles(sty.inputStyles())
	in.Prompt = "> "
	in.Placeholder = spec.placeholder
	in.CharLimit = 500
	in.SetWidth(max(width-8, 10))
	in.SetValue(spec.value)
	cmd := in.Focus()
	return prompt{open: true, spec: spec, input: in}, cmd
}

// update handles a message while the prompt is open. It returns the event
// when the responder confirmed an answer, and whether the prompt closed.
func (p prompt) update(msg tea.Msg, dk dialogKeys) (prompt, runbook.Event, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, dk.Cancel):
			return prompt{}, nil, nil
		case key.Matches(k, dk.Confirm):
			answer := strings.TrimSpace(p.input.Value())
			if answer == "" {
				return p, nil, nil
			}
			if p.spec.parse != nil {
				ev, err := p.spec.parse(answer)
				if err != nil {
					p.err = redact(err.Error())
					return p, nil, nil
				}
				return prompt{}, ev, nil
			}
			return prompt{}, p.spec.build(answer), nil
		}
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return p, nil, cmd
}

func (p prompt) view(f frame) string {
	lines := []string{f.sty.Title.Render(p.spec.title)}
	for _, d := range p.spec.detail {
		lines = append(lines, wrapParagraph(plain, d, f.w-4, "")...)
	}
	lines = append(lines, "", p.input.View())
	if p.err != "" {
		lines = append(lines, wrapParagraph(f.sty.Danger, "✗ "+p.err, f.w-4, "  ")...)
	}
	lines = append(lines, "", f.sty.Muted.Render("enter confirm · esc cancel"))
	return f.sty.Dialog.Width(f.w).Render(strings.Join(lines, "\n"))
}

// confirmation holds a user event whose effects change the account: it
// shows the exact calls they make, and submits the event only on an
// explicit key. For a destructive change Enter alone is not enough: the
// responder types "yes".
type confirmation struct {
	open    bool
	title   string
	event   runbook.Event
	effects []runbook.Effect
	typed   bool // destructive: needs "yes" typed
	input   textinput.Model

	lineScroll // over the calls, when they do not fit
	// calls are each effect's calls: the TUI's own list, or what the
	// account was read for (Options.Plan), filled in as plans arrive.
	calls [][]plannedCall
	// planning counts the effects whose calls are still being read; the
	// go-ahead waits for them, so nothing runs that was not shown.
	planning int
	planErrs []string
	// serial tells this confirmation's plans from a closed one's.
	serial int
}

// confirmWord is what a destructive change needs typed.
const confirmWord = "yes"

// openConfirmation holds ev; when canPlan, each mutating effect has its
// calls read from the account (planned messages fill them in).
func openConfirmation(ev runbook.Event, effects []runbook.Effect, sty styles, width int, canPlan bool) (confirmation, tea.Cmd) {
	c := confirmation{open: true, event: ev, effects: effects, title: confirmTitle(ev), calls: make([][]plannedCall, len(effects))}
	for i, e := range effects {
		if destructive(e) {
			c.typed = true
		}
		switch {
		case !e.Mutates():
		case canPlan:
			c.planning++
		default:
			c.calls[i] = unplanned(e)
		}
	}
	c.measure(width)
	if !c.typed {
		return c, nil
	}
	c.input = textinput.New()
	c.input.SetStyles(sty.inputStyles())
	c.input.Prompt = "type " + confirmWord + ": "
	c.input.CharLimit = 8
	c.input.SetWidth(len(confirmWord) + 1)
	return c, c.input.Focus()
}

// measure bounds the calls' height for scrolling: generous, since a call
// wraps over a few lines and its note over more.
func (c *confirmation) measure(width int) {
	c.lines = 0
	for _, calls := range c.calls {
		for _, call := range calls {
			c.lines += 2 + len(call.String())/max(width-8, 16) + len(call.Note)/max(width-8, 16)
		}
	}
}

func confirmTitle(ev runbook.Event) string {
	switch ev.(type) {
	case runbook.ApplyProposals:
		return "Create the replacements"
	case runbook.ConfirmDeactivate:
		return "Deactivate the leaked key"
	case runbook.RequestReactivate:
		return "Roll back: make the key active again"
	case runbook.ConfirmDelete:
		return "Delete the leaked key"
	case runbook.CleanUp:
		return "Remove what the attacker created"
	case runbook.RevokeSessions:
		return "Revoke the sessions the key minted"
	case runbook.ReleaseContainmentSCP:
		return "Remove the SCP that contained the root key"
	case runbook.Retry:
		return "Run the failed change again"
	}
	return "Confirm " + ev.EventName()
}

// update returns confirmed=true when the responder gave the go-ahead, and
// the confirmation closed (open=false) when they confirmed or cancelled.
func (c confirmation) update(msg tea.Msg, dk dialogKeys) (confirmation, bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, dk.Cancel):
			return confirmation{}, false, nil
		case key.Matches(k, dk.Confirm):
			if c.planning > 0 {
				return c, false, nil // not every call is on screen yet
			}
			if c.typed && strings.TrimSpace(strings.ToLower(c.input.Value())) != confirmWord {
				return c, false, nil
			}
			return confirmation{}, true, nil
		case c.scroll(k, dk):
			return c, false, nil
		}
	}
	if !c.typed {
		return c, false, nil
	}
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	return c, false, cmd
}

func (c confirmation) view(f frame) string {
	inner := max(f.w-4, 16) // the box's border and padding
	head := []string{f.sty.Title.Render(c.title)}
	switch f.st.Mode {
	case runbook.ModeDryRun:
		head = append(head, f.sty.Warning.Render("DRY-RUN: journaled as would-call, not sent to AWS"))
	case runbook.ModeTraining:
		head = append(head, f.sty.Muted.Render("Training: sent to the simulated account"))
	}
	if c.typed {
		head = append(head, c.input.View()+f.sty.Muted.Render("  then enter · esc cancel"))
	} else {
		head = append(head, f.sty.Muted.Render("enter runs these calls · esc cancel"))
	}
	if c.planning > 0 {
		head = append(head, f.spin+" reading the account for the exact calls…")
	}
	for _, e := range c.planErrs {
		head = append(head, wrapAfterPrefix(f.sty.Danger.Render("✗ "), "could not read every call: "+redact(e), plain, inner, "  ")...)
	}
	var calls []string
	n := 0
	for _, effectCalls := range c.calls {
		for _, call := range effectCalls {
			n++
			calls = append(calls, wrapAfterPrefix(f.sty.Call.Render("• "), call.String(), plain, inner, "    ")...)
			if call.Note != "" {
				calls = append(calls, wrapAfterPrefix("  ", call.Note, f.sty.Muted, inner, "    ")...)
			}
		}
	}
	// Many replacements make a long list: it scrolls, and says so, rather
	// than hiding a call the responder is about to approve.
	room := max(f.h-2-len(head)-1, 3)
	label := callsLabel(n, f.st.Mode)
	lines := append(head, label)
	lines = append(lines, c.window(calls, room, f.sty)...)
	return f.sty.Dialog.Width(f.w).Render(strings.Join(lines, "\n"))
}

// destructive reports whether an effect needs more than Enter to run: the
// ones that turn the key off or remove it.
func destructive(e runbook.Effect) bool {
	switch e.(type) {
	case runbook.DeactivateKey, runbook.DeleteKey:
		return true
	}
	return false
}

// quitDialog asks before leaving an incident that is not finished.
func quitDialog(f frame, logPath string) string {
	lines := []string{
		f.sty.Title.Render("Leave this incident?"),
		"It stays open at step " + f.st.Step.Title() + ": nothing is undone.",
		"Resume it later with:",
		"  keyrunbook resume " + logPath,
		"",
		f.sty.Muted.Render("y leave · n stay"),
	}
	return f.sty.Dialog.Width(f.w).Render(strings.Join(lines, "\n"))
}
