package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
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
	fmt.Fprintf(io.out, "%s: intact, %d records, hash chain verified\n", path, vr.Records)
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
keyrunbook resume LOG — rebuild an incident from its action log.

The state of the incident is a fold over the log. resume verifies the hash
chain, replays every event, and prints where the incident stands: the step
reached, the key, and any action that was started but has no recorded
result (it may or may not have happened: keyrunbook reads the real state
again before anything else runs).

Example:
  keyrunbook resume incident-AKIAIOSFODNN7EXAMPLE-20261123T0300Z.jsonl
`

func cmdResume(_ context.Context, args []string, io streams) error {
	fs := newFlags("resume", resumeHelp, io.out)
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
	rp, err := runbook.Replay(f)
	if err != nil {
		return fmt.Errorf("cannot resume %s: %w", path, err)
	}
	printResumed(io, path, rp)
	return nil
}

func printResumed(io streams, path string, rp *runbook.Replayed) {
	st := rp.Machine.State()
	fmt.Fprintf(io.out, "Action log: %s (%d records, hash chain verified)\n", path, len(rp.Records))
	fmt.Fprintf(io.out, "Mode:       %s\n", st.Mode)
	fmt.Fprintf(io.out, "Step:       %s\n", st.Step.Title())
	if st.KeyID != "" {
		fmt.Fprintf(io.out, "Key:        %s", st.KeyID)
		if st.Identified {
			fmt.Fprintf(io.out, " (%s, %s)", st.Key.Owner(), orDash(string(st.Key.Status)))
		}
		fmt.Fprintln(io.out)
	}
	if st.Caller.ARN != "" {
		fmt.Fprintf(io.out, "Actor:      %s\n", st.Caller.ARN)
	}
	if st.LastError != nil {
		fmt.Fprintf(io.out, "Last error: %s: %s\n", st.LastError.Effect, runbook.RedactString(st.LastError.Message))
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
