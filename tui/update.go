package tui

import (
	"errors"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// intent is what a step view asks the root model to do after a key.
type intent struct {
	// event goes to the machine: previewed first, and held for confirmation
	// when its effects change the account.
	event runbook.Event
	// confirmed marks an event whose view already showed the calls and took
	// the responder's typed confirmation (the delete step's last four).
	confirmed bool
	// prompt asks for a line of text that builds the event.
	prompt *promptSpec
	// note is shown in place without going to the machine.
	note string
	// cmd runs outside the machine (the editor for a policy).
	cmd tea.Cmd
}

// Update implements tea.Model. Whatever moved the machine, a step that
// shows a change's calls has them read (planStep).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	nm, ok := next.(Model)
	if !ok {
		return next, cmd
	}
	if plan := nm.planStep(); plan != nil {
		return nm, tea.Batch(cmd, plan)
	}
	return nm, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.restyle(newStyles(msg.IsDark(), m.noColor()))
		return m, nil
	case tea.ColorProfileMsg:
		m.profile = msg.Profile
		m.restyle(newStyles(m.sty.isDark, m.noColor()))
		return m, nil
	case clockMsg:
		m.clock = m.opts.Now()
		return m, m.tick()
	case spinner.TickMsg:
		if !m.waiting() {
			m.spinning = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case effectMsg:
		return m.onEffect(msg)
	case demoMsg:
		return m.onDemo()
	case secretSavedMsg:
		return m.onSecretSaved(msg)
	case policyEditedMsg:
		return m.onPolicyEdited(msg)
	case exportedMsg:
		return m.onExported(msg)
	case plannedMsg:
		return m.onPlanned(msg)
	case stepPlannedMsg:
		return m.onStepPlanned(msg)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	// Pastes and other input go to whichever text field has the keyboard.
	return m.toField(msg)
}

func (m Model) noColor() bool {
	return m.profile == colorprofile.Ascii || m.profile == colorprofile.NoTTY
}

func (m *Model) restyle(s styles) {
	m.sty = s
	m.help.Styles = s.Help
	m.intake.input.SetStyles(s.inputStyles())
	m.remove.input.SetStyles(s.inputStyles())
	m.investigate.restyle(s)
}

func (m Model) onKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(k, m.keys.Quit) {
		return m.onQuit()
	}
	switch {
	case m.quitAsk:
		switch {
		case key.Matches(k, m.dkeys.Yes):
			return m.leave()
		case key.Matches(k, m.dkeys.No):
			m.quitAsk = false
		}
		return m, nil
	case m.confirm.open:
		c, ok, cmd := m.confirm.update(k, m.dkeys)
		ev := m.confirm.event
		m.confirm = c
		if ok {
			return m.submit(ev)
		}
		return m, cmd
	case m.trail.open:
		c, ok := m.trail.update(k, m.dkeys)
		ev := m.trail.event
		m.trail = c
		if ok {
			m.scan = runbook.TrailScanStats{}
			return m.submit(ev)
		}
		return m, nil
	case m.prompt.open:
		p, ev, cmd := m.prompt.update(k, m.dkeys)
		m.prompt = p
		if ev != nil {
			return m.offer(ev)
		}
		return m, cmd
	case m.showHelp:
		if key.Matches(k, m.keys.Help, m.dkeys.Cancel) {
			m.showHelp = false
		}
		return m, nil
	}

	m.notice = notice{}
	st := m.State()
	if !m.typing() {
		// A disabled binding matches no key: which are live is decided
		// once, in liveKeys, which the help line reads too.
		live := m.liveKeys()
		switch {
		case key.Matches(k, live.Help):
			m.showHelp = true
			return m, nil
		case key.Matches(k, live.Leave):
			return m.leave()
		case key.Matches(k, live.Abort):
			return m.follow(intent{prompt: abortPrompt(st)})
		case key.Matches(k, live.Retry):
			return m.offer(runbook.Retry{})
		case key.Matches(k, live.Hint):
			return m.toggleHint(st)
		case key.Matches(k, m.dkeys.Cancel) && m.showHint:
			m.showHint = false
			return m, nil
		}
	}
	it, cmd := m.updateStep(k)
	m2, cmd2 := m.follow(it)
	return m2, tea.Batch(cmd, cmd2)
}

func abortPrompt(st runbook.State) *promptSpec {
	status := string(st.Intake.Key.Status)
	if status == "" {
		status = "as it is"
	}
	return &promptSpec{
		title: "Abort the incident",
		detail: []string{
			"Nothing is undone: the key stays " + status + ".",
			"Say why: the reason goes into the action log.",
		},
		placeholder: "reason",
		build:       func(a string) runbook.Event { return runbook.Abort{Reason: a} },
	}
}

func (m Model) toggleHint(st runbook.State) (tea.Model, tea.Cmd) {
	if m.showHint {
		m.showHint = false
		return m, nil
	}
	t := m.opts.Training
	if t.Hints == nil || t.Hints(st.Step) == "" {
		m.notice = notice{text: "No hint for this step.", kind: noticeInfo}
		return m, nil
	}
	m.showHint = true
	m.hintsUsed++
	return m, nil
}

// updateStep hands a key to the current step's view.
func (m *Model) updateStep(k tea.KeyPressMsg) (intent, tea.Cmd) {
	f := m.frame()
	f.now = m.opts.Now()
	if v, ok := m.stepViews()[f.st.Step]; ok {
		return v.Update(k, f)
	}
	return intent{}, nil
}

// typing reports whether a text field has the keyboard, which turns the
// single-letter keys off.
func (m Model) typing() bool {
	switch m.State().Step {
	case runbook.StepIntake:
		return m.intake.focused()
	case runbook.StepDelete:
		return m.remove.input.Focused()
	}
	return false
}

func (m Model) toField(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch {
	case m.confirm.open && m.confirm.typed:
		m.confirm.input, cmd = m.confirm.input.Update(msg)
	case m.prompt.open:
		m.prompt.input, cmd = m.prompt.input.Update(msg)
	case m.State().Step == runbook.StepIntake:
		m.intake, cmd = m.intake.updateField(msg)
	case m.State().Step == runbook.StepDelete:
		m.remove.input, cmd = m.remove.input.Update(msg)
	}
	return m, cmd
}

func (m Model) follow(it intent) (tea.Model, tea.Cmd) {
	switch {
	case it.prompt != nil:
		w, _ := m.bodySize()
		var cmd tea.Cmd
		m.prompt, cmd = openPrompt(*it.prompt, m.sty, w)
		return m, cmd
	case it.event != nil && it.confirmed:
		return m.submit(it.event)
	case it.event != nil:
		return m.offer(it.event)
	case it.note != "":
		m.notice = notice{text: it.note, kind: noticeWarn}
	}
	return m, it.cmd
}

// offer previews ev on a copy of the machine. An event whose effects
// change the account is held in a confirmation showing their calls; any
// other goes straight to the engine (a refused one too: the engine
// journals the attempt, and its reason is shown in place).
func (m Model) offer(ev runbook.Event) (tea.Model, tea.Cmd) {
	effects, err := m.engine.Machine().Clone().Apply(ev)
	if add, ok := ev.(runbook.AddTrailSource); ok && err == nil {
		// Reading changes nothing, but an Athena query costs money and
		// the responder sees its SQL first (issue 10).
		m.trail = openTrailConfirm(add)
		return m, nil
	}
	if err == nil && mutating(effects) {
		w, _ := m.bodySize()
		var cmd tea.Cmd
		m.confirm, cmd = openConfirmation(ev, effects, m.sty, w, m.opts.Plan != nil)
		m.confirmSerial++
		m.confirm.serial = m.confirmSerial
		if m.confirm.planning > 0 {
			cmd = tea.Batch(cmd, planCmds(m.ctx, m.opts.Plan, m.confirmSerial, effects))
			if !m.spinning && m.animate {
				m.spinning = true
				cmd = tea.Batch(cmd, m.spin.Tick)
			}
		}
		return m, cmd
	}
	return m.submit(ev)
}

func mutating(effects []runbook.Effect) bool {
	for _, e := range effects {
		if e.Mutates() {
			return true
		}
	}
	return false
}

// submit sends ev through the engine, which journals it, and starts the
// effects it returns.
func (m Model) submit(ev runbook.Event) (tea.Model, tea.Cmd) {
	before := m.State().Step
	effects, err := m.engine.Submit(ev)
	var refusal *runbook.Refusal
	switch {
	case errors.As(err, &refusal):
		m.notice = notice{text: refusal.Reason, kind: noticeWarn}
		return m, nil
	case err != nil:
		m.notice = notice{text: "Nothing was run: the action log could not be written (" + redact(err.Error()) +
			"). Free disk space or fix the log's permissions, then press the key again.", kind: noticeDanger}
		return m, nil
	}
	if _, ok := ev.(runbook.Abort); ok {
		m.abortedAt = before
	}
	if _, ok := ev.(runbook.ApplyProposals); ok && len(effects) == 0 && !anyApplied(m.State().Propose.Proposals) {
		// Nothing created, now or before: an empty Replace step would only
		// ask for another enter. Going on is journaled as
		// the responder's own step, and refused there if anything is open.
		m.sync()
		return m.submit(runbook.ProceedToDeactivate{})
	}
	cmd := tea.Batch(m.start(effects), m.exportAfter(ev))
	// What the responder just did shows at the top of the step.
	m.cleanup.top = 0
	m.sync()
	return m, cmd
}

func (m Model) onQuit() (tea.Model, tea.Cmd) {
	st := m.State()
	if m.quitAsk || st.Step.Final() || st.KeyID == "" {
		return m.leave()
	}
	m.quitAsk = true
	return m, nil
}

func (m Model) leave() (tea.Model, tea.Cmd) {
	m.quitAsk = false
	m.left = !m.State().Step.Final()
	m.cancel()
	return m, tea.Quit
}

// layout sizes the views for the current screen.
func (m *Model) layout() {
	w, h := m.bodySize()
	sw, _ := m.screenSize()
	m.help.SetWidth(sw)
	m.intake.setWidth(w)
	m.investigate.setSize(w, h)
	m.propose.setSize(w, h)
	m.remove.input.SetWidth(8)
}

// sync refreshes the views that keep derived data (sorted rows, the policy
// viewport) from the machine's state, after anything changed it.
func (m *Model) sync() {
	st := m.State()
	m.investigate.sync(st)
	m.propose.sync(st)
	m.cleanup.clamp(st)
	m.harden.clamp(st)
	switch {
	case st.Step == runbook.StepDelete && !m.remove.armed:
		m.remove.arm()
	case st.Step != runbook.StepDelete:
		// Coming back to Delete after a roll-back arms the field again.
		m.remove.armed = false
	}
}

// redact keeps anything shaped like a secret out of what the screen shows,
// by the one rule the journal and the report use.
func redact(s string) string { return runbook.RedactString(s) }
