package tui

import (
	"maps"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// View implements tea.Model: the whole screen, in the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "keyrunbook · " + m.State().Step.Title()
	return v
}

// render draws the screen as text; tests read it through ansi.Strip.
func (m Model) render() string {
	w, _ := m.screenSize()
	bw, bh := m.bodySize()
	f := m.frame()
	rule := m.sty.Rule.Render(strings.Repeat("─", w))

	body := fitBlock(m.body(f), bw, bh)
	list := m.stepList(bh)
	sep := m.sty.Rule.Render(" │ ")
	bodyLines := strings.Split(body, "\n")
	listLines := strings.Split(list, "\n")
	rows := make([]string, bh)
	for i := range rows {
		rows[i] = clip(listLines[i]+sep+bodyLines[i], w)
	}
	return strings.Join([]string{
		m.header(w), rule, strings.Join(rows, "\n"), rule, m.statusLine(w), m.helpLine(w),
	}, "\n")
}

func (m Model) frame() frame {
	w, h := m.bodySize()
	return frame{
		st:       m.State(),
		sty:      m.sty,
		w:        w,
		h:        h,
		now:      m.clock,
		spin:     m.spin.View(),
		training: m.opts.Training,
		lastPoll: m.lastPoll,
		logPath:  m.logPath(),
		calls:    m.calls,
		inflight: m.inflight,

		sweepWindow:  m.opts.SweepWindow,
		sweepStarted: m.sweepStarted,
		scan:         m.scan,
		stepCalls:    m.stepCalls,
		planned:      m.opts.Plan != nil,
	}
}

// body is the step view, under whatever dialog, notice or hint is open.
func (m Model) body(f frame) string {
	var top []string
	switch {
	case m.quitAsk:
		top = append(top, quitDialog(f, m.logPath()))
	case m.confirm.open:
		top = append(top, m.confirm.view(f))
	case m.trail.open:
		top = append(top, m.trail.view(f))
	case m.prompt.open:
		top = append(top, m.prompt.view(f))
	case m.showHelp:
		return m.sty.Title.Render("Keys") + "\n\n" + m.help.FullHelpView(m.fullHelp())
	}
	if m.narration != "" {
		top = append(top, m.narrationView(f.w))
	}
	if m.notice.text != "" {
		top = append(top, m.noticeView(f.w))
	}
	if m.showHint {
		top = append(top, m.hintView(f))
	}
	step := m.stepBody(f)
	if len(top) == 0 {
		return step
	}
	return strings.Join(top, "\n") + "\n" + step
}

func (m Model) noticeView(w int) string {
	style, mark := m.sty.Warning, "! "
	switch m.notice.kind {
	case noticeDanger:
		style, mark = m.sty.Danger, "✗ "
	case noticeInfo:
		style, mark = m.sty.Muted, "· "
	}
	return strings.Join(wrapParagraph(style, mark+m.notice.text, w, "  "), "\n")
}

func (m Model) hintView(f frame) string {
	text := m.opts.Training.Hints(f.st.Step)
	lines := []string{f.sty.Title.Render("Hint") + f.sty.Muted.Render(" (counted in the debrief · esc or h hides)")}
	lines = append(lines, wrapParagraph(plain, text, f.w-4, "")...)
	return f.sty.Dialog.Width(f.w).Render(strings.Join(lines, "\n"))
}

// stepBody is the current step's view, or the closing screen.
func (m Model) stepBody(f frame) string {
	if v, ok := m.stepViews()[f.st.Step]; ok {
		return v.View(f)
	}
	return closedView(f, m.abortedAt)
}

// statusLine shows what is in flight, with a spinner, or the last AWS call.
func (m Model) statusLine(w int) string {
	st := m.State()
	if m.waiting() {
		// What runs in this program, in the order it started; a resumed
		// incident's pending effects when nothing runs here.
		var names []string
		ids := slices.Sorted(maps.Keys(m.inflight))
		for _, id := range ids {
			names = append(names, describeEffect(m.inflight[id].EffectName()))
		}
		if len(names) == 0 {
			for _, n := range st.Effects.Pending {
				names = append(names, describeEffect(n))
			}
		}
		text := "waiting"
		if len(names) > 0 {
			text = strings.Join(dedupe(names), ", ")
		}
		return clip(m.sty.Current.Render(m.spin.View())+" "+text+"…", w)
	}
	if st.Effects.LastError != nil {
		next := " · r retry · A abort"
		if len(st.Effects.Failed) == 0 {
			next = " · A abort" // nothing to retry: a refused MFA code is typed anew
		}
		return clip(m.sty.Danger.Render("✗ "+describeEffect(st.Effects.LastError.Effect)+" failed")+m.sty.Muted.Render(next), w)
	}
	if n := len(m.calls); n > 0 {
		c := m.calls[n-1]
		text := "last call: " + c.Service + " " + c.Operation
		if c.WouldCall {
			text += " (would-call, not sent: dry-run)"
		}
		if c.Error != "" {
			text += " · error: " + redact(c.Error)
		}
		return clip(m.sty.Muted.Render(text), w)
	}
	return clip(m.sty.Muted.Render("ready"), w)
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]int{}
	for _, s := range ss {
		if i, ok := seen[s]; ok {
			out[i] = strings.TrimSuffix(out[i], " (several)") + " (several)"
			continue
		}
		seen[s] = len(out)
		out = append(out, s)
	}
	return out
}

// describeEffect names an effect by what the responder waits for.
func describeEffect(name string) string {
	switch name {
	case "IdentifyKey":
		return "identifying the key"
	case "SweepCloudTrail":
		return "sweeping CloudTrail"
	case "ProposeReplacements":
		return "building proposals"
	case "ApplyReplacement":
		return "creating a replacement"
	case "VerifyMove":
		return "checking a caller moved"
	case "DeactivateKey":
		return "deactivating the key"
	case "PollWatch":
		return "watching"
	case "ReactivateKey":
		return "reactivating the key"
	case "DeleteKey":
		return "deleting the key"
	case "ReadKeyStatus":
		return "reading the key's status again"
	case "CheckHardening":
		return "reading the hardening checklist"
	case "CleanUpResource":
		return "cleaning up"
	case "ProveProposal":
		return "proving a policy"
	case "ScanTrailSource":
		return "reading the trail"
	case "ObtainRootCredentials":
		return "signing in as root"
	case "RemoveContainmentSCP":
		return "removing the containment SCP"
	}
	return name
}

// stepKeys are the current step view's keys, for the help line.
func (m Model) stepKeys() []key.Binding {
	f := m.frame()
	if v, ok := m.stepViews()[f.st.Step]; ok {
		return v.KeyMap(f)
	}
	return nil
}

// liveKeys are the global keys, each enabled where it works on this
// step: the one place that decides it. onKey matches against them (a
// disabled binding matches nothing) and the help lists the enabled ones.
func (m Model) liveKeys() globalKeys {
	st := m.State()
	k := m.keys
	final := st.Step.Final()
	k.Retry.SetEnabled(len(st.Effects.Failed) > 0)
	k.Hint.SetEnabled(m.opts.Training != nil && !final)
	k.Leave.SetEnabled(final)
	k.Abort.SetEnabled(!final)
	return k
}

// globalBindings are the keys that work on this step besides its own, in
// the help's order; the help skips the disabled ones.
func (m Model) globalBindings() []key.Binding {
	k := m.liveKeys()
	return []key.Binding{k.Retry, k.Hint, k.Leave, k.Abort, k.Help, k.Quit}
}

func (m Model) helpLine(w int) string {
	var b []key.Binding
	switch {
	case m.quitAsk:
		b = []key.Binding{m.dkeys.Yes, m.dkeys.No}
	case m.confirm.open || m.prompt.open || m.trail.open:
		b = []key.Binding{m.dkeys.Confirm, m.dkeys.Cancel, m.keys.Quit}
	case m.showHelp:
		b = []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help"))}
	case m.typing():
		b = append(m.stepKeys(), m.keys.Quit)
	default:
		b = append(m.stepKeys(), m.globalBindings()...)
	}
	h := m.help
	h.SetWidth(w)
	return clip(h.ShortHelpView(b), w)
}

func (m Model) fullHelp() [][]key.Binding {
	return [][]key.Binding{m.stepKeys(), m.globalBindings(), {m.dkeys.Confirm, m.dkeys.Cancel}}
}
