package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// secretTaker is the part of awsops.Executor that hands over, once, the
// secret of an access key it created for an off-AWS caller's replacement
// user. The secret never goes on screen, into an event or into the log:
// the TUI writes it to a file only the responder can read, and shows the
// file's path.
type secretTaker interface {
	TakeNewSecret(callerID string) (keyID, secret string, ok bool)
}

// secretFiler is the part of awsops.Executor that wrote a new key's secret
// to disk itself, the moment CreateAccessKey answered (live runs): it hands
// over the path, and the orphaned keys (created, secret never saved) it
// deleted and replaced.
type secretFiler interface {
	SecretFile(callerID string) (keyID, path string, orphans []string, ok bool)
}

// secretSavedMsg reports where a new key's secret was written.
type secretSavedMsg struct {
	callerID string
	keyID    string
	path     string
	orphans  []string
	err      error
}

// saveSecret takes the new secret of the caller's replacement user, if the
// executor made one, and writes it next to the action log as AWS's console
// does on key creation (a CSV of key ID and secret), mode 0600.
func saveSecret(x runbook.Executor, dir, callerID string) tea.Cmd {
	if filer, ok := x.(secretFiler); ok {
		if keyID, path, orphans, ok := filer.SecretFile(callerID); ok {
			return func() tea.Msg { return secretSavedMsg{callerID: callerID, keyID: keyID, path: path, orphans: orphans} }
		}
	}
	taker, ok := x.(secretTaker)
	if !ok {
		return nil
	}
	return func() tea.Msg {
		keyID, secret, ok := taker.TakeNewSecret(callerID)
		if !ok {
			return nil
		}
		path := filepath.Join(dir, "keyrunbook-new-key-"+keyID+".csv")
		return secretSavedMsg{callerID: callerID, keyID: keyID, path: path, err: writeSecret(path, keyID, secret)}
	}
}

func writeSecret(path, keyID, secret string) (err error) {
	// O_EXCL: never overwrite a file, which could be another key's secret.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if _, err := fmt.Fprintf(f, "Access key ID,Secret access key\n%s,%s\n", keyID, secret); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Sync()
}

// onSecretSaved tells the responder where the new secret is, or that it is
// lost and how to start over.
func (m Model) onSecretSaved(msg secretSavedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.notice = notice{kind: noticeDanger, text: fmt.Sprintf("The secret of the new key %s could not be saved (%s) and cannot be read again: "+
			"delete that key (iam DeleteAccessKey) and create one for the user by hand.", msg.keyID, redact(msg.err.Error()))}
		return m, nil
	}
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
