package awsops

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestE2ETrainingIntakeToClosed(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	r.investigate()
	if n := len(r.state().Propose.Proposals); n != 2 {
		t.Fatalf("want proposals for the billing worker and the backup host, got %d: %+v", n, r.state().Propose.Proposals)
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	var userCaller string
	for _, p := range r.state().Propose.Proposals {
		if !p.Applied || !p.Moved {
			t.Fatalf("%s (%s): applied %v, moved %v", p.CallerID, p.Kind, p.Applied, p.Moved)
		}
		if p.Kind == runbook.ReplaceIAMUser {
			userCaller = p.CallerID
		}
	}
	keyID, secret, ok := r.x.TakeNewSecret(userCaller)
	if !ok || secret == "" || keyID == "" {
		t.Fatalf("the new user's secret was not held for the screen: %q %v", keyID, ok)
	}
	if _, _, again := r.x.TakeNewSecret(userCaller); again {
		t.Error("the secret could be taken twice")
	}

	r.do(runbook.ProceedToDeactivate{})
	r.signInAsRoot()
	r.do(runbook.ConfirmDeactivate{})
	st := r.state()
	if st.Step != runbook.StepDelete || !st.Watch.Passed {
		t.Fatalf("watch did not pass: step %s, uses %d, denied %v, unhealthy %v, error %+v", st.Step, st.Watch.KeyUses, st.Watch.Denied, st.Watch.Unhealthy, st.Effects.LastError)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(st.KeyID)})
	backdoor := blastResource(t, r.state(), "access-key", "")
	r.do(runbook.CleanUp{Resource: blastResource(t, r.state(), "iam-user", "backup-admin")})
	r.do(runbook.CloseIncident{Note: "drill"})

	// Every request the account answered was journaled as a call first,
	// but for those of watch readings that repeated the one before: the
	// log keeps a reading (and its calls) only when it is news.
	notes, reqs := countCalls(t, r.log), len(r.sim.Requests())
	if notes+r.repeatReads != reqs {
		t.Errorf("%d calls journaled and %d of repeated readings, %d requests answered", notes, r.repeatReads, reqs)
	}
	t.Logf("%d calls, %d requests, simulated time %s", notes, reqs, r.clock.Now().Sub(sim.DefaultStart))
	st = r.state()
	// The user's removal took its key and policy with it: three cleaned up.
	if st.Step != runbook.StepClosed || len(st.Delete.CleanedUp) != 3 || len(st.Harden.Checklist) == 0 {
		t.Fatalf("not closed cleanly: step %s, cleaned %v, checklist %d", st.Step, st.Delete.CleanedUp, len(st.Harden.Checklist))
	}
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Errorf("workloads left broken: %v", bad)
	}
	if status := r.keyStatus(t, "backup-admin", backdoor.ID); status != runbook.KeyGone {
		t.Errorf("the attacker's key reads %s after the clean-up", status)
	}
	if status := r.rootKeyStatus(t, st.KeyID); status != runbook.KeyGone {
		t.Errorf("the leaked root key reads %s after deletion", status)
	}
	log := readLog(t, r.log)
	if strings.Contains(log, secret) {
		t.Error("the new secret access key is in the action log")
	}
	for _, want := range []string{`"operation":"UpdateAccessKey"`, `"operation":"DeleteAccessKey"`, `"operation":"CreateAccessKey"`,
		`"operation":"AssociateIamInstanceProfile"`, `"operation":"DeleteUser"`, `"name":"KeyDeleted"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the action log lacks %s", want)
		}
	}
}

// The backup host never gets its new key: the watch shows the impact, the
// responder rolls back, fixes the host, and goes on to the end with every
// workload healthy.
func TestE2ETrainingRollBackWhenAWorkloadWasNotMoved(t *testing.T) {
	// The backup job runs hourly: a 30-minute window could miss it, so the
	// responder watches for 90 minutes.
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true, noReconfigure: true, watchWindow: 90 * time.Minute})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	var user runbook.Proposal
	for _, p := range r.state().Propose.Proposals {
		if p.Kind == runbook.ReplaceIAMUser {
			user = p
		}
	}
	if user.Moved {
		t.Fatal("the backup host was reported moved though it still holds the leaked key")
	}
	r.do(runbook.ProceedToDeactivate{})
	r.signInAsRoot()
	impact := func(ev runbook.Event) bool {
		w, ok := ev.(runbook.WatchObserved)
		return ok && (w.KeyUses > 0 || len(w.Unhealthy) > 0)
	}
	if err := r.doUntil(runbook.ConfirmDeactivate{}, impact); !errors.Is(err, context.Canceled) {
		t.Fatalf("the watch ended without showing impact: %v, %+v", err, r.state())
	}
	st := r.state()
	if !slices.Contains(st.Watch.Unhealthy, "nas-backup") || st.Watch.KeyUses == 0 {
		t.Fatalf("impact not shown: unhealthy %v, key uses %d", st.Watch.Unhealthy, st.Watch.KeyUses)
	}
	r.do(runbook.RequestReactivate{Reason: "nas-backup fails: it still uses the leaked key"})
	if st := r.state(); st.Step != runbook.StepPropose || st.Intake.Key.Status != runbook.KeyActive {
		t.Fatalf("not rolled back: %s %s", st.Step, st.Intake.Key.Status)
	}
	r.clock.Advance(2 * time.Hour) // the backup job runs hourly
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Fatalf("still broken after the roll-back: %v", bad)
	}

	// The responder puts the new key on the host and tries again.
	keyID, _, ok := r.x.TakeNewSecret(user.CallerID)
	if !ok {
		t.Fatal("no new key to give the host")
	}
	if err := r.sim.SetWorkloadCredentials("nas-backup", keyID); err != nil {
		t.Fatal(err)
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{}) // the root session of the first try still holds
	if st := r.state(); st.Step != runbook.StepDelete {
		t.Fatalf("second watch did not pass: %+v", st)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(r.state().KeyID)})
	r.do(runbook.CloseIncident{Note: "after one roll-back"})
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Errorf("workloads left broken: %v", bad)
	}
	if st := r.state(); st.Step != runbook.StepClosed || st.Contain.Rollbacks != 1 {
		t.Errorf("step %s, roll-backs %d", st.Step, st.Contain.Rollbacks)
	}
}

// A responder whose policy denies iam:UpdateAccessKey: deactivation ends
// in EffectFailed naming the action, stays retryable, and nothing is
// journaled as done.
func TestE2EMissingPermissionNamesTheAction(t *testing.T) {
	deny := sim.InlinePolicy{Name: "no-key-changes", Document: []byte(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Action":"iam:UpdateAccessKey","Resource":"*"}]}`)}
	r := newContainRig(t, rigOptions{scenario: "attacker-only", mutate: func(sc *sim.Scenario) {
		for i := range sc.Users {
			if sc.Users[i].Name == sc.Responder.User {
				sc.Users[i].InlinePolicies = append(sc.Users[i].InlinePolicies, deny)
			}
		}
	}})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	digest := r.sim.StateDigest()
	for range 2 { // the first try, then a retry
		ev := runbook.Event(runbook.ConfirmDeactivate{})
		if r.state().Effects.LastError != nil {
			ev = runbook.Retry{}
		}
		r.do(ev)
		st := r.state()
		if st.Step != runbook.StepDeactivate || st.Effects.LastError == nil || st.Effects.LastError.Action != "iam:UpdateAccessKey" {
			t.Fatalf("want a failure naming iam:UpdateAccessKey at deactivation, got step %s, %+v", st.Step, st.Effects.LastError)
		}
		if len(st.Effects.Failed) != 1 {
			t.Fatalf("the failed deactivation is not retryable: %v", st.Effects.Failed)
		}
	}
	if r.sim.StateDigest() != digest {
		t.Error("the account changed though the deactivation was denied")
	}
	if status := r.keyStatus(t, r.state().Intake.Key.User, r.state().KeyID); status != runbook.KeyActive {
		t.Errorf("the key reads %s", status)
	}
	if log := readLog(t, r.log); strings.Contains(log, `"name":"KeyDeactivated"`) {
		t.Error("the action log claims a deactivation that did not happen")
	}
}
