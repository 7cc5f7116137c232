package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

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

// resumeOptions are resume's flags and its injected dependencies: the
// credentials an incident continues with are respond's (respondOptions,
// which carries deps and the streams).
type resumeOptions struct {
	respondOptions
	path              string
	printOnly, repair bool
}

func cmdResume(ctx context.Context, args []string, io streams) error {
	fs := newFlags("resume", resumeHelp, io.out)
	o := resumeOptions{respondOptions: respondOptions{IO: io}}
	fs.BoolVar(&o.printOnly, "print", false, "print the incident's state and exit")
	o.targetFlags(fs)
	fs.BoolVar(&o.repair, "repair", false, "cut a torn last line (shown first; the cut is journaled) without asking")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if o.path, err = onePath("resume", args); err != nil {
		return err
	}
	return resumeRun(ctx, o)
}

// resumeRun shows where the incident of the log at o.path stands and, in
// a terminal, continues it. A test calls it without flags, with fakes for
// the terminal, the program and the AWS configuration.
func resumeRun(ctx context.Context, o resumeOptions) error {
	io, path := o.IO, o.path
	if err := repairTorn(path, o.repair, io); err != nil {
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
	case o.printOnly || !o.isTerminal():
		return nil
	case st.Step.Final():
		fmt.Fprintf(io.out, "\nThe incident is %s; nothing to continue. Report: keyrunbook report %s\n", st.Step, path)
		return nil
	case st.Mode == runbook.ModeTraining:
		return resumeTraining(ctx, o, rp)
	}
	if err := checkInputs(ctx, o.respondOptions); err != nil {
		return err
	}
	return continueIncident(ctx, st, o)
}

// continueIncident reopens the log for appending and runs the TUI from
// the replayed state; the pending intents run first.
func continueIncident(ctx context.Context, st runbook.State, o resumeOptions) error {
	io, path := o.IO, o.path
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
	x, err := buildExecutor(ctx, o.respondOptions, st.Mode)
	if err != nil {
		return err
	}
	en := runbook.ResumeEngine(rp.Machine, j)
	final, err := o.runProgram(ctx, tui.New(tui.Options{Engine: en, Executor: x, LogPath: path, Pending: rp.Pending, Export: exportProposal, Plan: x.Plan}))
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
