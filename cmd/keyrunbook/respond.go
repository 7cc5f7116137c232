package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/smithy-go/logging"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

const respondHelp = `
keyrunbook respond --key AKIA… [--dry-run] — respond to a leaked access key.

Runs the runbook against a real AWS account with the credentials of the AWS
SDK's default chain (environment, shared config, --profile, SSO). Live mode
shows every change as the exact API call and waits for your confirmation.
--dry-run reads for real and sends no change at all: each one is journaled as
would-call with its full input, and the report lists them as the change plan.
--investigate-only --json identifies the key and sweeps CloudTrail in every
region, then prints one JSON document, without the TUI and without changes.

Every run writes an action log (--log); resume it with 'keyrunbook resume LOG'.

With --investigate-only, trail sources reach past event history's 90 days
of management events, after the sweep: --trail-dir and --trail-s3 read a
trail's log files (data events included), --athena-* query an Athena table
over them, --lake-store a CloudTrail Lake event data store. The SQL is
printed before it runs.

Examples:
  keyrunbook respond --key AKIAIOSFODNN7EXAMPLE --dry-run --profile security-audit
  keyrunbook respond --key AKIAIOSFODNN7EXAMPLE --investigate-only --json > findings.json
  keyrunbook respond --key AKIAIOSFODNN7EXAMPLE --investigate-only --trail-s3 s3://org-trail-bucket/prefix
`

// cmdRespond parses respond's flags into its options, checks them, and
// runs it with the real dependencies.
func cmdRespond(ctx context.Context, args []string, io streams) error {
	fs := newFlags("respond", respondHelp, io.out)
	o := respondOptions{IO: io}
	fs.StringVar(&o.key, "key", "", "the leaked access key ID (AKIA…), required")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read for real, change nothing: journal each change as would-call")
	fs.BoolVar(&o.investigateOnly, "investigate-only", false, "identify and investigate only, no TUI, no change")
	fs.BoolVar(&o.jsonOut, "json", false, "with --investigate-only: print the result as JSON")
	o.targetFlags(fs)
	fs.StringVar(&o.logPath, "log", "", "action log path (default keyrunbook-incident-KEY-TIME.jsonl here)")
	fs.DurationVar(&o.watch, "watch", runbook.DefaultWatchWindow, "watch window after deactivation")
	fs.IntVar(&o.days, "days", 90, "how many days of CloudTrail event history to sweep, 1 to 90 (event history keeps 90)")
	fs.StringVar(&o.detected, "detected-at", "", "when the leak was detected (RFC 3339), for time-to-detect")
	fs.StringVar(&o.exposed, "exposed-at", "", "when the key was exposed (RFC 3339): a caller new after it is yours to decide")
	fs.StringVar(&o.trailDir, "trail-dir", "", "with --investigate-only: also read the trail log files (.json.gz) under this directory")
	fs.StringVar(&o.trailS3, "trail-s3", "", "with --investigate-only: also read the trail log files under s3://bucket/prefix")
	fs.StringVar(&o.athenaWorkgroup, "athena-workgroup", "primary", "Athena workgroup for --athena-table")
	fs.StringVar(&o.athenaTable, "athena-table", "", "with --investigate-only: also query this Athena table (database.table) of the trail")
	fs.StringVar(&o.athenaOut, "athena-output", "", "Athena results location s3://… (when the workgroup sets none)")
	fs.StringVar(&o.athenaPartition, "athena-date-partition", "", "the table's yyyy/MM/dd partition column, if any (read only the days asked)")
	fs.BoolVar(&o.athenaCreate, "athena-create-table", false, "create --athena-table over --trail-s3 with partition projection first (the DDL is printed)")
	fs.StringVar(&o.lakeStore, "lake-store", "", "with --investigate-only: also query this CloudTrail Lake event data store (ID or ARN)")
	fs.IntVar(&o.trailDays, "trail-days", 0, "how many days trail sources read (default --days; trails keep more than event history's 90)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("respond: unexpected argument %q", fs.Arg(0))
	}
	if o.key == "" {
		return usagef("respond: --key is required (the leaked access key ID, AKIA…)")
	}
	if _, err := runbook.ParseKeyID(o.key); err != nil {
		return usagef("respond: --key: %v", err)
	}
	if len(o.trailSources()) > 0 && !o.investigateOnly {
		return usagef("respond: --trail-dir, --trail-s3, --athena-table and --lake-store go with --investigate-only")
	}
	for _, src := range o.trailSources() {
		if err := runbook.ValidTrailSource(src); err != nil {
			return usagef("respond: %v", err)
		}
	}
	if o.trailDays < 0 || o.trailDays > maxTrailDays {
		return usagef("respond: --trail-days must be 1 to %d (ten years of trail log files)", maxTrailDays)
	}
	if o.jsonOut && !o.investigateOnly {
		return usagef("respond: --json goes with --investigate-only")
	}
	if o.days < 1 || o.days > 90 {
		return usagef("respond: --days must be 1 to 90 (event history keeps 90 days)")
	}
	if o.watch < time.Minute {
		return usagef("respond: --watch must be at least 1m (AWS advises 30m)")
	}
	if err := o.parseTimes(); err != nil {
		return err
	}
	return respondRun(ctx, o)
}

// parseTimes reads --detected-at and --exposed-at, which must be RFC 3339,
// not in the future, and in that order.
func (o *respondOptions) parseTimes() error {
	if o.detected != "" {
		t, err := time.Parse(time.RFC3339, o.detected)
		if err != nil {
			return usagef("respond: --detected-at %q is not RFC 3339 (e.g. 2026-11-23T02:10:00Z)", o.detected)
		}
		if t.After(o.now().Add(clockSkew)) {
			return usagef("respond: --detected-at %s is in the future: give when the leak was detected", o.detected)
		}
		o.detectedAt = t
	}
	if o.exposed != "" {
		t, err := time.Parse(time.RFC3339, o.exposed)
		if err != nil {
			return usagef("respond: --exposed-at %q is not RFC 3339 (e.g. 2026-11-21T18:00:00Z)", o.exposed)
		}
		if t.After(o.now().Add(clockSkew)) {
			return usagef("respond: --exposed-at %s is in the future: give when the key was exposed", o.exposed)
		}
		if !o.detectedAt.IsZero() && t.After(o.detectedAt) {
			return usagef("respond: --exposed-at %s is after --detected-at %s: a key is exposed before its leak is found", o.exposed, o.detected)
		}
		o.exposedAt = t
	}
	return nil
}

// respondRun responds to o.key with checked options: it loads the AWS
// configuration, starts the action log, and runs the investigation alone
// (--investigate-only) or the TUI. A test calls it without flags, with
// fakes for the configuration, the clock, the terminal and the program.
func respondRun(ctx context.Context, o respondOptions) error {
	io := o.IO
	if err := checkInputs(ctx, o); err != nil {
		return err
	}
	mode := runbook.ModeLive
	if o.dryRun || o.investigateOnly {
		mode = runbook.ModeDryRun
	}
	if o.logPath == "" {
		o.logPath = defaultLogName("incident-"+o.key, o.now())
	}
	path := o.logPath
	x, err := buildExecutor(ctx, o, mode)
	if err != nil {
		return err
	}
	j, err := runbook.CreateJournal(path, string(mode), "", nil)
	if err != nil {
		return fmt.Errorf("create the action log: %w", err)
	}
	defer j.Close()
	en, err := runbook.StartEngine(runbook.Config{Mode: mode, WatchWindow: o.watch}, j)
	if err != nil {
		return err
	}
	if o.investigateOnly {
		return investigateOnly(ctx, en, newProgressExecutor(x, io.err), o, path, io)
	}
	if !o.isTerminal() {
		return usagef("respond: needs a terminal; for a headless investigation use --investigate-only --json")
	}
	final, err := o.runProgram(ctx, tui.New(tui.Options{Engine: en, Executor: x, LogPath: path, KeyID: o.key, ExposedAt: o.exposedAt, SweepWindow: time.Duration(o.days) * 24 * time.Hour, Export: exportProposal, Plan: x.Plan}))
	if err != nil {
		return fmt.Errorf("respond: %w (the action log is %s; resume with 'keyrunbook resume %s')", err, path, path)
	}
	if msg := final.(tui.Model).ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, msg)
	}
	return nil
}

// targetFlags declares the flags that say which AWS credentials and
// endpoints an incident acts with: respond's, and resume's to continue one.
func (o *respondOptions) targetFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.profile, "profile", "", "AWS shared-config profile to act with")
	fs.StringVar(&o.region, "region", "", "home region (default: the profile's, else us-east-1)")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "override every AWS endpoint (e.g. a 'keyrunbook sim serve')")
	fs.StringVar(&o.rootProfile, "root-profile", "", "profile holding the key's account root credentials (root key deactivation)")
	fs.StringVar(&o.orgAdminProfile, "org-admin-profile", "", "profile of the Organizations management/delegated admin account (sts:AssumeRoot)")
	fs.StringVar(&o.alarmPrefix, "alarm-prefix", "", "watch only CloudWatch alarms whose name starts with this")
}

// executorOptions are the options every runbook's executor starts from,
// whichever command opens it (respond, or a member's runbook from org).
func executorOptions(mode runbook.Mode, watch time.Duration, logPath string) awsops.ExecutorOptions {
	opts := awsops.ExecutorOptions{DryRun: mode == runbook.ModeDryRun, WatchWindow: watch}
	if mode == runbook.ModeLive {
		// A new key's secret goes next to the log the moment AWS returns
		// it: nowhere else is it ever written (awsops.WriteSecretFile).
		opts.SecretDir = filepath.Dir(logPath)
	}
	return opts
}

func buildExecutor(ctx context.Context, o respondOptions, mode runbook.Mode) (*awsops.Executor, error) {
	// The SDK's own warnings would scribble over the TUI; failures reach the
	// responder as findings and failed effects instead.
	quiet := logging.Nop{}
	cfg, err := o.loadConfig(ctx, awsops.Target{Region: o.region, Profile: o.profile, Endpoint: o.endpoint, Logger: quiet})
	if err != nil {
		return nil, fmt.Errorf("load AWS credentials: %w (set a profile with --profile, or AWS_PROFILE)", err)
	}
	opts := executorOptions(mode, o.watch, o.logPath)
	opts.AlarmPrefix = o.alarmPrefix
	if o.rootProfile != "" {
		root, err := o.loadConfig(ctx, awsops.Target{Region: o.region, Profile: o.rootProfile, Endpoint: o.endpoint, Logger: quiet})
		if err != nil {
			return nil, fmt.Errorf("load root credentials (--root-profile %s): %w", o.rootProfile, err)
		}
		opts.Root = &root
	}
	if o.orgAdminProfile != "" {
		admin, err := o.loadConfig(ctx, awsops.Target{Region: o.region, Profile: o.orgAdminProfile, Endpoint: o.endpoint, Logger: quiet})
		if err != nil {
			return nil, fmt.Errorf("load organization admin credentials (--org-admin-profile %s): %w", o.orgAdminProfile, err)
		}
		opts.OrgAdmin = &admin
	}
	return awsops.NewExecutor(cfg, opts), nil
}

// investigateOnly runs identification and the sweep through the engine,
// so the session is journaled like any other, and prints the result.
func investigateOnly(ctx context.Context, en *runbook.Engine, x runbook.Executor, o respondOptions, path string, io streams) error {
	if err := en.Run(ctx, x, runbook.SubmitKey{KeyID: o.key, DetectedAt: o.detectedAt, ExposedAt: o.exposedAt}); err != nil {
		return err
	}
	st := en.Machine().State()
	rep := awsops.Report{Identification: runbook.KeyIdentified{Caller: st.Intake.Caller, Key: st.Intake.Key, Findings: st.Findings}}
	if st.Effects.LastError != nil {
		rep.Failure = st.Effects.LastError
		return printInvestigation(rep, o, path, io)
	}
	to := o.now().UTC()
	err := en.Run(ctx, x, runbook.BeginInvestigation{From: to.Add(-time.Duration(o.days) * 24 * time.Hour), To: to})
	var refusal *runbook.Refusal
	if errors.As(err, &refusal) {
		return fmt.Errorf("investigate: %s", refusal.Reason)
	}
	if err != nil {
		return err
	}
	if err := addTrailSources(ctx, en, x, o, io); err != nil {
		return err
	}
	st = en.Machine().State()
	rep.Investigation, rep.Failure = st.Investigate.Investigation, st.Effects.LastError
	rep.Findings = st.Findings
	return printInvestigation(rep, o, path, io)
}

func printInvestigation(rep awsops.Report, o respondOptions, path string, io streams) error {
	if o.jsonOut {
		if err := rep.WriteJSON(io.out); err != nil {
			return err
		}
	} else {
		printInvestigationText(rep, io)
	}
	fmt.Fprintf(io.err, "action log: %s\n", path)
	if rep.Failure != nil {
		return &exitError{code: 1}
	}
	if gaps := rep.Investigation.Gaps(); rep.Investigation != nil && len(gaps) > 0 {
		// A partial sweep must not pass for a finished one in a script
		// either: exit 1 and say what was not read.
		fmt.Fprintf(io.err, "investigation INCOMPLETE, not read: %s\n", strings.Join(gaps, "; "))
		if regions := rep.Investigation.FailedRegions(); len(regions) > 0 {
			fmt.Fprintf(io.err, "regions not swept: %s (run again to read them)\n", strings.Join(regions, ", "))
		}
		return &exitError{code: 1}
	}
	return nil
}

func printInvestigationText(rep awsops.Report, io streams) {
	id := rep.Identification
	fmt.Fprintf(io.out, "Key %s: %s, account %s, %s\n", id.Key.KeyID, id.Key.Owner(), id.Key.Account, orDash(string(id.Key.Status)))
	fmt.Fprintf(io.out, "You:  %s (account %s)\n", id.Caller.ARN, id.Caller.Account)
	for _, f := range rep.Identification.Findings {
		fmt.Fprintf(io.out, "  %s: %s\n", f.Severity, runbook.RedactString(f.Message))
	}
	if rep.Failure != nil {
		fmt.Fprintf(io.out, "Investigation failed: %s\n", runbook.RedactString(rep.Failure.Message))
		return
	}
	if inv := rep.Investigation; inv != nil {
		fmt.Fprintf(io.out, "\n%d events, %d callers:\n", inv.Events, len(inv.Callers))
		for _, c := range inv.Callers {
			fmt.Fprintf(io.out, "  %-10s %-12s %-16s %-11s %s\n", c.Label, c.Kind, c.SourceIP, c.Resource, c.Why)
		}
		for _, in := range inv.Indicators {
			fmt.Fprintf(io.out, "  ! %s %s: %s\n", in.Severity, in.Kind, in.Summary)
		}
		for _, g := range inv.Gaps() {
			fmt.Fprintf(io.out, "  NOT READ: %s\n", g)
		}
		for _, c := range inv.Coverage {
			fmt.Fprintf(io.out, "  coverage: %s\n", c)
		}
	}
}

// exportProposal is the TUI's export for review (tui does not import
// awsops): the proposal as AWS CLI commands and as Terraform.
func exportProposal(p runbook.Proposal, account string) (cli, terraform string) {
	return awsops.ExportCLI(p, account), awsops.ExportTerraform(p, account)
}

// addTrailSources reads each trail source after the sweep and merges it.
// An Athena or Lake query is printed before it runs, as built by
// State.TrailQuery: the machine runs that query and no other.
func addTrailSources(ctx context.Context, en *runbook.Engine, x runbook.Executor, o respondOptions, io streams) error {
	for _, src := range o.trailSources() {
		st := en.Machine().State()
		if st.Investigate.Investigation == nil || st.Investigate.Sweeping {
			return nil // the sweep failed: its failure is the report
		}
		var from time.Time // zero: the sweep's window
		if o.trailDays > 0 {
			from = st.Investigate.Investigation.To.Add(-time.Duration(o.trailDays) * 24 * time.Hour)
		}
		q, err := st.TrailQuery(src, from, time.Time{})
		if err != nil {
			return usagef("respond: %s: %v", src, err)
		}
		if q != nil {
			if q.DDL != "" {
				fmt.Fprintf(io.err, "creating %s first:\n%s\n", src.Table, q.DDL)
			}
			fmt.Fprintf(io.err, "%s, running:\n%s\n", src, q.SQL)
			if len(q.Params) > 0 {
				fmt.Fprintf(io.err, "execution parameters: %s\n", strings.Join(q.Params, ", "))
			}
			src.Query = q
		}
		fmt.Fprintf(io.err, "reading %s…\n", src)
		err = en.Run(ctx, trailProgress{inner: x, out: io.err}, runbook.AddTrailSource{Source: src, From: from})
		var refusal *runbook.Refusal
		if errors.As(err, &refusal) {
			return fmt.Errorf("read %s: %s", src, refusal.Reason)
		}
		if err != nil {
			return err
		}
		if f := en.Machine().State().Effects.LastError; f != nil && f.Effect == "ScanTrailSource" {
			fmt.Fprintf(io.err, "%s could not be read: %s\n", src, runbook.RedactString(f.Message))
		}
	}
	return nil
}

// trailProgress prints a trail scan's progress on stderr every few seconds.
type trailProgress struct {
	inner runbook.Executor
	out   io.Writer
}

// Run implements runbook.Executor.
func (p trailProgress) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	var last time.Time
	return p.inner.Run(ctx, e, func(ev runbook.Event) {
		if tp, ok := ev.(runbook.TrailScanProgress); ok && time.Since(last) > 2*time.Second {
			last = time.Now()
			s := tp.Stats
			switch {
			case s.FilesTotal > 0:
				fmt.Fprintf(p.out, "  %d of %d files, %d records, %d of the key's\n", s.Files, s.FilesTotal, s.Records, s.Matched)
			case s.State != "":
				fmt.Fprintf(p.out, "  query %s, %d bytes scanned (about $%.4f)\n", s.State, s.ScannedBytes, s.CostUSD)
			}
		}
		emit(ev)
	})
}
