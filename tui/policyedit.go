package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// policyEditedMsg carries a proposal's policy back from the editor.
type policyEditedMsg struct {
	proposal runbook.Proposal
	policy   string
	err      error
}

// editor is the responder's editor: $VISUAL, then $EDITOR, then vi.
func editor() string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := strings.TrimSpace(os.Getenv(v)); e != "" {
			return e
		}
	}
	return "vi"
}

// editPolicy opens the proposal's policy in the responder's editor, with
// the terminal handed over until the editor exits. A policy is a JSON
// document of any length: a one-line prompt is no place to change it.
func editPolicy(p runbook.Proposal) tea.Cmd {
	return func() tea.Msg {
		f, err := os.CreateTemp("", "keyrunbook-policy-*.json")
		if err != nil {
			return policyEditedMsg{proposal: p, err: fmt.Errorf("create a file to edit the policy in: %w", err)}
		}
		path := f.Name()
		_, werr := f.WriteString(prettyPolicy(p.Policy) + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			os.Remove(path)
			return policyEditedMsg{proposal: p, err: fmt.Errorf("write the policy to %s: %w", path, err)}
		}
		// The editor may carry arguments ("code --wait"): split on spaces.
		args := strings.Fields(editor())
		c := exec.Command(args[0], append(args[1:], path)...)
		return tea.ExecProcess(c, readEditedPolicy(p, path))()
	}
}

// readEditedPolicy reads the policy back once the editor exits and removes
// the file.
func readEditedPolicy(p runbook.Proposal, path string) tea.ExecCallback {
	return func(runErr error) tea.Msg {
		defer os.Remove(path)
		if runErr != nil {
			return policyEditedMsg{proposal: p, err: fmt.Errorf("the editor %s failed: %w", editor(), runErr)}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return policyEditedMsg{proposal: p, err: fmt.Errorf("read the edited policy: %w", err)}
		}
		return policyEditedMsg{proposal: p, policy: string(b)}
	}
}

// onPolicyEdited sends a changed policy to the machine, which checks it
// and refuses one IAM would not accept, with the reason.
func (m Model) onPolicyEdited(msg policyEditedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.notice = notice{kind: noticeDanger, text: "The policy was not changed: " + redact(msg.err.Error())}
		return m, nil
	}
	policy := strings.TrimSpace(msg.policy)
	// IAM counts a policy's size without whitespace: keep it compact.
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(policy)) == nil {
		policy = buf.String()
	}
	var current runbook.Proposal
	for _, p := range m.State().Propose.Proposals {
		if p.CallerID == msg.proposal.CallerID {
			current = p
		}
	}
	switch {
	case current.CallerID == "":
		m.notice = notice{kind: noticeWarn, text: "The proposal for " + msg.proposal.CallerID + " is gone; the edit was not applied."}
		return m, nil
	case policy == current.Policy:
		m.notice = notice{kind: noticeInfo, text: "The policy is unchanged."}
		return m, nil
	}
	current.Policy = policy
	return m.offer(runbook.EditProposal{Proposal: current})
}
