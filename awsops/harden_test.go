package awsops

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// checklist reads the checklist as the machine asks for it: with the
// investigation's blast radius when inv (the sweep's) is not nil.
func checklist(t *testing.T, x *Executor, inv *runbook.Investigation) map[string]runbook.CheckItem {
	t.Helper()
	e := runbook.CheckHardening{}
	if inv != nil {
		e.Swept, e.BlastRadius = true, inv.BlastRadius
	}
	ev, _ := runEffect(t, x, e)
	got, ok := ev.(runbook.HardeningChecked)
	if !ok {
		t.Fatalf("want the checklist, got %+v", ev)
	}
	items := map[string]runbook.CheckItem{}
	for _, it := range got.Items {
		items[it.ID] = it
	}
	return items
}

func TestCheckHardeningReadsTheAccount(t *testing.T) {
	type want struct {
		ok    bool
		state string
	}
	tests := []struct {
		scenario string
		want     map[string]want
	}{
		{"root-key-ec2-onprem", map[string]want{
			"root-keys":        {false, "the root user has access keys"},
			"root-mfa":         {true, "root MFA is on"}, // the drill signs in with it
			"cloudtrail":       {true, "multi-region trail management-events is logging"},
			"guardduty":        {true, "GuardDuty is enabled in us-east-1"},
			"billing-alarm":    {false, "no alarm on AWS/Billing in us-east-1"},
			"centralized-root": {true, "does not apply"},
			"attacker-keys":    {false, "still there: iam-user backup-admin, access-key AKIA"},
		}},
		{"iam-user-lambda-ci", map[string]want{
			"root-keys":  {true, "no root access keys"},
			"root-mfa":   {true, "root MFA is on"},
			"cloudtrail": {false, "no multi-region trail"},
			"guardduty":  {false, "no GuardDuty detector in us-east-1"},
			// The attacker's CreateUser was denied: nothing of theirs to remove.
			"attacker-keys": {true, "none of the attacker's keys or users is left"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			r := newContainRig(t, rigOptions{scenario: tt.scenario})
			inv := r.sweep("us-east-1") // IAM's events, the attacker's persistence among them
			items := checklist(t, r.x, inv)
			if len(items) != 7 {
				t.Errorf("want 7 checks, got %d", len(items))
			}
			for id, w := range tt.want {
				it := items[id]
				if it.OK != w.ok || !strings.Contains(it.State, w.state) {
					t.Errorf("%s: ok %v state %q, want ok %v state containing %q", id, it.OK, it.State, w.ok, w.state)
				}
				if !it.OK && it.Fix == "" && !strings.HasPrefix(it.State, "could not read") {
					t.Errorf("%s fails without a fix", id)
				}
			}
		})
	}
}

// The billing-alarm check reads the simulated account's CloudWatch in
// us-east-1: workload alarms do not count, an AWS/Billing one does.
func TestCheckHardeningFindsTheBillingAlarm(t *testing.T) {
	tests := []struct {
		name  string
		alarm *sim.BillingAlarm
		ok    bool
		state string
	}{
		{"none", nil, false, "no alarm on AWS/Billing in us-east-1"},
		{"one", &sim.BillingAlarm{Name: "estimated-charges-over-500", Threshold: 500}, true, "billing alarm estimated-charges-over-500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci", mutate: func(sc *sim.Scenario) { sc.BillingAlarm = tt.alarm }})
			it := checklist(t, r.x, nil)["billing-alarm"]
			if it.OK != tt.ok || it.State != tt.state || (it.Fix == "") != tt.ok {
				t.Errorf("billing-alarm: %+v, want ok %v state %q", it, tt.ok, tt.state)
			}
		})
	}
}

// Once the attacker's user is gone, the check says so; without the
// investigation it cannot tell, and says that instead of passing.
func TestCheckHardeningAttackerKeysAfterCleanUp(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	if it := checklist(t, r.x, nil)["attacker-keys"]; it.OK || !strings.HasPrefix(it.State, "could not read") {
		t.Errorf("without an investigation: %+v", it)
	}
	inv := r.sweep("us-east-1")
	runEffect(t, r.x, runbook.CleanUpResource{Resource: blastIn(t, inv, "iam-user", "backup-admin")})
	if it := checklist(t, r.x, inv)["attacker-keys"]; !it.OK {
		t.Errorf("after the clean-up: %+v", it)
	}
}

// A resumed session's executor, which ran no sweep, checks the blast
// radius the effect carries (the machine's, replayed from the log) as the
// first session's would; without it, it says it cannot tell.
func TestTheChecklistReadsTheBlastRadiusTheEffectCarries(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	inv := r.sweep("us-east-1")
	resumed := NewExecutor(r.x.cfg, ExecutorOptions{Clock: r.clock})
	if it := checklist(t, resumed, nil)["attacker-keys"]; !strings.HasPrefix(it.State, "could not read") {
		t.Fatalf("without the investigation: %+v", it)
	}
	if it := checklist(t, resumed, inv)["attacker-keys"]; it.OK || !strings.Contains(it.State, "backup-admin") {
		t.Errorf("with the investigation: %+v", it)
	}
}
