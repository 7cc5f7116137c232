package awsops

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The root-key drill: a wrong MFA code is refused by the sign-in page and
// nothing changes; the device's code gives root's session; every call of
// the root key's change is journaled with root as its actor.
func TestRootSignInDrillJournalsRootAsTheActor(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	r.do(runbook.ProceedToDeactivate{})
	if err := r.doUntil(runbook.ConfirmDeactivate{}, nil); err == nil || !strings.Contains(err.Error(), "sign in as root") {
		t.Fatalf("deactivation before the root sign-in: %v", err)
	}
	code := r.sim.RootMFACode()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	digest := r.sim.StateDigest()
	r.do(runbook.SignInAsRoot{MFACode: wrong})
	st := r.state()
	if st.Contain.RootAccess != nil || st.Effects.LastError == nil || !strings.Contains(st.Effects.LastError.Message, "authentication information is incorrect") {
		t.Fatalf("a wrong code: session %+v, error %+v", st.Contain.RootAccess, st.Effects.LastError)
	}
	if r.sim.StateDigest() != digest {
		t.Fatal("a refused sign-in changed the account")
	}
	r.signInAsRoot()
	acct := r.sim.AccountID()
	if a := r.state().Contain.RootAccess; a.Method != runbook.RootSignIn || a.Actor != "arn:aws:iam::"+acct+":root" || !a.MFA {
		t.Fatalf("root access %+v", a)
	}
	r.do(runbook.ConfirmDeactivate{})
	if st := r.state(); st.Step != runbook.StepDelete {
		t.Fatalf("watch did not pass: %s %+v", st.Step, st.Effects.LastError)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(r.state().KeyID)})
	if got := r.rootKeyStatus(t, r.state().KeyID); got != runbook.KeyGone {
		t.Fatalf("the root key reads %s", got)
	}
	recs := logRecords(t, r.log)
	if m := secretShaped.FindString(readLog(t, r.log)); m != "" {
		t.Errorf("a secret-shaped string is in the action log: %q", m)
	}
	rootOps := map[string]int{}
	for _, rec := range recs {
		if rec.Name == "RootCredentialsObtained" && rec.Actor != "arn:aws:iam::"+acct+":root" {
			t.Errorf("the session's record names %q", rec.Actor)
		}
		if rec.Name != "APICall" {
			continue
		}
		var c runbook.APICall
		if err := json.Unmarshal(rec.Data, &c); err != nil {
			t.Fatal(err)
		}
		switch c.Operation {
		case "UpdateAccessKey", "DeleteAccessKey":
			if c.Input != nil && strings.Contains(string(c.Input), r.state().KeyID) {
				if rec.Actor != "arn:aws:iam::"+acct+":root" {
					t.Errorf("%s of the root key journaled as %q, want root", c.Operation, rec.Actor)
				}
				rootOps[c.Operation]++
			}
		}
	}
	if rootOps["UpdateAccessKey"] != 1 || rootOps["DeleteAccessKey"] != 1 {
		t.Errorf("root calls journaled: %v", rootOps)
	}
}

// Dry-run rehearses the calls root would make, and journals them as root's.
func TestDryRunJournalsTheRootCallsAsRoot(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", dryRun: true})
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{})
	var found bool
	for _, rec := range logRecords(t, r.log) {
		if rec.Name == "APICall" && strings.Contains(string(rec.Data), `"operation":"UpdateAccessKey"`) {
			found = true
			if rec.Actor != "arn:aws:iam::"+r.sim.AccountID()+":root" || !strings.Contains(string(rec.Data), `"wouldCall":true`) {
				t.Errorf("dry-run's UpdateAccessKey: actor %q, data %s", rec.Actor, rec.Data)
			}
		}
	}
	if !found {
		t.Fatal("no UpdateAccessKey rehearsed")
	}
}

// A member account's root key: sts:AssumeRoot from the management account
// with the deletion task policy; the deletion uses that session and names
// it (the member's root, opened by the management account's caller).
func TestAssumeRootSessionForAMemberAccountsKey(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	id, secret := s.ResponderCredentials()
	cfg := clientsFor(t, url, id, secret).Config
	clock := NewSimClock(s.Now, s.Advance, 0)
	x := NewExecutor(cfg, ExecutorOptions{Clock: clock, OrgAdmin: &cfg})
	const member = "410000000102"
	keyID := s.LeakedKeyID()
	ev, calls := runEffect(t, x, runbook.ObtainRootCredentials{KeyID: keyID, Account: member, Method: runbook.RootAssume})
	got, ok := ev.(runbook.RootCredentialsObtained)
	if !ok {
		t.Fatalf("AssumeRoot: %+v", ev)
	}
	a := got.Access
	if a.Actor != "arn:aws:iam::"+member+":root" || !strings.Contains(a.Via, "user/org-responder") ||
		a.TaskPolicy != DeleteRootCredentialsTask || !a.Expires.Equal(clock.Now().Add(900*time.Second)) {
		t.Fatalf("session %+v", a)
	}
	if ops := operations(calls); !strings.Contains(ops, "AssumeRoot") {
		t.Fatalf("calls %s", ops)
	}
	ev, calls = runEffect(t, x, runbook.DeleteKey{KeyTarget: runbook.KeyTarget{KeyID: keyID, Root: true}})
	if ev.EventName() != "KeyDeleted" {
		t.Fatalf("delete: %+v (calls %s)", ev, operations(calls))
	}
	for _, c := range calls {
		if c.Operation == "AssumeRoot" {
			t.Error("a second AssumeRoot while the first session holds")
		}
		if c.Operation == "DeleteAccessKey" && (c.Actor != a.Actor || !strings.Contains(c.Via, "sts:AssumeRoot")) {
			t.Errorf("DeleteAccessKey noted as %q via %q", c.Actor, c.Via)
		}
	}
}

// secretShaped is a run of exactly 40 characters of a secret access key's
// alphabet (hashes and IDs are longer or shorter).
var secretShaped = regexp.MustCompile(`(^|[^A-Za-z0-9/+])[A-Za-z0-9/+]{40}([^A-Za-z0-9/+]|$)`)

// logRecords reads and verifies the rig's action log.
func logRecords(t *testing.T, path string) []runbook.Record {
	t.Helper()
	recs, res, err := runbook.ReadJournalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Fatalf("the action log does not verify: %s", res.Reason)
	}
	return recs
}
