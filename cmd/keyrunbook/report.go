package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/keyrunbook/keyrunbook/runbook"
)

const reportHelp = `
keyrunbook report LOG [--format md|json|csv] [--out FILE] — export an action log.

Builds the incident report for the postmortem from the action log alone:
summary, metrics (time to detect, contain, recover), identification, the
investigation's callers, indicators and blast radius, the replacements with
their policies, the containment and the watch, the dry-run change plan, the
hardening checklist and the full timeline. md is Markdown for people, json
one document for a SIEM or ticket system (schema keyrunbook.report/v1, see
README), csv the callers table. A log whose hash chain does not verify is
still reported, with a warning at the top, and the command exits 1. --out
never writes over an existing file unless --force, and never over an action
log. No secret is ever written.

Example:
  keyrunbook report incident.jsonl --format md --out incident-report.md
`

// reportOptions are report's flags. It reaches nothing outside the log
// and the file it writes, so it needs no deps.
type reportOptions struct {
	IO                   streams
	logPath, format, out string
	force                bool
}

func cmdReport(args []string, io streams) error {
	fs := newFlags("report", reportHelp, io.out)
	o := reportOptions{IO: io}
	fs.StringVar(&o.format, "format", "md", "md, json or csv")
	fs.StringVar(&o.out, "out", "", "write to this file (created, mode 0600) instead of standard output; never over an existing file without --force")
	fs.BoolVar(&o.force, "force", false, "with --out: replace an existing file (never an action log)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if o.logPath, err = onePath("report", rest); err != nil {
		return err
	}
	switch o.format {
	case "md", "json", "csv":
	default:
		return usagef("report: --format must be md, json or csv, not %q", o.format)
	}
	return reportRun(o)
}

// reportRun writes the report of the log at o.logPath with checked
// options; a test calls it without flags.
func reportRun(o reportOptions) error {
	io, logPath := o.IO, o.logPath
	f, err := openLog(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	records, vr := runbook.ReadJournal(f)
	r, err := runbook.BuildReport(records, vr)
	if err != nil {
		return fmt.Errorf("report %s: %w", logPath, err)
	}
	var body []byte
	switch o.format {
	case "md":
		body = r.Markdown()
	case "json":
		body, err = r.JSON()
	case "csv":
		body, err = r.CallersCSV()
	}
	if err != nil {
		return err
	}
	if !vr.OK {
		fmt.Fprintf(io.err, "warning: %s does not verify (%s); the report covers the records before the break\n", logPath, vr.Reason)
	}
	if o.out == "" {
		if _, err := io.out.Write(body); err != nil {
			return err
		}
		if !vr.OK {
			return &exitError{code: 1}
		}
		return nil
	}
	if err := writeNewFile(o.out, body, o.force); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(io.err, "report written to %s\n", o.out)
	if !vr.OK {
		// The report is written, with its warning; the exit status tells a
		// script the log it came from does not verify.
		return &exitError{code: 1}
	}
	return nil
}

// writeNewFile writes body to path (mode 0600, fsynced). It never replaces
// an existing file unless force, and never an action log even then: the
// log is the incident's evidence (`report LOG --out LOG` used to destroy
// it). A forced write goes to a temporary file renamed over the old one,
// so a crash leaves the old file or the new, never half of one.
func writeNewFile(path string, body []byte, force bool) error {
	if isLog, err := runbook.IsJournal(path); err != nil {
		return err
	} else if isLog {
		return fmt.Errorf("%s is an action log and is never written over, even with --force: choose another --out", path)
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		// A device or a pipe (/dev/stdout, a FIFO): nothing to overwrite.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.Write(body)
		return errors.Join(err, f.Close())
	}
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: choose another --out, or add --force to replace it", path)
		}
		if err != nil {
			return err
		}
		return finish(f, body)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if err := finish(f, body); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// finish writes, fsyncs and closes f.
func finish(f *os.File, body []byte) error {
	_, err := f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
