package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// plannedMsg carries the calls Options.Plan read for one effect of an open
// confirmation.
type plannedMsg struct {
	serial, index int
	calls         []runbook.APICall
	err           error
}

// plannable reports whether an effect's calls depend on what the account
// holds, so the confirmation reads them rather than guessing.
func plannable(e runbook.Effect) bool {
	_, ok := e.(runbook.CleanUpResource)
	return ok
}

// planCmds read the account for each plannable effect of the confirmation.
func planCmds(ctx context.Context, plan func(context.Context, runbook.Effect) ([]runbook.APICall, error), serial int, effects []runbook.Effect) tea.Cmd {
	var cmds []tea.Cmd
	for i, e := range effects {
		if !plannable(e) {
			continue
		}
		cmds = append(cmds, func() tea.Msg {
			calls, err := plan(ctx, e)
			return plannedMsg{serial: serial, index: i, calls: calls, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// onPlanned journals the reads a plan made and shows its writes in the
// confirmation it was read for, if that is still open.
func (m Model) onPlanned(msg plannedMsg) (tea.Model, tea.Cmd) {
	for _, call := range msg.calls {
		if call.WouldCall {
			continue // shown, not made
		}
		if _, err := m.engine.Submit(call); err != nil {
			m.notice = notice{text: "The action log could not record an AWS call: " + redact(err.Error()), kind: noticeDanger}
		}
	}
	c := m.confirm
	if !c.open || c.serial != msg.serial || msg.index >= len(c.calls) {
		return m, nil
	}
	c.calls = append([][]plannedCall(nil), c.calls...)
	var writes []plannedCall
	for _, call := range msg.calls {
		if call.WouldCall {
			writes = append(writes, fromAPICall(call))
		}
	}
	if msg.err != nil {
		c.planErrs = append(append([]string(nil), c.planErrs...), msg.err.Error())
		writes = append(writes, plannedCalls(c.effects[msg.index])...)
	}
	c.calls[msg.index] = writes
	c.planning--
	w, _ := m.bodySize()
	c.measure(w)
	m.confirm = c
	return m, nil
}

// fromAPICall shows a planned call's input field by field, in the order
// the SDK serialised it.
func fromAPICall(call runbook.APICall) plannedCall {
	out := plannedCall{Service: call.Service, Operation: call.Operation}
	dec := json.NewDecoder(bytes.NewReader(call.Input))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return out
	}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			return out
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out
		}
		var text string
		var list []string
		switch {
		case json.Unmarshal(raw, &text) == nil:
		case json.Unmarshal(raw, &list) == nil:
			text = strings.Join(list, ", ") // InstanceIds and the like
		default:
			var b bytes.Buffer
			_ = json.Compact(&b, raw)
			text = strings.TrimSpace(b.String())
		}
		if text == "null" || text == "" {
			continue
		}
		out.Input = append(out.Input, field{Name: name.(string), Value: text})
	}
	if call.Region != "" {
		// Not an input of the call, but where it goes: an instance of the
		// same ID means nothing in another region.
		out.Input = append(out.Input, field{Name: "Region", Value: call.Region})
	}
	return out
}
