package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
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

Examples:
  keyrunbook respond --key AKIAIOSFODNN7EXAMPLE --dry-run --profile security-audit
  keyrunbook respond --key AKIAIOSFODNN7EXAMPLE --investigate-only --json > findings.json
`

type respondOptions struct {
	key, profile, region, endpoint, logPath   string
	rootProfile, orgAdminProfile, alarmPrefix string
	dryRun, investigateOnly, jsonOut          bool
	watch                                     time.Duration
	days                                      int
	detected                                  string
}

func cmdRespond(ctx context.Context, args []string, io streams) error {
	fs := newFlags("respond", respondHelp, io.out)
	var o respondOptions
	fs.StringVar(&o.key, "key", "", "the leaked access key ID (AKIA…), required")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read for real, change nothing: journal each change as would-call")
	fs.BoolVar(&o.investigateOnly, "investigate-only", false, "identify and investigate only, no TUI, no change")
	fs.BoolVar(&o.jsonOut, "json", false, "with --investigate-only: print the result as JSON")
	fs.StringVar(&o.profile, "profile", "", "AWS shared-config profile to act with")
	fs.StringVar(&o.region, "region", "", "home region (default: the profile's, else us-east-1)")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "override every AWS endpoint (e.g. a 'keyrunbook sim serve')")
	fs.StringVar(&o.rootProfile, "root-profile", "", "profile holding the key's account root credentials (root key deactivation)")
	fs.StringVar(&o.orgAdminProfile, "org-admin-profile", "", "profile of the Organizations management/delegated admin account (sts:AssumeRoot)")
	fs.StringVar(&o.alarmPrefix, "alarm-prefix", "", "watch only CloudWatch alarms whose name starts with this")
	fs.StringVar(&o.logPath, "log", "", "action log path (default keyrunbook-incident-KEY-TIME.jsonl here)")
	fs.DurationVar(&o.watch, "watch", runbook.DefaultWatchWindow, "watch window after deactivation")
	fs.IntVar(&o.days, "days", 90, "how many days of CloudTrail event history to sweep, 1 to 90 (event history keeps 90)")
	fs.StringVar(&o.detected, "detected-at", "", "when the leak was detected (RFC 3339), for time-to-detect")
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
	if o.jsonOut && !o.investigateOnly {
		return usagef("respond: --json goes with --investigate-only")
	}
	if o.days < 1 || o.days > 90 {
		return usagef("respond: --days must be 1 to 90 (event history keeps 90 days)")
	}
	if o.watch < time.Minute {
		return usagef("respond: --watch must be at least 1m (AWS advises 30m)")
	}
	var detectedAt time.Time
	if o.detected != "" {
		t, err := time.Parse(time.RFC3339, o.detected)
		if err != nil {
			return usagef("respond: --detected-at %q is not RFC 3339 (e.g. 2026-11-23T02:10:00Z)", o.detected)
		}
		detectedAt = t
	}
	mode := runbook.ModeLive
	if o.dryRun || o.investigateOnly {
		mode = runbook.ModeDryRun
	}
	x, err := buildExecutor(ctx, o, mode)
	if err != nil {
		return err
	}
	path := o.logPath
	if path == "" {
		path = defaultLogName("incident-"+o.key, time.Now())
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
		return investigateOnly(ctx, en, newProgressExecutor(x, io.err), o, detectedAt, path, io)
	}
	if !interactive() {
		return usagef("respond: needs a terminal; for a headless investigation use --investigate-only --json")
	}
	final, err := tea.NewProgram(tui.New(tui.Options{Engine: en, Executor: x, LogPath: path, KeyID: o.key, SweepWindow: time.Duration(o.days) * 24 * time.Hour}), tea.WithContext(ctx)).Run()
	if err != nil {
		return fmt.Errorf("respond: %w (the action log is %s; resume with 'keyrunbook resume %s')", err, path, path)
	}
	if msg := final.(tui.Model).ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, msg)
	}
	return nil
}

func buildExecutor(ctx context.Context, o respondOptions, mode runbook.Mode) (*awsops.Executor, error) {
	// The SDK's own warnings would scribble over the TUI; failures reach the
	// responder as findings and failed effects instead.
	quiet := logging.Nop{}
	cfg, err := awsops.LoadConfig(ctx, awsops.Target{Region: o.region, Profile: o.profile, Endpoint: o.endpoint, Logger: quiet})
	if err != nil {
		return nil, fmt.Errorf("load AWS credentials: %w (set a profile with --profile, or AWS_PROFILE)", err)
	}
	opts := awsops.ExecutorOptions{DryRun: mode == runbook.ModeDryRun, WatchWindow: o.watch, AlarmPrefix: o.alarmPrefix}
	if o.rootProfile != "" {
		root, err := awsops.LoadConfig(ctx, awsops.Target{Region: o.region, Profile: o.rootProfile, Endpoint: o.endpoint, Logger: quiet})
		if err != nil {
			return nil, fmt.Errorf("load root credentials (--root-profile %s): %w", o.rootProfile, err)
		}
		opts.Root = &root
	}
	if o.orgAdminProfile != "" {
		admin, err := awsops.LoadConfig(ctx, awsops.Target{Region: o.region, Profile: o.orgAdminProfile, Endpoint: o.endpoint, Logger: quiet})
		if err != nil {
			return nil, fmt.Errorf("load organization admin credentials (--org-admin-profile %s): %w", o.orgAdminProfile, err)
		}
		opts.OrgAdmin = &admin
	}
	return awsops.NewExecutor(cfg, opts), nil
}

// investigateOnly runs identification and the sweep through the engine,
// so the session is journaled like any other, and prints the result.
func investigateOnly(ctx context.Context, en *runbook.Engine, x runbook.Executor, o respondOptions, detectedAt time.Time, path string, io streams) error {
	if err := en.Run(ctx, x, runbook.SubmitKey{KeyID: o.key, DetectedAt: detectedAt}); err != nil {
		return err
	}
	st := en.Machine().State()
	rep := awsops.Report{Identification: runbook.KeyIdentified{Caller: st.Caller, Key: st.Key, Findings: st.Findings}}
	if st.LastError != nil {
		rep.Failure = st.LastError
		return printInvestigation(rep, o, path, io)
	}
	to := time.Now().UTC()
	err := en.Run(ctx, x, runbook.BeginInvestigation{From: to.Add(-time.Duration(o.days) * 24 * time.Hour), To: to})
	var refusal *runbook.Refusal
	if errors.As(err, &refusal) {
		return fmt.Errorf("investigate: %s", refusal.Reason)
	}
	if err != nil {
		return err
	}
	st = en.Machine().State()
	rep.Investigation, rep.Failure = st.Investigation, st.LastError
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
		for _, c := range inv.Coverage {
			fmt.Fprintf(io.out, "  coverage: %s\n", c)
		}
	}
}
