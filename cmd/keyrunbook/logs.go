package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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

// verifyOptions are verify's: the log's path. It reaches nothing outside
// the log, so it needs no deps.
type verifyOptions struct {
	IO   streams
	path string
}

func cmdVerify(args []string, io streams) error {
	fs := newFlags("verify", verifyHelp, io.out)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "action log path")
	if err != nil {
		return err
	}
	return verifyRun(verifyOptions{IO: io, path: path})
}

// verifyRun checks the hash chain of the log at o.path; a test calls it
// without flags.
func verifyRun(o verifyOptions) error {
	io, path := o.IO, o.path
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
