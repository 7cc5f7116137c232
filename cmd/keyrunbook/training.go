package main

import (
	"slices"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// drillFor states a scenario's ground truth in the runbook's terms, for the
// debrief: the legitimate workloads' source IPs and what the attacker
// planted to stay in the account.
func drillFor(sc *sim.Scenario) runbook.Drill {
	d := runbook.Drill{Scenario: sc.Name}
	// Only the leaked key's own users must move; workloads on other keys
	// are the account's background.
	for _, w := range sc.LegitimateCallers() {
		if ip := workloadIP(sc, w); ip != "" {
			d.Legitimate = append(d.Legitimate, ip)
		}
	}
	for _, st := range sc.PlantedActions() {
		switch st.Action {
		case "CreateUser":
			d.Planted = append(d.Planted, runbook.Resource{Type: "iam-user", ID: st.Params["UserName"], Action: st.Action})
		case "CreateRole":
			d.Planted = append(d.Planted, runbook.Resource{Type: "iam-role", ID: st.Params["RoleName"], Action: st.Action})
		}
	}
	slices.Sort(d.Legitimate)
	d.Legitimate = slices.Compact(d.Legitimate)
	d.FollowUps = followUpsOf(sc)
	return d
}

// followUpsOf are the technique rows whose follow-up the attacker's
// accepted steps leave to do by hand, judged by the same table the
// investigation uses. What the clean-up removes (a planted user or role)
// is scored as a planted resource instead.
func followUpsOf(sc *sim.Scenario) []string {
	var out []string
	for _, st := range sc.AttackerSteps() {
		if st.Action == "CreateUser" || st.Action == "CreateRole" {
			continue
		}
		source, params := st.Event()
		r := judge.TrailRecord{EventSource: source, EventName: st.Action, RequestParameters: params}
		for _, t := range judge.Match(&r) {
			// Terminating what it launched is scored on its own, as the
			// attacker's compute left running (runbook.scoreCompute).
			if t.FollowUp != "" && t.FollowUp != "terminate" && !slices.Contains(out, t.ID) {
				out = append(out, t.ID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// workloadIP is where a workload calls from: its own address, or its
// instance's public IP for an EC2 workload.
func workloadIP(sc *sim.Scenario, w sim.Workload) string {
	if w.SourceIP != "" {
		return w.SourceIP
	}
	for _, in := range sc.Instances {
		if in.ID == w.RunsOn || in.Name == w.RunsOn {
			return in.PublicIP
		}
	}
	return ""
}

// workloadAt names the workload calling from ip, for moving an on-prem
// server to its new key in the simulated account.
func workloadAt(sc *sim.Scenario, ip string) string {
	for _, w := range sc.Workloads {
		if w.Legitimate && workloadIP(sc, w) == ip {
			return w.Name
		}
	}
	return ""
}

// unhealthy lists the legitimate workloads whose health signal is failing.
func unhealthy(s *sim.Sim) []string {
	var out []string
	for _, h := range s.Health() {
		if h.Legitimate && !h.Healthy {
			out = append(out, h.Workload)
		}
	}
	return out
}

// hint is the coaching a trainee gets with 'h', step by step. It says what
// a careful responder does next and why, never the answer to the drill.
func hint(step runbook.Step) string {
	switch step {
	case runbook.StepIntake:
		return "Paste the leaked key ID from the alert (AKIA…). Never paste the secret: keyrunbook does not need it."
	case runbook.StepIdentify:
		return "Check whose key it is and that your own credentials are for the same account. A quarantine policy means AWS already saw it in public."
	case runbook.StepInvestigate:
		return "Look at every caller: the account's own instances and functions are legitimate; an unknown IP creating users or starting instances is the attacker. Note the blast radius."
	case runbook.StepPropose:
		return "Every legitimate caller needs a replacement before the key goes off: a role on AWS, a user key only off AWS. Check each policy covers what the caller does."
	case runbook.StepReplace:
		return "Apply the replacements, then verify each caller shows up under its new identity before you deactivate."
	case runbook.StepDeactivate:
		return "Deactivate, never delete first: deactivation can be rolled back. Remove what the attacker created (users, keys) too. A root key is changed as root: sign in as the root user with its MFA device's code (m shows the device)."
	case runbook.StepWatch:
		return "Watch the full window. A failing workload or use of the key from one of your own callers means something still depends on it: roll back rather than leave it broken. Failed calls from the attacker's address are the key doing its job: restart the watch (w), never reactivate for them."
	case runbook.StepDelete:
		return "The window passed quietly: delete the key by typing its last four characters."
	case runbook.StepHarden:
		return "Fix what the checklist shows: no root keys, root MFA, a multi-region trail. Make sure the attacker's user is gone before closing."
	}
	return ""
}

func scenarioMenu() []string {
	var lines []string
	for _, s := range sim.Scenarios() {
		lines = append(lines, "  "+s.Name+strings.Repeat(" ", max(1, 24-len(s.Name)))+s.Brief)
	}
	return lines
}

// drillOptions are the executor options every training drill shares: the
// simulated clock makes waiting for a scheduled caller's next run short
// (the trainee presses v once, not fifteen times), the account's
// workloads say when they break, and a replacement user's new key goes to
// the workload at the caller's address.
func drillOptions(s *sim.Sim, sc *sim.Scenario, clock *awsops.SimClock, watch time.Duration) awsops.ExecutorOptions {
	return awsops.ExecutorOptions{
		Clock:          clock,
		WaitForNextRun: true,
		WatchWindow:    watch,
		Health:         func() []string { return unhealthy(s) },
		OnNewUserKey: func(ip, keyID, _ string) {
			if w := workloadAt(sc, ip); w != "" {
				s.SetWorkloadCredentials(w, keyID) //nolint:errcheck // a workload left on the old key shows in the watch
			}
		},
	}
}
