package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// secretFiler is the part of awsops.Executor that wrote a new key's secret
// to disk itself, the moment CreateAccessKey answered (live runs set its
// SecretDir beside the action log): it hands over the path, and the
// orphaned keys (created, secret never saved) it deleted and replaced. The
// secret never goes on screen, into an event or into the log, and the TUI
// never holds it: awsops alone writes it (WriteSecretFile, mode 0600).
type secretFiler interface {
	SecretFile(callerID string) (keyID, path string, orphans []string, ok bool)
}

// secretSavedMsg reports where a new key's secret was written.
type secretSavedMsg struct {
	callerID string
	keyID    string
	path     string
	orphans  []string
}

// saveSecret hands over where the executor wrote the new secret of the
// caller's replacement user, if it made one.
func saveSecret(x runbook.Executor, callerID string) tea.Cmd {
	filer, ok := x.(secretFiler)
	if !ok {
		return nil
	}
	return func() tea.Msg {
		keyID, path, orphans, ok := filer.SecretFile(callerID)
		if !ok {
			return nil
		}
		return secretSavedMsg{callerID: callerID, keyID: keyID, path: path, orphans: orphans}
	}
}

// onSecretSaved tells the responder where the new secret is, or that it is
// lost and how to start over.
func (m Model) onSecretSaved(msg secretSavedMsg) (tea.Model, tea.Cmd) {
	m.replace.secrets[msg.callerID] = msg.path
	text := fmt.Sprintf("The secret of the new key %s is in %s (readable by you only): install it where %s runs, then delete the file.",
		msg.keyID, msg.path, msg.callerID)
	if len(msg.orphans) > 0 {
		text += fmt.Sprintf(" Orphaned key %s (made by this incident before a crash, its secret never saved) was deleted and replaced by this one.", strings.Join(msg.orphans, ", "))
	}
	m.notice = notice{kind: noticeInfo, text: text}
	return m, nil
}

// wantsSecret reports whether an applied replacement made a real key whose
// secret the responder must receive: live runs only (training's simulated
// workloads get theirs from the simulator, dry-run makes none).
func wantsSecret(st runbook.State, ev runbook.ReplacementApplied) bool {
	if st.Mode != runbook.ModeLive || ev.DryRun {
		return false
	}
	for _, p := range st.Propose.Proposals {
		if p.CallerID == ev.CallerID {
			return p.Kind == runbook.ReplaceIAMUser
		}
	}
	return false
}
