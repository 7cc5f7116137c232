package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// plannedWrites plans e, checks nothing was sent, and returns the writes as
// "service:Operation {input}" with their notes.
func plannedWrites(t *testing.T, r *containRig, x *Executor, e runbook.Effect) []runbook.APICall {
	t.Helper()
	before := mutations(r)
	planned, err := x.Plan(context.Background(), e)
	if err != nil {
		t.Fatalf("plan %s: %v", e.EffectName(), err)
	}
	if mutations(r) != before {
		t.Fatalf("planning %s sent a mutating call", e.EffectName())
	}
	var out []runbook.APICall
	for _, c := range planned {
		if c.WouldCall {
			out = append(out, c)
		}
	}
	return out
}

func writeText(c runbook.APICall) string {
	return c.Service + ":" + c.Operation + " " + compactJSON(string(c.Input))
}

// A standalone account's root key before the drill's sign-in: the plan
// names the calls root will make, marked as root's after the sign-in, and
// sends nothing; once signed in, the same calls are planned in root's
// session and are what is sent.
func TestPlanOfARootKeyBeforeTheSignIn(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	keyID := r.sim.LeakedKeyID()
	acct := r.sim.AccountID()
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	x := r.executorFor(t, keyID, ExecutorOptions{RootSignIn: r.x.opts.RootSignIn})
	tests := []struct {
		effect runbook.Effect
		want   string
	}{
		{runbook.DeactivateKey{KeyTarget: target}, `iam:UpdateAccessKey {"AccessKeyId":"` + keyID + `","Status":"Inactive","UserName":null}`},
		{runbook.ReactivateKey{KeyTarget: target}, `iam:UpdateAccessKey {"AccessKeyId":"` + keyID + `","Status":"Active","UserName":null}`},
		{runbook.DeleteKey{KeyTarget: target}, `iam:DeleteAccessKey {"AccessKeyId":"` + keyID + `","UserName":null}`},
	}
	for _, tt := range tests {
		got := plannedWrites(t, r, x, tt.effect)
		if len(got) != 1 || writeText(got[0]) != tt.want {
			t.Fatalf("%s before the sign-in planned %+v, want %s", tt.effect.EffectName(), got, tt.want)
		}
		if got[0].Actor != runbook.RootARN(acct) || got[0].Via != runbook.ViaAfterSignIn {
			t.Errorf("%s planned as %q via %q, want root after sign-in", tt.effect.EffectName(), got[0].Actor, got[0].Via)
		}
	}
	// Without a way to root's session the plan still says what to do by
	// hand instead of naming calls nobody can send.
	none := r.executorFor(t, keyID, ExecutorOptions{})
	if _, err := none.Plan(context.Background(), runbook.DeactivateKey{KeyTarget: target}); err == nil || !strings.Contains(err.Error(), "holds no root credentials") {
		t.Errorf("plan without root's credentials nor a sign-in: %v", err)
	}

	if ev, _ := runEffect(t, x, runbook.ObtainRootCredentials{KeyID: keyID, Account: acct, Method: runbook.RootSignIn, MFACode: r.sim.RootMFACode()}); ev.EventName() != "RootCredentialsObtained" {
		t.Fatalf("sign-in: %+v", ev)
	}
	after := plannedWrites(t, r, x, tests[0].effect)
	if len(after) != 1 || writeText(after[0]) != tests[0].want || after[0].Actor != runbook.RootARN(acct) || after[0].Via != "" {
		t.Fatalf("planned in root's session: %+v", after)
	}
	if got := planThenRun(t, r, x, tests[0].effect); len(got) != 1 {
		t.Fatalf("sent %v", got)
	}
}

// An Organizations member's root key before its sts:AssumeRoot session:
// contained with the SCP, its deletion plans the AssumeRoot that opens
// root's session, then the DeleteAccessKey root makes in it.
func TestPlanOfAMemberRootKeyBeforeAssumeRoot(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	const member = "410000000102"
	id, secret := s.ResponderCredentials()
	mgmt := clientsFor(t, url, id, secret).Config
	memberCfg := mgmt.Copy()
	memberCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(mgmt),
		"arn:aws:iam::"+member+":role/"+sim.MemberRole))
	r := &containRig{t: t, sim: s, url: url, clock: NewSimClock(s.Now, s.Advance, 0)}
	x := NewExecutor(memberCfg, ExecutorOptions{Clock: r.clock, OrgAdmin: &mgmt})
	keyID := s.Member(member).LeakedKeyID()
	if ev, _ := runEffect(t, x, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
		t.Fatalf("identify: %+v", ev)
	}
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: target}); ev.EventName() != "KeyDeactivated" {
		t.Fatalf("the SCP containment: %+v", ev)
	}
	got := plannedWrites(t, r, x, runbook.DeleteKey{KeyTarget: target})
	if len(got) != 2 || !strings.HasPrefix(writeText(got[0]), "sts:AssumeRoot {") || !strings.Contains(string(got[0].Input), `"TargetPrincipal":"`+member+`"`) ||
		!strings.Contains(string(got[0].Input), DeleteRootCredentialsTask) || writeText(got[1]) != `iam:DeleteAccessKey {"AccessKeyId":"`+keyID+`","UserName":null}` {
		t.Fatalf("planned before the session:\n%+v", got)
	}
	if got[1].Actor != runbook.RootARN(member) || !strings.HasPrefix(got[1].Via, "sts:AssumeRoot by ") {
		t.Errorf("DeleteAccessKey planned as %q via %q, want root in the AssumeRoot session", got[1].Actor, got[1].Via)
	}
}
