package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// harness drives the root model without a program: it sends a message,
// runs every command that follows to completion (the scripted executor
// answers at once; animation is off, so no command waits on a timer) and
// feeds their messages back, as Bubble Tea would.
type harness struct {
	t    testing.TB
	m    Model
	x    *script
	path string
	quit bool
	// hold keeps the results of the named effects back until release, as
	// a slow AWS call would: the screen can be read while they "run".
	hold map[string]bool
	held []effectMsg
}

func newHarness(t testing.TB, mode runbook.Mode, opts ...func(*Options)) *harness {
	t.Helper()
	en, path := newEngine(t, mode)
	x := newScript()
	o := Options{Engine: en, Executor: x, LogPath: path, Now: fixedNow, Plan: x.plan}
	if mode == runbook.ModeTraining {
		o.Training = training()
	}
	for _, f := range opts {
		f(&o)
	}
	m := New(o)
	m.animate = false
	h := &harness{t: t, m: m, x: x, path: path, hold: map[string]bool{}}
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return h
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	next, cmd := h.m.Update(msg)
	h.m = next.(Model)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			h.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			h.quit = true
		case effectMsg:
			if msg.final && h.hold[msg.effect.EffectName()] {
				h.held = append(h.held, msg)
				continue
			}
			next, more := h.m.Update(msg)
			h.m = next.(Model)
			queue = append(queue, more)
		default:
			next, more := h.m.Update(msg)
			h.m = next.(Model)
			queue = append(queue, more)
		}
	}
}

// release delivers the oldest held result of the named effect.
func (h *harness) release(name string) {
	h.t.Helper()
	for i, msg := range h.held {
		if msg.effect.EffectName() == name {
			h.held = append(h.held[:i:i], h.held[i+1:]...)
			h.send(msg)
			return
		}
	}
	h.t.Fatalf("no held result of %s", name)
}

// press sends keys by name: "enter", "esc", "ctrl+c", "up", or one
// character.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

// typeText types each character of s.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the frame as the terminal shows it, without styling.
func (h *harness) screen() string {
	return ansi.Strip(h.m.View().Content)
}

func (h *harness) step() runbook.Step { return h.m.State().Step }

func (h *harness) wantStep(s runbook.Step) {
	h.t.Helper()
	if got := h.step(); got != s {
		h.t.Fatalf("step = %s, want %s; screen:\n%s", got, s, h.screen())
	}
}

func (h *harness) wantScreen(subs ...string) {
	h.t.Helper()
	scr := h.screen()
	for _, s := range subs {
		if !strings.Contains(scr, s) {
			h.t.Fatalf("screen lacks %q:\n%s", s, scr)
		}
	}
}

// Steps along the ordinary path, each from the one before.

func (h *harness) toIdentified() {
	h.t.Helper()
	h.typeText(testKey)
	h.press("enter")
	h.wantStep(runbook.StepIdentify)
}

func (h *harness) toInvestigated() {
	h.t.Helper()
	h.toIdentified()
	h.press("enter")
	h.wantStep(runbook.StepInvestigate)
}

func (h *harness) toProposed() {
	h.t.Helper()
	h.toInvestigated()
	h.press("enter")
	h.wantStep(runbook.StepPropose)
}

func (h *harness) toReplaced() {
	h.t.Helper()
	h.toProposed()
	h.press("a", "down", "a", "enter") // decide both, then create
	h.wantScreen("Create the replacements", "iam CreateRole")
	h.press("enter")
	h.wantStep(runbook.StepReplace)
	h.press("v")
}

func (h *harness) toDeactivate() {
	h.t.Helper()
	h.toReplaced()
	h.press("enter")
	h.wantStep(runbook.StepDeactivate)
}

func (h *harness) toDelete() {
	h.t.Helper()
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepDelete)
}

func (h *harness) toHarden() {
	h.t.Helper()
	h.toDelete()
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepHarden)
}
