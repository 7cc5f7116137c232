// Package tui is keyrunbook's terminal UI, in Bubble Tea v2. It renders the
// runbook's state machine one step at a time, turns the responder's keys
// into machine events, and runs the effects the machine asks for as
// commands. It holds no incident logic: every rule lives in package runbook.
package tui

import (
	"context"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TrainingInfo describes the training scenario being played.
type TrainingInfo struct {
	// Scenario is the scenario's name, Brief its one-paragraph situation.
	Scenario string
	Brief    string
	// ClockSpeed says how fast simulated time runs, e.g. "simulated time ×60".
	ClockSpeed string
	// Hints returns the hint for a step, or "" when there is none.
	Hints func(runbook.Step) string
	// RootSignIn is the scenario's root user, for the root-key drill's
	// sign-in (rootsignin.go); nil when the drill has none.
	RootSignIn *RootSignInInfo
}

// Options are the TUI's dependencies, injected so tests build it with a
// scripted executor and a fixed clock.
type Options struct {
	// Engine is the incident: its machine is what the TUI renders, and every
	// event goes through its Submit (which journals it).
	Engine *runbook.Engine
	// Executor carries effects out (awsops in the program, a script in tests).
	Executor runbook.Executor
	// LogPath is the action log's path, shown for resume and report.
	LogPath string
	// KeyID prefills the intake field (--key), optional.
	KeyID string
	// ExposedAt prefills when the key was exposed (--exposed-at, a
	// scenario's brief), optional.
	ExposedAt time.Time
	// Training, when set, shows the scenario and enables hints.
	Training *TrainingInfo
	// Pending are effects to run at start: a resumed incident's intents
	// that have no result yet, once reconciled.
	Pending []runbook.Effect
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SweepWindow is how far back the CloudTrail sweep looks; zero means
	// runbook.DefaultSweepWindow, all that event history keeps.
	SweepWindow time.Duration
	// Export renders a proposal for review as AWS CLI commands and a
	// Terraform snippet (awsops.ExportCLI, awsops.ExportTerraform: tui
	// does not import awsops). Nil: deciding "export" writes no files.
	Export func(p runbook.Proposal, account string) (cli, terraform string)
	// Plan reads the account for the exact calls an effect would make
	// (awsops.Executor.Plan): every confirmation, and the deactivate,
	// delete and roll-back views, show those, with their real inputs.
	// Reads come back with WouldCall unset and are journaled. Nil: the
	// views say the calls are read as the change runs.
	Plan func(ctx context.Context, e runbook.Effect) ([]runbook.APICall, error)
	// Demo, when set, plays a model response (demo.go).
	Demo *Demo
}

// notice is a one-line message under the step view: a refusal's reason, an
// error, or what just happened.
type notice struct {
	text string
	kind noticeKind
}

type noticeKind int

const (
	noticeInfo noticeKind = iota
	noticeWarn
	noticeDanger
)

// recentCalls is how many APICall notes the TUI keeps to show.
const recentCalls = 12

// Model is the root Bubble Tea model of an incident.
type Model struct {
	opts   Options
	engine *runbook.Engine
	exec   runbook.Executor
	// ctx is cancelled when the program quits, which stops running effects.
	ctx    context.Context
	cancel context.CancelFunc

	sty     styles
	profile colorprofile.Profile
	keys    globalKeys
	dkeys   dialogKeys
	help    help.Model
	spin    spinner.Model
	// spinning is true while a spinner tick is scheduled.
	spinning bool
	// animate schedules the spinner and the clock; tests that run every
	// command to completion turn it off, since those commands never end.
	animate bool

	width, height int
	// clock is the time the view shows, read from opts.Now on each tick so
	// View stays a pure function of the model.
	clock time.Time

	nextID int
	// confirmSerial numbers the confirmations opened, so a plan read for
	// one that closed is not shown in the next.
	confirmSerial int
	inflight      map[int]runbook.Effect // effects running, by command id
	// startup runs the effects of Options.Pending; New prepares it, Init
	// returns it (Init cannot change the model).
	startup tea.Cmd
	notice  notice
	// phone is the root MFA device's code as the trainee last looked at it.
	phone phone

	showHelp  bool
	showHint  bool
	hintsUsed int

	prompt  prompt
	confirm confirmation
	// trail shows what reading a trail source runs, before it runs.
	trail   trailConfirm
	quitAsk bool
	left    bool // the responder left a non-final incident
	// abortedAt is the step an abort left from, for the step list.
	abortedAt runbook.Step

	calls    []runbook.APICall // the most recent notes, oldest first
	lastPoll time.Time         // wall clock of the last watch reading
	// sweepStarted is when the latest sweep was started, for its pace.
	sweepStarted time.Time
	// scan is the running trail scan's progress (shown, not journaled).
	scan runbook.TrailScanStats
	// stepCalls are the calls of the change the step's view describes.
	stepCalls stepCalls
	// narration is the demo's reason for its last move.
	narration string

	intake      intakeView
	investigate investigateView
	propose     proposeView
	replace     replaceView
	cleanup     cleanupList
	remove      deleteView
	harden      hardenView
}

// New builds the TUI for an incident. Run it with tea.NewProgram(tui.New(…)).
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SweepWindow <= 0 {
		opts.SweepWindow = runbook.DefaultSweepWindow
	}
	ctx, cancel := context.WithCancel(context.Background())
	sty := newStyles(true, false)
	m := Model{
		opts:    opts,
		engine:  opts.Engine,
		exec:    opts.Executor,
		ctx:     ctx,
		cancel:  cancel,
		sty:     sty,
		keys:    newGlobalKeys(),
		dkeys:   newDialogKeys(),
		help:    help.New(),
		spin:    spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		clock:   opts.Now(),
		animate: true,
		// Until Bubble Tea reports the terminal's profile, assume colour:
		// the renderer downsamples anyway.
		profile:  colorprofile.TrueColor,
		inflight: map[int]runbook.Effect{},
	}
	m.help.Styles = sty.Help
	m.intake = newIntakeView(opts.KeyID, opts.ExposedAt, sty)
	m.investigate = newInvestigateView(sty)
	m.propose = newProposeView()
	m.remove = newDeleteView(sty)
	m.replace = replaceView{details: map[string]string{}, secrets: map[string]string{}}
	m.startup = m.start(append(slices.Clone(opts.Pending), rereadOnResume(opts)...))
	m.layout()
	m.sync()
	return m
}

// Init asks the terminal for its background colour, starts the clock and
// runs the effects a resumed incident left pending.
func (m Model) Init() tea.Cmd {
	var demo tea.Cmd
	if m.opts.Demo != nil {
		demo = m.demoAfter(m.opts.Demo.Pace)
	}
	return tea.Batch(tea.RequestBackgroundColor, m.tick(), m.intake.focus(), m.startup, demo)
}

// HintsUsed is how many hints the responder asked for (training debrief).
func (m Model) HintsUsed() int { return m.hintsUsed }

// State is the incident's state as the TUI last rendered it.
func (m Model) State() runbook.State { return m.engine.Machine().State() }

// ExitMessage is what to print once the program has ended and the
// terminal is back: how to resume an incident left open, or where its log
// and report are.
func (m Model) ExitMessage() string {
	st := m.State()
	switch {
	case st.Step.Final():
		return "Action log: " + m.logPath() + "\nReport:     keyrunbook report " + m.logPath() + " --format md"
	case st.KeyID == "":
		return "No incident was started. The action log is " + m.logPath() + "."
	}
	return "The incident is still open at step " + st.Step.Title() + ".\nResume it with: keyrunbook resume " + m.logPath()
}

func (m Model) logPath() string {
	if m.opts.LogPath == "" {
		return "LOG"
	}
	return m.opts.LogPath
}

// clockMsg re-reads the clock once a second (watch timer, wait times).
type clockMsg struct{}

func (m Model) tick() tea.Cmd {
	if !m.animate {
		return nil
	}
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// waiting reports whether something is in flight, which shows a spinner.
func (m Model) waiting() bool {
	return len(m.inflight) > 0 || len(m.State().Effects.Pending) > 0 || m.confirm.planning > 0
}
