package tui

import (
	"context"
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
}

// streamItem is what an effect's goroutine passes to the TUI.
type streamItem struct {
	event runbook.Event
	final bool
}

// runEffect returns the command that carries e out with x. The effect's
// goroutine starts when the command runs (creating the command does
// nothing), streams what it emits through a channel, and ends with the
// result. Each message brings the command that waits for the next one, so
// Bubble Tea reads the stream one message at a time, in order.
func runEffect(ctx context.Context, x runbook.Executor, id int, e runbook.Effect) tea.Cmd {
	return func() tea.Msg {
		// The buffer lets a chatty sweep run ahead of the screen a little;
		// beyond it, emit waits for the TUI, or for ctx when it quits.
		ch := make(chan streamItem, 64)
		go produce(ctx, x, e, ch)
		return receive(id, e, ch)()
	}
}

func produce(ctx context.Context, x runbook.Executor, e runbook.Effect, ch chan<- streamItem) {
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
		result = x.Run(ctx, e, func(ev runbook.Event) { send(streamItem{event: ev}) })
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
		msg := effectMsg{id: id, effect: e, event: it.event, final: it.final}
		if !it.final {
			msg.next = receive(id, e, ch)
		}
		return msg
	}
}
