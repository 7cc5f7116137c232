package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
	"github.com/charmbracelet/x/term"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

const trainHelp = `
keyrunbook train [--scenario NAME | --scenario-file PATH] — practise a leaked-key incident.

Starts a simulated AWS account in-process on loopback (no AWS account, no
network), points the real AWS SDK at it, and runs the same runbook as a live
incident. Workloads in the scenario keep calling AWS: one whose key you turn
off before it has a replacement starts failing. Simulated time runs fast
(--speed, simulated seconds per real second) so the watch window passes in
seconds. Press h for a hint (hints cost points). A debrief scores the run
out of 100 at the end; it is written into the action log too.

Without --scenario, a menu lists the scenarios. --list prints them.

--demo plays the model response instead, narrating each decision (why this
caller gets a role, why deactivate now) at a readable pace (--pace between
moves), for people learning the runbook. --demo --no-tui plays it without
a terminal, every scenario unless --scenario names one, prints the
narration and the debrief, writes each action log, and exits non-zero
unless every one closed with 100: a scriptable whole-flow check.

Example:
  keyrunbook train
  keyrunbook train --scenario root-key-ec2-onprem --log drill.jsonl
  keyrunbook train --demo --scenario minted-session
  keyrunbook train --demo --no-tui
`

// trainOptions are train's flags and its injected dependencies (deps):
// trainRun is what a test calls without flags or a terminal.
type trainOptions struct {
	deps
	IO streams

	scenario, scenarioFile, logPath string
	list, demo, noTUI               bool
	speed                           float64
	watch, pace                     time.Duration
}

func cmdTrain(ctx context.Context, args []string, io streams) error {
	fs := newFlags("train", trainHelp, io.out)
	o := trainOptions{IO: io}
	fs.StringVar(&o.scenario, "scenario", "", "scenario to play (skips the menu)")
	fs.StringVar(&o.scenarioFile, "scenario-file", "", "a scenario file of your own (format: README, 'Scenario files')")
	fs.StringVar(&o.logPath, "log", "", "action log path (default keyrunbook-training-SCENARIO-TIME.jsonl here)")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.Float64Var(&o.speed, "speed", 60, "simulated seconds per real second while waiting")
	fs.DurationVar(&o.watch, "watch", runbook.DefaultWatchWindow, "watch window after deactivation (simulated time)")
	fs.BoolVar(&o.demo, "demo", false, "play the model response, narrated")
	fs.BoolVar(&o.noTUI, "no-tui", false, "with --demo: play headless, printing the narration")
	fs.DurationVar(&o.pace, "pace", 4*time.Second, "with --demo: real time between two moves in the TUI")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.noTUI && !o.demo {
		return usagef("train: --no-tui plays the demo headless; give --demo too")
	}
	if fs.NArg() > 0 {
		return usagef("train: unexpected argument %q (did you mean --scenario %s?)", fs.Arg(0), fs.Arg(0))
	}
	if o.list {
		fmt.Fprintln(io.out, "Scenarios:")
		fmt.Fprintln(io.out, strings.Join(scenarioMenu(), "\n"))
		return nil
	}
	if o.scenario != "" && o.scenarioFile != "" {
		return usagef("train: give --scenario or --scenario-file, not both")
	}
	if o.speed <= 0 {
		return usagef("train: --speed must be positive")
	}
	if o.watch < time.Minute {
		return usagef("train: --watch must be at least 1m")
	}
	return trainRun(ctx, o)
}

// trainRun plays a drill with checked options: the demo headless, or the
// scenario named (the menu picks one when none is) in the TUI.
func trainRun(ctx context.Context, o trainOptions) error {
	io := o.IO
	if o.demo && o.noTUI {
		scenarios, err := demoScenarios(o)
		if err != nil {
			return err
		}
		return playDemoHeadless(ctx, scenarios, o, io.out)
	}
	if o.scenario == "" && o.scenarioFile == "" {
		if !o.isTerminal() {
			return usagef("train: no terminal for the menu; pick a scenario with --scenario NAME (see --list)")
		}
		name, ok, err := pickScenario(ctx, o.deps)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(io.err, "No scenario picked.")
			return nil
		}
		o.scenario = name
	}
	sc, err := loadScenario(o.scenario, o.scenarioFile)
	if err != nil {
		return err
	}
	if !o.isTerminal() {
		return usagef("train: needs a terminal (run it in one; for a headless investigation use 'respond --investigate-only', for a headless demo 'train --demo --no-tui')")
	}
	if sc.Organization != nil {
		// An organization's campaign: the audit, then a runbook per member.
		if o.demo {
			return playCampaignTUI(ctx, sc, o, io)
		}
		if o.scenario == "" {
			return usagef("train: an organization's scenario file is played with --demo, or with 'keyrunbook org --scenario NAME' when embedded")
		}
		org, err := parseOrg([]string{"--scenario", o.scenario, "--watch", o.watch.String()}, io)
		if err != nil {
			return err
		}
		org.deps = o.deps
		return orgRun(ctx, org)
	}
	return playTraining(ctx, sc, o, io)
}

// demoScenarios are the scenarios a headless demo plays: the one named,
// or every shipped one.
func demoScenarios(o trainOptions) ([]*sim.Scenario, error) {
	if o.scenario != "" || o.scenarioFile != "" {
		sc, err := loadScenario(o.scenario, o.scenarioFile)
		if err != nil {
			return nil, err
		}
		return []*sim.Scenario{sc}, nil
	}
	var out []*sim.Scenario
	for _, info := range sim.Scenarios() {
		sc, err := sim.LoadScenario(info.Name)
		if err != nil {
			return nil, fmt.Errorf("load scenario %s: %w", info.Name, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// interactive reports whether standard input and output are a terminal.
func interactive() bool {
	return term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
}

func pickScenario(ctx context.Context, d deps) (string, bool, error) {
	var items []tui.MenuItem
	for _, s := range sim.Scenarios() {
		items = append(items, tui.MenuItem{Name: s.Name, Brief: s.Brief})
	}
	final, err := d.runProgram(ctx, tui.NewMenu(items))
	if err != nil {
		return "", false, fmt.Errorf("scenario menu: %w", err)
	}
	name, ok := final.(tui.MenuModel).Chosen()
	return name, ok, nil
}

// training is a simulated account wired to the real SDK and an executor.
type training struct {
	sim   *sim.Sim
	sc    *sim.Scenario
	exec  *awsops.Executor
	clock *awsops.SimClock
	stop  func()
	speed float64
	// org is the organization's sim when sim is one of its members
	// (org_campaign.go): the clock is the organization's.
	org *sim.Sim
}

// advance moves the simulated clock: the organization's, members and all.
func (t *training) advance(d time.Duration) {
	if t.org != nil {
		t.org.Advance(d)
		return
	}
	t.sim.Advance(d)
}

// startTraining starts the simulated account on loopback and builds the
// executor against it, as live mode would against AWS.
func startTraining(ctx context.Context, sc *sim.Scenario, speed float64, watch time.Duration) (*training, error) {
	// A drill's sweep of 90 busy days at AWS's 2 requests per second takes
	// minutes; the simulated account allows trainingSweepRate so the
	// trainee spends the time reading callers, not waiting.
	s, err := sim.New(sc, sim.WithThrottle(trainingSweepRate))
	if err != nil {
		return nil, fmt.Errorf("start the simulated account: %w", err)
	}
	url, stop, err := s.Start()
	if err != nil {
		return nil, err
	}
	id, secret := s.ResponderCredentials()
	cfg, err := awsops.LoadConfig(ctx, awsops.Target{
		Region: "us-east-1", Endpoint: url, Logger: logging.Nop{},
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	})
	if err != nil {
		stop()
		return nil, err
	}
	t := &training{sim: s, sc: sc, stop: stop, speed: speed}
	t.clock = awsops.NewSimClock(s.Now, s.Advance, speed)
	opts := drillOptions(s, sc, t.clock, watch)
	// The trainee obtains root's credentials as a responder would, by the
	// root user's sign-in with MFA (issue 18): the session is the
	// simulated console's, and a wrong code is refused as AWS's is.
	opts.RootSignIn = func(_ context.Context, code string) (aws.CredentialsProvider, error) {
		id, secret, err := s.RootSignIn(s.RootEmail(), code)
		return credentials.NewStaticCredentialsProvider(id, secret, ""), err
	}
	t.exec = awsops.NewExecutor(cfg, opts)
	t.exec.Clients().SweepRate = trainingSweepRate
	return t, nil
}

// rootSignInInfo is what the drill's root sign-in shows of the simulated
// root user: its email address and MFA device, whose code it reads on
// request as the trainee's phone would.
func rootSignInInfo(s *sim.Sim) *tui.RootSignInInfo {
	info := &tui.RootSignInInfo{Email: s.RootEmail(), Code: s.RootMFACode}
	info.Device, _ = s.RootMFADevice()
	return info
}

// trainingSweepRate is the LookupEvents pace in training, per region.
const trainingSweepRate = 100

func defaultLogName(prefix string, now time.Time) string {
	return fmt.Sprintf("keyrunbook-%s-%s.jsonl", prefix, now.UTC().Format("20060102T150405Z"))
}

func playTraining(ctx context.Context, sc *sim.Scenario, o trainOptions, io streams) error {
	t, err := startTraining(ctx, sc, o.speed, o.watch)
	if err != nil {
		return err
	}
	defer t.stop()
	path := o.logPath
	if path == "" {
		path = defaultLogName("training-"+sc.Name, o.now())
	}
	j, err := runbook.CreateJournal(path, string(runbook.ModeTraining), "", t.sim.Now)
	if err != nil {
		return fmt.Errorf("create the action log: %w", err)
	}
	defer j.Close()
	en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeTraining, WatchWindow: o.watch, Scenario: scenarioRef(o, sc)}, j)
	if err != nil {
		return err
	}
	opts := tui.Options{
		Engine: en, Executor: t.exec, LogPath: path, KeyID: t.sim.LeakedKeyID(), ExposedAt: t.sim.ExposedAt(),
		Training: &tui.TrainingInfo{Scenario: sc.Name, Brief: sc.Brief, ClockSpeed: fmt.Sprintf("simulated time ×%g", o.speed), Hints: hint,
			RootSignIn: rootSignInInfo(t.sim)},
		Now:    t.sim.Now,
		Export: exportProposal,
		Plan:   t.exec.Plan,
	}
	if o.demo {
		opts.Demo = demoFor(sc, t, o.pace)
	}
	model := tui.New(opts)
	final, err := o.runProgram(ctx, model)
	if err != nil {
		return fmt.Errorf("training: %w (the action log is %s)", err, path)
	}
	fm := final.(tui.Model)
	db, err := debrief(j, path, drillFor(sc), unhealthy(t.sim), fm.HintsUsed())
	if err != nil {
		return err
	}
	fmt.Fprint(io.out, db.Text())
	// The exit message says where the log and the report are, once.
	if msg := fm.ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, "\n"+msg)
	}
	return nil
}

// demoFor is the TUI's demo of sc's model response (model.go), its moves
// paced for a reader.
func demoFor(sc *sim.Scenario, t *training, pace time.Duration) *tui.Demo {
	plan := newModelPlan(sc, t.sim)
	return &tui.Demo{Pace: pace, Next: func(st runbook.State) (string, runbook.Event, bool) {
		mv, ok := plan.next(st)
		if !ok {
			return "", nil, true
		}
		if mv.event != nil && mv.wait > 0 {
			t.advance(mv.wait)
		}
		return mv.why, mv.event, false
	}}
}

// debrief scores the run from its action log and journals the score.
func debrief(j *runbook.Journal, path string, d runbook.Drill, broken []string, hints int) (runbook.Debrief, error) {
	records, _, err := runbook.ReadJournalFile(path)
	if err != nil {
		return runbook.Debrief{}, fmt.Errorf("debrief: %w", err)
	}
	db, err := runbook.Score(d, records, broken, hints)
	if err != nil {
		return runbook.Debrief{}, err
	}
	if _, err := j.Append(runbook.RecordEvent, records[len(records)-1].Step, "Debrief", db); err != nil {
		return db, fmt.Errorf("journal the debrief: %w", err)
	}
	return db, nil
}
