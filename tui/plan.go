package tui

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The calls a change makes are never derived here: Options.Plan asks
// awsops, which runs the change's own code with dry write clients
// (awsops.Executor.Plan). This file only shows what it answers.

// field is one input parameter of an AWS call, in the order the SDK
// serialised it.
type field struct {
	Name  string
	Value string
}

// plannedCall is one AWS API call a mutating effect makes, shown to the
// responder before it runs.
type plannedCall struct {
	Service   string
	Operation string
	Input     []field
	// Note says what the call does when its input alone does not.
	Note string
	// As says whose session sends the call when it is not the responder's:
	// "as root", and when root's session is still to be opened, after what.
	As string
}

// String renders the call as `iam UpdateAccessKey {"AccessKeyId": "…", …}`,
// followed by whose session sends it: `(as root, after sign-in)`.
func (c plannedCall) String() string {
	parts := make([]string, len(c.Input))
	for i, f := range c.Input {
		parts[i] = strconv.Quote(f.Name) + ": " + strconv.Quote(f.Value)
	}
	s := c.Service + " " + c.Operation + " {" + strings.Join(parts, ", ") + "}"
	if c.As != "" {
		s += " (" + c.As + ")"
	}
	return s
}

// sentAs words who sends a planned call, from the actor and the session
// awsops noted on it: root's own (signed in, or --root-profile), root's
// after the drill's sign-in, or root's in the session sts:AssumeRoot
// opens. The responder's own calls say nothing.
func sentAs(call runbook.APICall) string {
	switch {
	case call.Actor == "":
		return ""
	case !strings.HasSuffix(call.Actor, ":root"):
		return "as " + call.Actor
	case call.Via == runbook.ViaAfterSignIn:
		return "as root, after sign-in"
	case strings.HasPrefix(call.Via, "sts:AssumeRoot"):
		return "as root, in the sts:AssumeRoot session"
	}
	return "as root"
}

// unplanned stands for an effect's calls when the account could not be read
// for them: they depend on what the account holds, which only awsops reads,
// so the TUI does not guess them.
func unplanned(e runbook.Effect) []plannedCall {
	return []plannedCall{{Service: "(read from the account as it runs)", Operation: e.EffectName(),
		Note: "the exact calls depend on what the account holds, which could not be read now"}}
}

// plannedMsg carries the calls Options.Plan read for one effect of an open
// confirmation.
type plannedMsg struct {
	serial, index int
	calls         []runbook.APICall
	err           error
}

// planCmds read the account for each mutating effect of the confirmation.
func planCmds(ctx context.Context, plan func(context.Context, runbook.Effect) ([]runbook.APICall, error), serial int, effects []runbook.Effect) tea.Cmd {
	var cmds []tea.Cmd
	for i, e := range effects {
		if !e.Mutates() {
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
	m.journalReads(msg.calls)
	c := m.confirm
	if !c.open || c.serial != msg.serial || msg.index >= len(c.calls) {
		return m, nil
	}
	c.calls = append([][]plannedCall(nil), c.calls...)
	writes := writesOf(msg.calls)
	if msg.err != nil {
		c.planErrs = append(append([]string(nil), c.planErrs...), msg.err.Error())
		if len(writes) == 0 {
			writes = unplanned(c.effects[msg.index])
		}
	}
	c.calls[msg.index] = writes
	c.planning--
	w, _ := m.bodySize()
	c.measure(w)
	m.confirm = c
	return m, nil
}

// journalReads journals the reads a plan made: they were sent.
func (m *Model) journalReads(calls []runbook.APICall) {
	for _, call := range calls {
		if call.WouldCall {
			continue // shown, not made
		}
		if _, err := m.engine.Submit(call); err != nil {
			m.notice = notice{text: "The action log could not record an AWS call: " + redact(err.Error()), kind: noticeDanger}
		}
	}
}

// writesOf are a plan's calls that would change something, as shown.
func writesOf(calls []runbook.APICall) []plannedCall {
	var out []plannedCall
	for _, call := range calls {
		if call.WouldCall {
			out = append(out, fromAPICall(call))
		}
	}
	return out
}

// stepCalls are the calls of the change a step's view describes (the
// deactivation, the deletion, the roll-back), read by Options.Plan when the
// step is reached.
type stepCalls struct {
	key   string // what they were read for (planKey)
	done  bool
	calls []plannedCall
	err   string
}

// stepPlannedMsg carries a step's calls as Options.Plan read them.
type stepPlannedMsg struct {
	key   string
	calls []runbook.APICall
	err   error
}

// stepEffect is the change the current step's view shows the calls of.
func stepEffect(st runbook.State) runbook.Effect {
	switch st.Step {
	case runbook.StepDeactivate:
		return runbook.DeactivateKey{KeyTarget: st.KeyTarget()}
	case runbook.StepReactivate:
		return runbook.ReactivateKey{KeyTarget: st.KeyTarget()}
	case runbook.StepDelete:
		return runbook.DeleteKey{KeyTarget: st.KeyTarget()}
	}
	return nil
}

func planKey(e runbook.Effect) string {
	b, _ := json.Marshal(e)
	return e.EffectName() + string(b)
}

// planStep reads the calls of the step's change once per step and key.
func (m *Model) planStep() tea.Cmd {
	e := stepEffect(m.State())
	if e == nil || m.opts.Plan == nil {
		return nil
	}
	k := planKey(e)
	if m.State().Contain.RootAccess != nil {
		// Root's session opened since: a root key's calls read now, where
		// the read before the sign-in could not.
		k += "+root-session"
	}
	if m.stepCalls.key == k {
		return nil
	}
	m.stepCalls = stepCalls{key: k}
	plan, ctx := m.opts.Plan, m.ctx
	return func() tea.Msg {
		calls, err := plan(ctx, e)
		return stepPlannedMsg{key: k, calls: calls, err: err}
	}
}

func (m Model) onStepPlanned(msg stepPlannedMsg) (tea.Model, tea.Cmd) {
	m.journalReads(msg.calls)
	if msg.key != m.stepCalls.key {
		return m, nil // read for a step left since
	}
	m.stepCalls.done, m.stepCalls.calls = true, writesOf(msg.calls)
	if msg.err != nil {
		m.stepCalls.err = msg.err.Error()
	}
	return m, nil
}

// stepCallLines show the step's change as the calls it makes.
func stepCallLines(f frame) []string {
	sc := f.stepCalls
	e := stepEffect(f.st)
	switch {
	case e == nil:
		return nil
	case !f.planned:
		return callLines(f, unplanned(e))
	case !sc.done:
		return []string{f.spin + " reading the account for the exact calls…"}
	}
	var lines []string
	if sc.err != "" {
		lines = append(lines, wrapAfterPrefix(f.sty.Danger.Render("✗ "), "could not read every call: "+redact(sc.err), plain, f.w, "  ")...)
	}
	if len(sc.calls) == 0 && sc.err == "" {
		lines = append(lines, f.sty.Muted.Render("  no call: the account already reads as this change would leave it"))
	}
	return append(lines, callLines(f, sc.calls)...)
}

func callLines(f frame, calls []plannedCall) []string {
	var lines []string
	for _, c := range calls {
		lines = append(lines, wrapAfterPrefix("  ", c.String(), f.sty.Call, f.w, "    ")...)
	}
	return lines
}

// callsLabel introduces n calls, in the conditional in dry-run.
func callsLabel(n int, mode runbook.Mode) string {
	verb := "will"
	if mode == runbook.ModeDryRun {
		verb = "would"
	}
	if n == 1 {
		return "This call " + verb + " be made:"
	}
	return fmt.Sprintf("These %d calls %s be made:", n, verb)
}

// fromAPICall shows a planned call's input field by field, in the order
// the SDK serialised it, with a note where the input alone does not say
// what the call does.
func fromAPICall(call runbook.APICall) plannedCall {
	out := plannedCall{Service: call.Service, Operation: call.Operation, As: sentAs(call)}
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
	out.Note = callNote(out)
	// Documents go last, so the call's names read before its policy; a
	// long one is cut (Propose shows a replacement's policy whole, and the
	// action log has every input of every call sent).
	slices.SortStableFunc(out.Input, func(a, b field) int {
		return cmp.Compare(boolInt(isDocument(a.Name)), boolInt(isDocument(b.Name)))
	})
	for i, f := range out.Input {
		if isDocument(f.Name) && len(f.Value) > maxDocument {
			out.Input[i].Value = f.Value[:maxDocument/2] + fmt.Sprintf("… (%d bytes)", len(f.Value))
		}
	}
	if call.Region != "" {
		// Not an input of the call, but where it goes: an instance of the
		// same ID means nothing in another region.
		out.Input = append(out.Input, field{Name: "Region", Value: call.Region})
	}
	return out
}

// maxDocument is the longest document a call shows whole.
const maxDocument = 160

func isDocument(name string) bool { return strings.HasSuffix(name, "Document") }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// callNote says what a call does where its input alone does not: it reads
// the call's own input, never a copy of what awsops decides.
func callNote(c plannedCall) string {
	in := map[string]string{}
	for _, f := range c.Input {
		in[f.Name] = f.Value
	}
	switch c.Operation {
	case "CreateAccessKey":
		return "the new secret is handed to you once; it is never shown here or written to the log"
	case "UpdateAccessKey", "DeleteAccessKey":
		if in["UserName"] == "" {
			return "root key: no UserName, so IAM acts on the root user's own keys (the call must be made as root)"
		}
	case "AssumeRoot":
		return "a root session of at most 15 minutes in account " + in["TargetPrincipal"] + ", allowed only what its task policy allows; the next call is made with it"
	case "PutRolePolicy", "PutUserPolicy":
		if in["PolicyName"] != runbook.RevocationPolicyName {
			return ""
		}
		who, spared := "user "+in["UserName"], "its access keys are not affected"
		if c.Operation == "PutRolePolicy" {
			who, spared = "role "+in["RoleName"], "sessions begun after it are not affected"
		}
		return "every session of " + who + " issued before the call is denied from then on; " + spared
	}
	return ""
}
