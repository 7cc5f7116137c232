package main

import (
	"fmt"
	"os"

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
still reported, with a warning at the top. No secret is ever written.

Example:
  keyrunbook report incident.jsonl --format md --out incident-report.md
`

func cmdReport(args []string, io streams) error {
	fs := newFlags("report", reportHelp, io.out)
	format := fs.String("format", "md", "md, json or csv")
	out := fs.String("out", "", "write to this file (created, mode 0600) instead of standard output")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	logPath, err := onePath("report", rest)
	if err != nil {
		return err
	}
	switch *format {
	case "md", "json", "csv":
	default:
		return usagef("report: --format must be md, json or csv, not %q", *format)
	}
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
	switch *format {
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
	if *out == "" {
		_, err = io.out.Write(body)
		return err
	}
	if err := os.WriteFile(*out, body, 0o600); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(io.err, "report written to %s\n", *out)
	return nil
}
