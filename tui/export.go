package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Teams whose changes go through review take a proposal as AWS CLI
// commands and a Terraform snippet instead of having keyrunbook apply it
// (issue 5). Deciding "export" writes both next to the action log.

// exportFiles is a proposal's export as written.
type exportFiles struct {
	cli, terraform string // the files' paths
	// text is the CLI commands, shown when x is pressed again.
	text string
	// of is the proposal exported: an edit after the export makes the
	// files stale, and x then writes new ones.
	of runbook.Proposal
}

// current reports whether the files hold p as it is now.
func (e exportFiles) current(p runbook.Proposal) bool {
	o := e.of
	return e.cli != "" && o.Kind == p.Kind && o.Name == p.Name && o.Target == p.Target && o.Region == p.Region && o.Policy == p.Policy
}

// exportedMsg says where a proposal's export was written, or why not.
type exportedMsg struct {
	callerID string
	files    exportFiles
	err      error
}

// errNoExporter is what a program started without Options.Export says.
var errNoExporter = errors.New("this program was started without an exporter: nothing was written")

// exportAfter writes the export of the proposal an accepted "export"
// decision names. It runs after the machine took the decision, so a
// refused one writes nothing.
func (m *Model) exportAfter(ev runbook.Event) tea.Cmd {
	d, ok := ev.(runbook.DecideProposal)
	if !ok || d.Decision != runbook.DecisionExported {
		return nil
	}
	st := m.State()
	var p runbook.Proposal
	for _, q := range st.Propose.Proposals {
		if q.CallerID == d.CallerID {
			p = q
		}
	}
	export, dir, account := m.opts.Export, filepath.Dir(m.logPath()), st.Intake.Key.Account
	if m.opts.LogPath == "" {
		dir = "."
	}
	return func() tea.Msg {
		if export == nil {
			return exportedMsg{callerID: p.CallerID, err: errNoExporter}
		}
		cli, tf := export(p, account)
		files, err := writeExport(dir, p.Name, cli, tf)
		files.text, files.of = cli, p
		return exportedMsg{callerID: p.CallerID, files: files, err: err}
	}
}

func (m Model) onExported(msg exportedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.notice = notice{text: "The export of " + msg.callerID + " was not written: " + redact(msg.err.Error()), kind: noticeDanger}
		return m, nil
	}
	m.propose.exports[msg.callerID] = msg.files
	m.notice = notice{text: "Written for review: " + msg.files.cli + " and " + msg.files.terraform, kind: noticeInfo}
	m.sync()
	return m, nil
}

// writeExport writes the CLI commands and the Terraform snippet to
// dir/keyrunbook-export-NAME.sh and .tf, mode 0600 (they name the
// account's identities), never over an existing file: a later export of
// the same name gets -2, -3… A text shaped like a secret is not written.
func writeExport(dir, name, cli, tf string) (exportFiles, error) {
	for _, text := range []string{cli, tf} {
		if runbook.RedactString(text) != text {
			return exportFiles{}, errors.New("it holds a string shaped like a secret, which keyrunbook never writes")
		}
	}
	base := "keyrunbook-export-" + fileSafe(name)
	for n := 1; n <= 100; n++ {
		stem := base
		if n > 1 {
			stem = fmt.Sprintf("%s-%d", base, n)
		}
		sh, tfPath := filepath.Join(dir, stem+".sh"), filepath.Join(dir, stem+".tf")
		if exists(sh) || exists(tfPath) {
			continue
		}
		err := writeNew(sh, cli)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return exportFiles{}, err
		}
		err = writeNew(tfPath, tf)
		if err != nil {
			// The .sh is ours, made a moment ago: without its .tf it is half
			// an export.
			_ = os.Remove(sh)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return exportFiles{}, err
		}
		return exportFiles{cli: sh, terraform: tfPath}, nil
	}
	return exportFiles{}, fmt.Errorf("%s already has 100 exports named %s: move some away", dir, base)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// writeNew creates path (failing if it exists) and writes text to it.
func writeNew(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// fileSafe keeps an identity's name to characters every file system takes
// (IAM names allow +=,.@_- besides letters and digits).
func fileSafe(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("+=,.@_-", r):
			return r
		}
		return '_'
	}, name)
	if s == "" || strings.Trim(s, ".") == "" {
		return "proposal"
	}
	return s
}
