package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The model response to a training scenario, one move at a time: what a
// careful responder does next from the incident's state, and why. The
// demo plays it (train --demo), the scripted drills test it. It reads the
// scenario's ground truth only where a trainee would read the account by
// hand: a function the investigation could not name, a caller's schedule.

// demoSweep is the model's sweep window: eight days hold the oldest
// attacker's first call (6 days 4 hours back, root-key-ec2-onprem) and
// every workload's schedule (the longest is 1 day); the default 90 days
// would only make the drill slower.
const demoSweep = 8 * 24 * time.Hour

// move is one step of the model response: the event, why it is the right
// one now, and a wait of the simulated clock before it (a scheduled
// caller's next run). A zero move means nothing to do but wait for the
// effects in flight.
type move struct {
	event runbook.Event
	why   string
	wait  time.Duration
}

// modelPlan is the model response's memory between moves.
type modelPlan struct {
	sc    *sim.Scenario
	drill runbook.Drill
	keyID string
	// exposedAt is when the scenario's brief says the key leaked.
	exposedAt time.Time
	now       func() time.Time
	// checked and waited mark the callers the model checked for a move,
	// and waited for once.
	checked, waited map[string]bool
	// orgMember says the key is an Organizations member's root key,
	// reached from the management account (org_campaign.go).
	orgMember bool
	// mfaCode reads the root user's MFA device, as a responder reads the
	// phone at sign-in.
	mfaCode func() string
}

func newModelPlan(sc *sim.Scenario, s *sim.Sim) *modelPlan {
	return &modelPlan{sc: sc, drill: drillFor(sc), keyID: s.LeakedKeyID(), exposedAt: s.ExposedAt(), now: s.Now,
		checked: map[string]bool{}, waited: map[string]bool{}, mfaCode: s.RootMFACode}
}

// next is the model's next move from st; ok is false when the incident is
// over.
func (p *modelPlan) next(st runbook.State) (mv move, ok bool) {
	if st.Step.Final() {
		return move{}, false
	}
	if len(st.Effects.Pending) > 0 || st.Investigate.Sweeping {
		return move{}, true // effects in flight: wait for them
	}
	switch st.Step {
	case runbook.StepIntake:
		why := "The alert names the key " + p.keyID + ": start from its ID. keyrunbook never needs the secret."
		if !p.exposedAt.IsZero() {
			why += " The brief says when it leaked: a caller first seen after that is not a workload until proven so."
		}
		return move{event: runbook.SubmitKey{KeyID: p.keyID, ExposedAt: p.exposedAt}, why: why}, true
	case runbook.StepIdentify:
		now := p.now()
		return move{event: runbook.BeginInvestigation{From: now.Add(-demoSweep), To: now},
			why: identifyWhy(st)}, true
	case runbook.StepInvestigate:
		return move{event: runbook.BeginProposals{}, why: investigateWhy(st)}, true
	case runbook.StepPropose:
		return p.propose(st), true
	case runbook.StepReplace:
		return p.replace(st), true
	case runbook.StepDeactivate:
		return p.contain(st), true
	case runbook.StepDelete:
		if st.NeedsRootSignIn() {
			return move{event: runbook.SignInAsRoot{},
				why: "The deletion needs root's credentials in member account " + st.Intake.Key.Account + ": open a root session with sts:AssumeRoot from the management account (task policy IAMDeleteRootUserCredentials, at most 15 minutes). Every call in it is root's, and the log says so."}, true
		}
		why := "The window passed with nothing blocking: delete the key for good, typing its last four characters as the confirmation."
		if p.orgMember && st.Intake.Key.Root {
			why += " It goes through sts:AssumeRoot with IAMDeleteRootUserCredentials, from the management account."
		}
		return move{event: runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)}, why: why}, true
	case runbook.StepHarden:
		for _, it := range st.Harden.Checklist {
			if strings.HasPrefix(it.ID, "follow-up-") && !it.OK {
				return move{event: runbook.ConfirmFollowUp{ID: it.ID, Note: "done in the console"},
					why: "What the attacker's techniques left is done by hand (" + it.Title + "): confirm it, so the report shows it closed."}, true
			}
		}
		if st.Harden.ContainmentSCPOpen() && st.Mode != runbook.ModeDryRun {
			return move{event: runbook.ReleaseContainmentSCP{},
				why: "The root key is deleted, and the SCP that contained it still denies the member's root user everything: it has done its job. Detach and delete it from the management account, unless root should stay locked out on purpose."}, true
		}
		return move{event: runbook.CloseIncident{Note: "model response"},
			why: "The key is gone and the checklist is read: close the incident. Its action log is the postmortem's record."}, true
	}
	return move{}, true // the watch runs by itself
}

// watchWhy says what the watch showed once it passed: quiet, or only the
// attacker failing on the dead key, which is containment working.
func watchWhy(st runbook.State) string {
	why := fmt.Sprintf("Watched %s: nothing that is ours used the key, no workload or alarm broke.", st.Watch.Window)
	for _, u := range st.Watch.Contained() {
		why += " " + u.Who() + " tried it and failed (" + u.Action + "): keep it off, never roll back for that."
	}
	return why
}

func identifyWhy(st runbook.State) string {
	owner := st.Intake.Key.Owner()
	if st.Intake.Key.Root {
		owner = "the root user" // Owner names the account, said next
	}
	why := fmt.Sprintf("The key belongs to %s in account %s, the account these credentials are for: keyrunbook may act. ", owner, st.Intake.Key.Account)
	return why + "Sweep CloudTrail for everything the key did before turning anything off: who uses it, and what the attacker left."
}

func investigateWhy(st runbook.State) string {
	var legit, other []string
	for _, c := range st.Investigate.Investigation.Callers {
		switch {
		case c.NeedsReplacement():
			legit = append(legit, fmt.Sprintf("%s (%s %s)", c.ID, c.Kind, orDash(c.Resource)))
		case c.Label != runbook.LabelLegitimate:
			other = append(other, fmt.Sprintf("%s at %s (%s)", c.ID, c.SourceIP, c.Label))
		}
	}
	inv := st.Investigate.Investigation
	why := fmt.Sprintf("%d events, %s. ", inv.Events, runbook.Plural(len(inv.Callers), "caller"))
	if len(legit) > 0 {
		why += "Legitimate, to move before the key goes off: " + strings.Join(legit, ", ") + ". "
	} else {
		why += "No legitimate caller: only the attacker uses this key. "
	}
	if len(other) > 0 {
		why += "Not ours: " + strings.Join(other, ", ") + ". "
	}
	return why + "Propose a replacement identity for each legitimate caller."
}

// propose names the function a Lambda caller runs (read off the account),
// decides every proposal "apply", then applies them.
func (p *modelPlan) propose(st runbook.State) move {
	for _, pr := range st.Propose.Proposals {
		if pr.Target == "" {
			w, _ := p.workloadOf(st, pr.CallerID)
			pr.Target = w.RunsOn
			return move{event: runbook.EditProposal{Proposal: pr},
				why: "The investigation could not name where " + pr.CallerID + " runs; the account shows it is " + w.RunsOn + "."}
		}
	}
	for _, pr := range st.Propose.Proposals {
		if pr.Decision == runbook.DecisionUndecided {
			c, _ := st.Investigate.Investigation.Caller(pr.CallerID)
			return move{event: runbook.DecideProposal{CallerID: pr.CallerID, Decision: runbook.DecisionApply},
				why: fmt.Sprintf("%s is %s work (%s): its replacement is %s %s, allowed only what it was seen doing. %s",
					pr.CallerID, c.Kind, orDash(c.Resource), pr.Kind, pr.Name, kindWhy(pr.Kind))}
		}
	}
	return move{event: runbook.ApplyProposals{}, why: "Every legitimate caller has a decided replacement: create them."}
}

// kindWhy says why a replacement kind suits its caller.
func kindWhy(k runbook.ReplacementKind) string {
	switch k {
	case runbook.ReplaceInstanceRole:
		return "An instance role's credentials rotate by themselves and never leave the instance."
	case runbook.ReplaceLambdaRole:
		return "A function's execution role hands it short-lived credentials."
	case runbook.ReplaceECSTaskRole:
		return "A task role gives each task its own short-lived credentials."
	case runbook.ReplaceIAMUser:
		return "Off AWS, a user key of its own now (one that can be revoked alone); Roles Anywhere or OIDC later."
	case runbook.ReplaceOIDCRole:
		return "A CI job can trade its OIDC token for a role: no stored key at all."
	}
	return ""
}

// replace checks each caller moved; a caller that runs on a schedule shows
// under its replacement only at its next run, so the model waits once.
func (p *modelPlan) replace(st runbook.State) move {
	var notMoved []runbook.Proposal
	for _, pr := range st.Propose.Proposals {
		if pr.Applied && !pr.Moved {
			notMoved = append(notMoved, pr)
		}
	}
	if len(notMoved) == 0 {
		return move{event: runbook.ProceedToDeactivate{}, why: "Every legitimate caller now calls as its replacement: nothing needs the key any more."}
	}
	// Check first; a caller still not seen under its replacement after a
	// check runs on a schedule, and the model waits for its next run once.
	var wait time.Duration
	fresh := false
	for _, pr := range notMoved {
		fresh = fresh || !p.checked[pr.CallerID]
		p.checked[pr.CallerID] = true
	}
	for _, pr := range notMoved {
		if fresh || p.waited[pr.CallerID] {
			continue
		}
		p.waited[pr.CallerID] = true
		wait = max(wait, p.longestGap(st, pr.CallerID))
	}
	why := "Check in CloudTrail that each caller now calls as its replacement."
	if wait > 0 {
		why = fmt.Sprintf("Some callers run on a schedule: wait %s for their next run, then check they call as their replacement.", wait)
	}
	return move{event: runbook.VerifyMoves{}, why: why, wait: wait}
}

// contain removes what the attacker left, stops what it launched, revokes
// the sessions the key minted, then deactivates.
func (p *modelPlan) contain(st runbook.State) move {
	inv := st.Investigate.Investigation
	for _, want := range p.drill.Planted {
		for _, r := range inv.BlastRadius {
			if r.Type == want.Type && r.ID == want.ID && !cleaned(st, r) {
				return move{event: runbook.CleanUp{Resource: r},
					why: fmt.Sprintf("The attacker made %s %s (%s): persistence that outlives the key. Remove it.", r.Type, r.ID, r.Action)}
			}
		}
	}
	// Every instance the key launched goes in one clean-up, one
	// confirmation: a miner's launch of dozens is one decision.
	var launched []runbook.Resource
	for _, r := range inv.BlastRadius {
		if r.Type == "ec2-instance" && r.Action == "RunInstances" && !cleaned(st, r) {
			launched = append(launched, r)
		}
	}
	switch len(launched) {
	case 0:
	case 1:
		r := launched[0]
		return move{event: runbook.CleanUp{Resource: r},
			why: fmt.Sprintf("The key launched instance %s in %s: compute the attacker runs on your bill. Stop it.", r.ID, r.Region)}
	default:
		return move{event: runbook.CleanUp{Resources: launched},
			why: fmt.Sprintf("The key launched %d instances (%s in %s, …): compute the attacker runs on your bill. Stop them all, in one confirmation.", len(launched), launched[0].ID, launched[0].Region)}
	}
	if len(st.RevocationPlan().Targets) > 0 && st.Contain.Revocation == nil {
		return move{event: runbook.RevokeSessions{},
			why: "The key minted temporary credentials: they stay valid after the key goes off. Deny every session issued before now."}
	}
	if p.orgMember && st.Intake.Key.Root {
		return move{event: runbook.ConfirmDeactivate{},
			why: "No root task policy allows iam:UpdateAccessKey, so sts:AssumeRoot cannot deactivate a member's root key. Contain it instead with an SCP from the management account " +
				"denying the member's root unless aws:AssumedRoot: reversible (detach it), and the deletion through AssumeRoot still works. Then watch 30 minutes."}
	}
	if st.NeedsRootSignIn() {
		return move{event: runbook.SignInAsRoot{MFACode: p.mfaCode()},
			why: "The key is the root user's, and the account stands alone: only root can turn it off. Sign in to the console as root with its email, the vault's password and the MFA device's code; every call from here on is root's, and the log says so."}
	}
	return move{event: runbook.ConfirmDeactivate{},
		why: "Deactivate now, not delete: it is reversible if something breaks. Then watch 30 minutes, as AWS advises: CloudTrail shows calls up to 15 minutes late."}
}

func cleaned(st runbook.State, r runbook.Resource) bool {
	for _, c := range st.Delete.CleanedUp {
		if c.Type == r.Type && c.ID == r.ID {
			return true
		}
	}
	return false
}

// workloadOf is the scenario's workload behind a caller, found by its
// source IP: the ground truth a trainee reads in the account's console.
func (p *modelPlan) workloadOf(st runbook.State, callerID string) (sim.Workload, bool) {
	c, _ := st.Investigate.Investigation.Caller(callerID)
	for _, w := range p.sc.Workloads {
		if w.Legitimate && workloadIP(p.sc, w) == c.SourceIP {
			return w, true
		}
	}
	return sim.Workload{}, false
}

// longestGap is the longest a caller's workload goes between two runs of
// one of its calls: its period plus its jitter.
func (p *modelPlan) longestGap(st runbook.State, callerID string) time.Duration {
	w, _ := p.workloadOf(st, callerID)
	var gap time.Duration
	for _, call := range w.Calls {
		gap = max(gap, span(call.Every)+span(call.Jitter))
	}
	return gap
}

// span reads a scenario duration ("8h", "1d", "1d12h"); an unreadable one
// is zero (the scenario's loader has already refused it).
func span(s string) time.Duration {
	var days time.Duration
	if n, rest, ok := strings.Cut(s, "d"); ok {
		var v int
		if _, err := fmt.Sscanf(n, "%d", &v); err != nil {
			return 0
		}
		days, s = time.Duration(v)*24*time.Hour, rest
	}
	if s == "" {
		return days
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return days
	}
	return days + d
}
