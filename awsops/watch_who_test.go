package awsops

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// retryEvery makes the scenario's attacker try the key every period, so
// it retries during the watch.
func retryEvery(period string) func(*sim.Scenario) {
	return func(sc *sim.Scenario) {
		for i, w := range sc.Workloads {
			if !w.Legitimate {
				for j := range w.Calls {
					sc.Workloads[i].Calls[j].Every, sc.Workloads[i].Calls[j].Jitter = period, ""
				}
			}
		}
	}
}

// The attacker retrying the dead key during the watch is shown and
// journaled with who it is (address, tool, action, region, error, the
// investigation's attacker caller), the advice is to keep the key off,
// and it does not hold the deletion back: the window passes.
func TestWatchNamesTheAttackerRetryingAndAdvisesKeepingTheKeyOff(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only", mutate: retryEvery("10m")})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{})
	st := r.state()
	if st.Step != runbook.StepDelete || !st.Watch.Passed {
		t.Fatalf("step %s, blockers %+v: the attacker failing must not hold the watch", st.Step, st.Watch.Blockers())
	}
	contained := st.Watch.Contained()
	if len(contained) == 0 {
		t.Fatalf("no attacker retry seen during the watch: uses %+v", st.Watch.Uses)
	}
	u := contained[0]
	// The classifier calls the intruder suspicious or attacker; either way
	// it is the investigation's caller, not a workload and not new.
	if (u.Match != runbook.LabelAttacker && u.Match != runbook.LabelSuspicious) || u.CallerID == "" || u.ErrorCode == "" || u.Tool == "" || u.Region == "" || u.Action == "" {
		t.Errorf("use not attributed in full: %+v", u)
	}
	if adv := u.Advice(); !strings.Contains(adv, "Keep the key off") || !strings.Contains(adv, u.SourceIP) {
		t.Errorf("advice = %q: want keep the key off, naming %s", adv, u.SourceIP)
	}
	// The action log holds who, not only how many.
	raw, err := os.ReadFile(r.log)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		var rec struct {
			Name string                `json:"name"`
			Data runbook.WatchObserved `json:"data"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Name != "WatchObserved" {
			continue
		}
		for _, lu := range rec.Data.Uses {
			if lu.SourceIP == u.SourceIP && lu.Match == u.Match && lu.CallerID == u.CallerID && lu.ErrorCode == u.ErrorCode {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no journaled reading names the attacker at %s", u.SourceIP)
	}
}

// A workload left on the key fails during the watch: the reading names it
// as a known workload, the advice is to roll back, and the window ends
// without passing, listing it as what blocks the deletion.
func TestWatchAdvisesRollBackForAWorkloadFailing(t *testing.T) {
	// nas-backup gets its new key but is never switched to it.
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true, noReconfigure: true})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	r.signInAsRoot()
	r.do(runbook.ConfirmDeactivate{})
	st := r.state()
	if st.Step != runbook.StepWatch || !st.Watch.Ended || st.Watch.Passed {
		t.Fatalf("step %s ended %v passed %v: a failing workload must end the window unpassed", st.Step, st.Watch.Ended, st.Watch.Passed)
	}
	var workload *runbook.KeyUse
	for _, u := range st.Watch.Uses {
		if u.Match == runbook.LabelLegitimate {
			workload = &u
			break
		}
	}
	if workload == nil {
		t.Fatalf("no workload among the uses: %+v", st.Watch.Uses)
	}
	if adv := workload.Advice(); !strings.Contains(adv, "roll back (R)") || !strings.Contains(adv, workload.CallerID) {
		t.Errorf("advice = %q: want roll back, naming %s", adv, workload.CallerID)
	}
	blockers := st.Watch.Blockers()
	if len(blockers) == 0 || !strings.Contains(blockers[0].What, workload.SourceIP) {
		t.Errorf("blockers = %+v: want the workload's use first", blockers)
	}
}

// Alarms that cannot be read are unknown, with the missing permission:
// never "none".
func TestWatchShowsDeniedAlarmReadsAsUnknown(t *testing.T) {
	deny := sim.InlinePolicy{Name: "no-alarms", Document: []byte(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Action":"cloudwatch:DescribeAlarms","Resource":"*"}]}`)}
	r := newContainRig(t, rigOptions{scenario: "attacker-only", mutate: func(sc *sim.Scenario) {
		sc.Users[0].InlinePolicies = append(sc.Users[0].InlinePolicies, deny)
	}})
	ev, _ := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: r.clock.Now()})
	obs, ok := ev.(runbook.WatchObserved)
	if !ok {
		t.Fatalf("want a reading, got %+v", ev)
	}
	if len(obs.Unread) != 1 || obs.Unread[0].Signal != "alarms" || obs.Unread[0].Action != "cloudwatch:DescribeAlarms" {
		t.Fatalf("unread = %+v, want the alarms unknown for lack of cloudwatch:DescribeAlarms", obs.Unread)
	}
	if !strings.Contains(obs.Summary(), "alarms unknown") {
		t.Errorf("summary = %q", obs.Summary())
	}
}

// The watch notes its calls on the first reading and when they change or
// fail, not on every tick: each reading makes the same calls.
func TestWatchNotesItsCallsOnceUnlessTheyChange(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	since := r.clock.Now()
	if _, calls := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since}); len(calls) == 0 {
		t.Fatal("the first reading noted no calls")
	}
	// The first reading also learned the account's regions (no
	// investigation ran): the second's calls differ, and are noted.
	if _, calls := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since}); len(calls) == 0 {
		t.Fatal("the second reading, whose calls differ from the first's, noted none")
	}
	before := len(r.sim.Requests())
	_, calls := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since})
	if len(calls) != 0 {
		t.Errorf("the third reading noted %d call(s), the same as the second's", len(calls))
	}
	if len(r.sim.Requests()) == before {
		t.Error("the third reading read nothing")
	}
}
