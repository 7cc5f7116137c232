package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const orgHelp = `
keyrunbook org [--json | --csv] [--log PATH] [--retire-unused [--dry-run]]

Audits the root user of every account in the organization (Security Hub
control IAM.4, "root user access keys should not exist"), with the
management account's or the IAM delegated administrator's credentials: it
lists the accounts (organizations:ListAccounts) and, in each member, opens
an sts:AssumeRoot session with the IAMAuditRootUserCredentials task policy
to read the root user's access keys, their last use, MFA and console
password. The table lists the accounts riskiest first (a key used recently,
no MFA), each with its next move as a command. "Used within --days" is
measured from the organization's clock: the Date of the server's answer
(the simulated clock with --scenario), shown on stderr. Progress goes to
stderr.

Every account read is journaled (--log); run the same command with the same
--log to resume an interrupted audit. Without privileged root actions in
member accounts (RootSessions) it prints the calls that enable centralized
root access and falls back to Security Hub's IAM.4 findings.

--retire-unused deletes, after one review, the root keys that no caller used
within --days (through AssumeRoot with IAMDeleteRootUserCredentials: root
keys cannot be deactivated that way), each deletion journaled. That needs
root credentials management too: without it, it refuses before the review
and prints the call that enables it. A key in use
needs its runbook: keyrunbook respond --key AKIA… --org-admin-profile …

Examples:
  keyrunbook org --profile org-management > root-keys.txt
  keyrunbook org --json --log org-audit.jsonl > root-keys.json
  keyrunbook org --scenario org-iam4            (a simulated organization)
`

// orgOptions are org's flags and its injected dependencies (deps): the
// configuration loader, the local clock (the log's name, and "now" when
// the server sends no Date), the terminal check and the program runner.
type orgOptions struct {
	deps
	IO streams

	profile, region, endpoint, logPath, scenario string
	jsonOut, csvOut, retire, dryRun, yes         bool
	memberRole                                   string
	watch                                        time.Duration
	days, parallel                               int
	rate                                         float64
	// simOrg is the simulated organization of --scenario, once started.
	simOrg *sim.Sim
	// clock is the organization's own clock where keyrunbook holds it: the
	// simulated organization's (--scenario, the kill-point test's). Nil:
	// "now" is the server's, from the Date of its first answer (orgNow).
	clock func() time.Time
}

func cmdOrg(ctx context.Context, args []string, io streams) error {
	o, err := parseOrg(args, io)
	if err != nil {
		return err
	}
	return orgRun(ctx, o)
}

// parseOrg reads org's flags into checked options with the real deps.
func parseOrg(args []string, io streams) (orgOptions, error) {
	f := newFlags("org", orgHelp, io.out)
	o := orgOptions{IO: io}
	f.BoolVar(&o.jsonOut, "json", false, "print the table as JSON")
	f.BoolVar(&o.csvOut, "csv", false, "print the table as CSV")
	f.StringVar(&o.profile, "profile", "", "AWS shared-config profile of the management (or delegated admin) account")
	f.StringVar(&o.region, "region", "", "region of the STS and Security Hub endpoints (default: the profile's, else us-east-1)")
	f.StringVar(&o.endpoint, "endpoint-url", "", "override every AWS endpoint (e.g. a 'keyrunbook sim serve --scenario org-iam4')")
	f.StringVar(&o.logPath, "log", "", "action log path; an existing one is resumed (default keyrunbook-org-TIME.jsonl here)")
	f.StringVar(&o.scenario, "scenario", "", "audit a simulated organization (e.g. org-iam4) instead of AWS")
	f.IntVar(&o.days, "days", 90, "a key used within this many days has a caller (not retired in bulk)")
	f.IntVar(&o.parallel, "parallel", awsops.DefaultOrgWorkers, "accounts audited at once")
	f.Float64Var(&o.rate, "rate", awsops.DefaultAssumeRootRate, "sts:AssumeRoot calls per second (STS allows 600 per account per Region, shared)")
	f.BoolVar(&o.retire, "retire-unused", false, "after the audit, delete the root keys unused within --days (one review, then each deletion journaled)")
	f.BoolVar(&o.dryRun, "dry-run", false, "with --retire-unused: read for real, delete nothing (journal would delete)")
	f.BoolVar(&o.yes, "yes", false, "with --retire-unused: skip the confirmation (the review is still printed)")
	f.StringVar(&o.memberRole, "member-role", "OrganizationAccountAccessRole", "role assumed in a member account to run the runbook of its root key")
	f.DurationVar(&o.watch, "watch", runbook.DefaultWatchWindow, "watch window of a member's runbook")
	if err := parseFlags(f, args); err != nil {
		return orgOptions{}, err
	}
	switch {
	case f.NArg() > 0:
		return orgOptions{}, usagef("org: unexpected argument %q", f.Arg(0))
	case o.jsonOut && o.csvOut:
		return orgOptions{}, usagef("org: --json and --csv exclude each other")
	case o.days < 1:
		return orgOptions{}, usagef("org: --days must be at least 1")
	case o.parallel < 1 || o.parallel > 1000:
		return orgOptions{}, usagef("org: --parallel must be 1 to 1000")
	case o.rate <= 0 || o.rate > awsops.DefaultAssumeRootRate:
		return orgOptions{}, usagef("org: --rate must be above 0 and at most %v (STS's quota)", awsops.DefaultAssumeRootRate)
	case (o.dryRun || o.yes) && !o.retire:
		return orgOptions{}, usagef("org: --dry-run and --yes go with --retire-unused")
	}
	return o, nil
}

// orgRun audits the organization with checked options: against AWS (or
// --endpoint-url), or a simulated organization started here for
// --scenario. A test calls it without flags, with fakes.
func orgRun(ctx context.Context, o orgOptions) error {
	cfg, mode, stop, err := orgTarget(ctx, &o)
	if err != nil {
		return err
	}
	defer stop()
	return auditOrg(ctx, cfg, mode, o)
}

// auditOrg audits (resuming the log at o.logPath), prints the table, and
// retires with --retire-unused: the whole command once its target is
// built (the kill-point test runs it against its own account, killed and
// resumed).
func auditOrg(ctx context.Context, cfg aws.Config, mode runbook.Mode, o orgOptions) error {
	io := o.IO
	audit := awsops.NewOrgAudit(cfg)
	audit.AssumeRootRate, audit.Workers = o.rate, o.parallel

	path := o.logPath
	if path == "" {
		path = defaultLogName("org", o.now())
	}
	j, done, err := openOrgJournal(path, mode)
	if err != nil {
		return err
	}
	defer j.Close()
	if len(done) > 0 {
		fmt.Fprintf(io.err, "resuming from %s: %d accounts already audited\n", path, len(done))
	}
	accounts := make([]runbook.RootAudit, 0, len(done))
	for _, a := range done {
		accounts = append(accounts, a)
	}
	var mu sync.Mutex
	last := time.Now()
	res, err := audit.Run(ctx, done, func(a runbook.RootAudit) error {
		if _, err := j.Append(runbook.RecordResult, runbook.StepOrgAudit, runbook.RecordRootAudited, a); err != nil {
			return fmt.Errorf("journal account %s: %w", a.Account, err)
		}
		mu.Lock()
		accounts = append(accounts, a)
		mu.Unlock()
		return nil
	}, func(p awsops.OrgProgress) {
		if time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(io.err, "  %d accounts audited\n", p.Done+len(done))
		}
	})
	if err != nil {
		fmt.Fprintf(io.err, "%d accounts audited before the audit stopped; they are in %s\n", res.Audited, path)
		return err
	}
	fmt.Fprintf(io.err, "organization %s: %d accounts audited (%d resumed from %s)\n", res.Organization, res.Audited+res.Resumed, res.Resumed, path)
	if res.Advice != "" {
		fmt.Fprintf(io.err, "! %s\n", res.Advice)
	}
	if res.Throttled > 0 {
		fmt.Fprintf(io.err, "STS throttled sts:AssumeRoot %d times (retried): other callers share the management account's quota; lower --rate to leave them room\n", res.Throttled)
	}
	now, from := o.orgNow(res)
	fmt.Fprintf(io.err, "now %s, from %s: last use is measured from it\n", now.UTC().Format(orgTimeFormat), from)
	if d := now.Sub(o.now()).Abs(); o.endpoint == "" && o.clock == nil && d > clockSkew {
		// AWS's Date is the true time: a wrong local clock must not age keys.
		fmt.Fprintf(io.err, "this machine's clock is %s off AWS's; AWS's is used\n", d.Round(time.Second))
	}
	window := time.Duration(o.days) * 24 * time.Hour
	runbook.SortByRisk(accounts, now, window)
	t := orgTable{Result: res, Accounts: accounts, Now: now, NowFrom: from, Window: window, next: o.nextStep(path, now, window, res.Features)}
	switch {
	case o.jsonOut:
		err = t.writeJSON(io.out)
	case o.csvOut:
		err = t.writeCSV(io.out)
	case o.isTerminal() && !o.retire:
		return orgTUI(ctx, cfg, audit, j, t, mode, o)
	default:
		err = t.writeText(io.out)
	}
	if err != nil || !o.retire {
		return err
	}
	return retireUnused(ctx, audit, j, t, o)
}

// orgTarget builds the audit against AWS, or against a simulated
// organization started in-process for --scenario, whose clock it keeps
// (o.clock).
func orgTarget(ctx context.Context, o *orgOptions) (aws.Config, runbook.Mode, func(), error) {
	t := awsops.Target{Region: o.region, Profile: o.profile, Endpoint: o.endpoint, Logger: logging.Nop{}}
	mode, stop := runbook.ModeLive, func() {}
	if o.dryRun {
		mode = runbook.ModeDryRun
	}
	if o.scenario != "" {
		sc, err := sim.LoadScenario(o.scenario)
		if err != nil {
			return aws.Config{}, "", nil, usagef("org: %v", err)
		}
		if sc.Organization == nil {
			return aws.Config{}, "", nil, usagef("org: scenario %s has no organization (try org-iam4)", o.scenario)
		}
		s, err := sim.New(sc, sim.WithThrottle(trainingSweepRate))
		if err != nil {
			return aws.Config{}, "", nil, fmt.Errorf("start the simulated organization: %w", err)
		}
		o.simOrg = s
		// Served here rather than with s.Start, to close at once on exit:
		// a graceful shutdown waits for idle keep-alive connections.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return aws.Config{}, "", nil, fmt.Errorf("start the simulated organization: %w", err)
		}
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed on Close
		id, secret := s.ResponderCredentials()
		t = awsops.Target{Region: "us-east-1", Endpoint: "http://" + ln.Addr().String(),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), Logger: logging.Nop{}}
		stop = func() { _ = srv.Close() }
		mode, o.clock = runbook.ModeTraining, s.Now
	}
	cfg, err := o.loadConfig(ctx, t)
	if err != nil {
		stop()
		return aws.Config{}, "", nil, fmt.Errorf("load AWS credentials: %w (set the management account's profile with --profile, or AWS_PROFILE)", err)
	}
	return cfg, mode, stop, nil
}

// orgTimeFormat is how org shows its "now".
const orgTimeFormat = "2006-01-02 15:04 UTC"

// orgNow is the time "used within --days" is measured from, and where it
// came from. The organization's clock decides which keys look unused, so
// it is the organization's own: the simulated one held here, else the
// server's, from the Date of the audit's first answer (a simulator served
// by 'keyrunbook sim serve' may live in another year; AWS's is the true
// time, whatever this machine's clock says), else this machine's.
func (o orgOptions) orgNow(res awsops.OrgAuditResult) (time.Time, string) {
	switch {
	case o.clock != nil:
		return o.clock(), "the simulated organization's clock"
	case !res.ServerTime.IsZero():
		return res.ServerTime, "the server's clock"
	}
	return o.now(), "this machine's clock (the server's answer had no Date)"
}

// openOrgJournal resumes an existing org action log or starts one.
func openOrgJournal(path string, mode runbook.Mode) (*runbook.Journal, map[string]runbook.RootAudit, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		j, err := runbook.CreateJournal(path, string(mode), "", nil)
		if err != nil {
			return nil, nil, fmt.Errorf("create the action log: %w", err)
		}
		return j, nil, nil
	}
	j, recs, err := runbook.OpenJournal(path, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("resume the org action log: %w", err)
	}
	done, _, err := runbook.AuditedAccounts(recs)
	if err != nil {
		_ = j.Close()
		return nil, nil, err
	}
	return j, done, nil
}
