// Package runbook holds the leaked-key incident as a pure state machine: the
// steps, the events that move between them, the effects they ask the outside
// world to carry out, the guards that refuse unsafe moves, and the action log.
// It does no I/O of its own and imports neither the TUI nor the AWS SDK.
package runbook

// Step is one stage of the incident.
type Step string

// The steps, in the order a responder meets them. Reactivate is the roll-back
// detour from Watch; Closed and Aborted are final.
const (
	StepIntake      Step = "intake"
	StepIdentify    Step = "identify"
	StepInvestigate Step = "investigate"
	StepPropose     Step = "propose"
	StepReplace     Step = "replace"
	StepDeactivate  Step = "deactivate"
	StepWatch       Step = "watch"
	StepReactivate  Step = "reactivate"
	StepDelete      Step = "delete"
	StepHarden      Step = "harden"
	StepClosed      Step = "closed"
	StepAborted     Step = "aborted"
)

// MainSteps is the ordinary path from intake to closing, for step lists.
var MainSteps = []Step{
	StepIntake, StepIdentify, StepInvestigate, StepPropose, StepReplace,
	StepDeactivate, StepWatch, StepDelete, StepHarden, StepClosed,
}

// Title is the step's name as a responder reads it.
func (s Step) Title() string {
	switch s {
	case StepIntake:
		return "Intake"
	case StepIdentify:
		return "Identify"
	case StepInvestigate:
		return "Investigate"
	case StepPropose:
		return "Propose"
	case StepReplace:
		return "Replace"
	case StepDeactivate:
		return "Deactivate"
	case StepWatch:
		return "Watch"
	case StepReactivate:
		return "Reactivate"
	case StepDelete:
		return "Delete"
	case StepHarden:
		return "Harden"
	case StepClosed:
		return "Closed"
	case StepAborted:
		return "Aborted"
	}
	return string(s)
}

// Final reports whether no event can leave the step.
func (s Step) Final() bool { return s == StepClosed || s == StepAborted }

// Mode is how changes are carried out.
type Mode string

// The three modes of DESIGN.md.
const (
	ModeLive     Mode = "live"     // real changes, each confirmed
	ModeDryRun   Mode = "dry-run"  // real reads, changes only journaled as would-call
	ModeTraining Mode = "training" // the simulated account
)

// Valid reports whether m is one of the three modes.
func (m Mode) Valid() bool { return m == ModeLive || m == ModeDryRun || m == ModeTraining }
