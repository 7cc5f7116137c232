package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

const verifyHelp = `
keyrunbook verify LOG — check an action log's hash chain.

Every record of the log carries the SHA-256 of the one before it, so an
edited byte, a removed or reordered line, or a torn last line (the program
stopped mid-write) is found. Exits 0 when the log is intact, 1 naming the
first bad line otherwise.

Example:
  keyrunbook verify incident-AKIAIOSFODNN7EXAMPLE-20261123T0300Z.jsonl
`

func cmdVerify(args []string, io streams) error {
	fs := newFlags("verify", verifyHelp, io.out)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "action log path")
	if err != nil {
		return err
	}
	f, err := openLog(path)
	if err != nil {
		return err
	}
	defer f.Close()
	vr := runbook.VerifyJournal(f)
	if !vr.OK {
		fmt.Fprintf(io.err, "%s: NOT intact: %s\n", path, vr.Reason)
		return &exitError{code: 1}
	}
	if vr.Records == 0 {
		// An empty file is no evidence of anything: a log always starts
		// with its configuration record.
		fmt.Fprintf(io.err, "%s: NOT an action log: it holds no records (a log starts with its configuration record)\n", path)
		return &exitError{code: 1}
	}
	fmt.Fprintf(io.out, "%s: intact, %d records, hash chain verified\nhead: %s (the last record's hash: compare it with a copy kept elsewhere to detect records cut from the end)\n", path, vr.Records, vr.Head)
	return nil
}

// openLog opens an action log with an error that says what to do.
func openLog(path string) (*os.File, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no action log at %s: check the path (the log's name was shown when the incident started)", path)
	case err != nil:
		return nil, fmt.Errorf("open action log: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory, not an action log", path)
	}
	return f, nil
}

const resumeHelp = `
keyrunbook resume LOG [--profile P] [--region R] [--print] — continue an incident from its action log.

The state of the incident is a fold over the log. resume verifies the hash
chain, replays every event and shows where the incident stands: the step
reached, the key, and any action that was started but has no recorded
result. In a terminal it then continues a live or dry-run incident in the
TUI with the credentials you give (as 'respond' takes them): each action
left without a result runs again first. They are idempotent by design (a
key made inactive twice stays inactive; a replacement that exists is reused
and checked), so running one again is how its real state is read back.
--print only prints the state. A last line torn by a crash is shown and,
once you agree (or with --repair), cut; the cut is journaled. A log another
process is writing is refused, naming that process. A training drill resumes
too: its simulated account lived in the process that ended, so resume starts
the drill's scenario again and carries out the changes the log records, each
at its simulated time, then goes on in the TUI (no credentials needed).

Examples:
  keyrunbook resume incident.jsonl --print
  keyrunbook resume incident.jsonl --profile security-incident
`

func cmdResume(ctx context.Context, args []string, io streams) error {
	fs := newFlags("resume", resumeHelp, io.out)
	var o respondOptions
	printOnly := fs.Bool("print", false, "print the incident's state and exit")
	fs.StringVar(&o.profile, "profile", "", "AWS shared-config profile to continue with")
	fs.StringVar(&o.region, "region", "", "home region")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "override every AWS endpoint")
	fs.StringVar(&o.rootProfile, "root-profile", "", "profile holding the key's account root credentials")
	fs.StringVar(&o.orgAdminProfile, "org-admin-profile", "", "profile of the Organizations management/delegated admin account")
	fs.StringVar(&o.alarmPrefix, "alarm-prefix", "", "watch only CloudWatch alarms whose name starts with this")
	repair := fs.Bool("repair", false, "cut a torn last line (shown first; the cut is journaled) without asking")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	path, err := onePath("resume", args)
	if err != nil {
		return err
	}
	if err := repairTorn(path, *repair, io); err != nil {
		return err
	}
	f, err := openLog(path)
	if err != nil {
		return err
	}
	rp, err := runbook.Replay(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	printResumed(io, path, rp)
	st := rp.Machine.State()
	switch {
	case *printOnly || !interactive():
		return nil
	case st.Step.Final():
		fmt.Fprintf(io.out, "\nThe incident is %s; nothing to continue. Report: keyrunbook report %s\n", st.Step, path)
		return nil
	case st.Mode == runbook.ModeTraining:
		return resumeTraining(ctx, path, io)
	}
	if err := checkInputs(ctx, o); err != nil {
		return err
	}
	return continueIncident(ctx, path, st, o, io)
}

// continueIncident reopens the log for appending and runs the TUI from
// the replayed state; the pending intents run first.
func continueIncident(ctx context.Context, path string, st runbook.State, o respondOptions, io streams) error {
	j, records, err := runbook.OpenJournal(path, nil)
	if err != nil {
		return fmt.Errorf("reopen the action log: %w", err)
	}
	defer j.Close()
	rp, err := runbook.ReplayRecords(records)
	if err != nil {
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	o.watch, o.logPath = st.Watch.Window, path
	x, err := buildExecutor(ctx, o, st.Mode)
	if err != nil {
		return err
	}
	en := runbook.ResumeEngine(rp.Machine, j)
	final, err := tea.NewProgram(tui.New(tui.Options{Engine: en, Executor: x, LogPath: path, Pending: rp.Pending, Export: exportProposal, Plan: x.Plan}), tea.WithContext(ctx)).Run()
	if err != nil {
		return fmt.Errorf("resume: %w (the action log is %s)", err, path)
	}
	if msg := final.(tui.Model).ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, msg)
	}
	return nil
}

func printResumed(io streams, path string, rp *runbook.Replayed) {
	st := rp.Machine.State()
	fmt.Fprintf(io.out, "Action log: %s (%d records, hash chain verified)\n", path, len(rp.Records))
	fmt.Fprintf(io.out, "Mode:       %s\n", st.Mode)
	fmt.Fprintf(io.out, "Step:       %s\n", st.Step.Title())
	if st.KeyID != "" {
		fmt.Fprintf(io.out, "Key:        %s", st.KeyID)
		if st.Intake.Identified {
			fmt.Fprintf(io.out, " (%s, %s)", st.Intake.Key.Owner(), orDash(string(st.Intake.Key.Status)))
		}
		fmt.Fprintln(io.out)
	}
	if st.Intake.Caller.ARN != "" {
		fmt.Fprintf(io.out, "Actor:      %s\n", st.Intake.Caller.ARN)
	}
	if st.Effects.LastError != nil {
		fmt.Fprintf(io.out, "Last error: %s: %s\n", st.Effects.LastError.Effect, runbook.RedactString(st.Effects.LastError.Message))
	}
	if len(rp.Pending) == 0 {
		fmt.Fprintln(io.out, "Pending:    none")
		return
	}
	names := make([]string, len(rp.Pending))
	for i, e := range rp.Pending {
		names[i] = e.EffectName()
	}
	fmt.Fprintf(io.out, "Pending:    %s — started, no result recorded; it will be reconciled by reading the real state first\n", strings.Join(names, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// repairTorn cuts a torn last line of the log at path after showing it,
// when the responder agrees (types "cut") or passed --repair. A log without
// a torn line is left alone; any other damage is refused later by Replay.
func repairTorn(path string, force bool, io streams) error {
	f, err := openLog(path)
	if err != nil {
		return err
	}
	vr := runbook.VerifyJournal(f)
	f.Close()
	if vr.OK || !vr.Torn {
		return nil
	}
	declined := false
	j, _, err := runbook.OpenJournalRepair(path, nil, func(t runbook.TornTail) bool {
		fmt.Fprintf(io.out, "%s: line %d is torn (the program stopped mid-write): %d bytes from offset %d, sha256 %s:\n  %q\n",
			path, t.Line, t.Bytes, t.Offset, t.SHA256, t.Preview)
		fmt.Fprintln(io.out, "Cutting it is safe: an effect whose record was torn is reconciled by reading the real state again. The cut is journaled.")
		if force {
			return true
		}
		fmt.Fprint(io.out, "Type cut to cut it: ")
		var answer string
		fmt.Fscanln(io.in, &answer)
		declined = strings.TrimSpace(answer) != "cut"
		return !declined
	})
	if err != nil {
		if declined {
			return fmt.Errorf("not resumed: %s keeps its torn line; run 'keyrunbook resume %s --repair' to cut it", path, path)
		}
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	fmt.Fprintln(io.out, "cut; the repair is journaled as the log's last record")
	return j.Close()
}
