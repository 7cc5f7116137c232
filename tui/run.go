package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// effectMsg carries one event out of a running effect: a progress event or
// an APICall note while it runs (next waits for the one after), or its
// result (final, no next).
type effectMsg struct {
	id     int
	effect runbook.Effect
	event  runbook.Event
	final  bool
	next   tea.Cmd
	// noted says an APICall was journaled as it was made; noteErr is why
	// it could not be.
	noted   bool
	noteErr error
}

// streamItem is what an effect's goroutine passes to the TUI.
type streamItem struct {
	event runbook.Event
	final bool
	// noted says the effect's goroutine journaled this APICall itself,
	// before the call was sent; noteErr is why that failed.
	noted   bool
	noteErr error
}

// callNoter journals an AWS call before it is sent (runbook.Engine).
type callNoter func(runbook.APICall) error

// runEffect returns the command that carries e out with x. The effect's
// goroutine starts when the command runs (creating the command does
// nothing), streams what it emits through a channel, and ends with the
// result. Each message brings the command that waits for the next one, so
// Bubble Tea reads the stream one message at a time, in order.
func runEffect(ctx context.Context, x runbook.Executor, id int, e runbook.Effect, note callNoter) tea.Cmd {
	return func() tea.Msg {
		// The buffer lets a chatty sweep run ahead of the screen a little;
		// beyond it, emit waits for the TUI, or for ctx when it quits.
		ch := make(chan streamItem, 64)
		go produce(ctx, x, e, ch, note)
		return receive(id, e, ch)()
	}
}

func produce(ctx context.Context, x runbook.Executor, e runbook.Effect, ch chan<- streamItem, note callNoter) {
	defer close(ch)
	send := func(it streamItem) {
		select {
		case ch <- it:
		case <-ctx.Done():
		}
	}
	var result runbook.Event
	func() {
		// A bug in an executor must not take the terminal down with it:
		// the responder sees a failed effect and can retry or abort.
		defer func() {
			if r := recover(); r != nil {
				result = runbook.EffectFailed{Effect: e.EffectName(), Message: fmt.Sprintf("the executor crashed: %v", r)}
			}
		}()
		result = x.Run(ctx, e, func(ev runbook.Event) {
			it := streamItem{event: ev}
			if c, ok := ev.(runbook.APICall); ok && note != nil {
				// The executor emits a call before sending it, and it
				// leaves only after this returns: the note is in the file
				// (fsynced in a batch, Journal.Note), so a kill cannot
				// lose the record of a call that reached AWS. Journaled
				// from the screen's loop instead, it could.
				it.noted, it.noteErr = true, note(c)
			}
			send(it)
		})
	}()
	if result == nil {
		result = runbook.EffectFailed{Effect: e.EffectName(), Message: "the executor returned no result"}
	}
	send(streamItem{event: result, final: true})
}

func receive(id int, e runbook.Effect, ch <-chan streamItem) tea.Cmd {
	return func() tea.Msg {
		it, ok := <-ch
		if !ok {
			// Closed without a result: the program is quitting (ctx done).
			return nil
		}
		msg := effectMsg{id: id, effect: e, event: it.event, final: it.final, noteErr: it.noteErr, noted: it.noted}
		if !it.final {
			msg.next = receive(id, e, ch)
		}
		return msg
	}
}

// start runs each effect as its own command, so a slow one (a watch poll)
// never holds up another (a clean-up the responder asked for meanwhile).
func (m *Model) start(effects []runbook.Effect) tea.Cmd {
	var cmds []tea.Cmd
	for _, e := range effects {
		if _, ok := e.(runbook.SweepCloudTrail); ok {
			m.sweepStarted = m.opts.Now()
		}
		m.nextID++
		m.inflight[m.nextID] = e
		step, en := m.State().Step, m.engine
		cmds = append(cmds, runEffect(m.ctx, m.exec, m.nextID, e, func(c runbook.APICall) error { return en.NoteCall(step, c) }))
	}
	if len(cmds) > 0 && !m.spinning && m.animate {
		m.spinning = true
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

func (m Model) onEffect(msg effectMsg) (tea.Model, tea.Cmd) {
	if !msg.final {
		switch ev := msg.event.(type) {
		case runbook.APICall:
			err := msg.noteErr
			if !msg.noted {
				_, err = m.engine.Submit(ev)
			}
			if err != nil {
				m.notice = notice{text: "The action log could not record an AWS call: " + redact(err.Error()), kind: noticeDanger}
			}
			m.calls = append(m.calls, ev)
			if len(m.calls) > recentCalls {
				m.calls = m.calls[len(m.calls)-recentCalls:]
			}
		case runbook.SweepProgress:
			// Progress is shown, not journaled (as the engine's headless Run).
			_, _ = m.engine.Machine().Apply(ev)
		case runbook.TrailScanProgress:
			// Likewise shown, not journaled; the machine keeps no progress.
			m.scan = ev.Stats
		}
		m.sync()
		return m, msg.next
	}
	delete(m.inflight, msg.id)
	switch ev := msg.event.(type) {
	case runbook.WatchObserved:
		m.lastPoll = m.opts.Now()
	case runbook.CallerMoved:
		m.replace.details[ev.CallerID] = ev.Detail
	case runbook.KeyIdentified:
		// Every record from here on names who acted (DESIGN.md "actor").
		m.engine.Journal().SetActor(ev.Caller.ARN)
	}
	effects, err := m.engine.Submit(msg.event)
	var refusal *runbook.Refusal
	switch {
	case errors.As(err, &refusal):
		// A result the machine no longer waits for: the responder moved on
		// (rolled back, went to deactivation, aborted) while it ran. The
		// engine journaled it; nothing is lost and nothing is to be done.
		m.notice = notice{text: fmt.Sprintf("Done after you moved on: %s (%s). Its result is in the action log.",
			describeEffect(msg.effect.EffectName()), refusal.Reason), kind: noticeInfo}
	case err != nil:
		m.notice = notice{text: "The action log could not record the result of " + msg.effect.EffectName() + ": " + redact(err.Error()), kind: noticeDanger}
	}
	if f, ok := msg.event.(runbook.EffectFailed); ok && err == nil {
		m.notice = notice{text: failureText(f), kind: noticeDanger}
	}
	cmd := m.start(effects)
	if ra, ok := msg.event.(runbook.ReplacementApplied); ok && err == nil && wantsSecret(m.State(), ra) {
		cmd = tea.Batch(cmd, saveSecret(m.exec, ra.CallerID))
	}
	m.sync()
	return m, cmd
}

// failureText says what failed and what the responder can do about it.
func failureText(f runbook.EffectFailed) string {
	s := describeEffect(f.Effect) + " failed: " + redact(f.Message)
	if f.Effect == "ObtainRootCredentials" {
		// A one-time code is not retried: the next sign-in takes a new one.
		return s + " Press enter to sign in again."
	}
	if f.Action != "" {
		s += fmt.Sprintf(" Your credentials lack %s: grant it (or use credentials that have it), then press r to retry.", f.Action)
	} else {
		s += " Press r to retry, or A to abort."
	}
	return s
}
