package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// After a member's root key is deleted, the SCP that contained it is still
// attached: the checklist names it and the account; its removal is planned
// as DetachPolicy and DeletePolicy, rehearsed in dry-run (still attached),
// and carried out live, after which the checklist reads none left.
func TestHardenNamesTheContainmentSCPAndRemovesIt(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	const member = "410000000102"
	id, secret := s.ResponderCredentials()
	mgmt := clientsFor(t, url, id, secret).Config
	memberCfg := mgmt.Copy()
	memberCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(mgmt),
		"arn:aws:iam::"+member+":role/"+sim.MemberRole))
	clock := NewSimClock(s.Now, s.Advance, 0)
	keyID := s.Member(member).LeakedKeyID()
	executor := func(dry bool) *Executor {
		x := NewExecutor(memberCfg, ExecutorOptions{Clock: clock, OrgAdmin: &mgmt, DryRun: dry})
		if ev, _ := runEffect(t, x, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
			t.Fatalf("identify: %+v", ev)
		}
		return x
	}
	scp := func() (string, bool) {
		id, on, err := findRootDenySCP(context.Background(), orgsOf(mgmt), member)
		if err != nil {
			t.Fatal(err)
		}
		return id, on
	}
	item := func(x *Executor) runbook.CheckItem {
		ev, _ := runEffect(t, x, runbook.CheckHardening{KeyID: keyID})
		items := ev.(runbook.HardeningChecked).Items
		i := slices.IndexFunc(items, func(it runbook.CheckItem) bool { return it.ID == runbook.CheckContainmentSCP })
		if i < 0 {
			t.Fatalf("the checklist has no containment SCP item: %+v", items)
		}
		return items[i]
	}
	x := executor(false)
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	for _, e := range []runbook.Effect{runbook.DeactivateKey{KeyTarget: target}, runbook.DeleteKey{KeyTarget: target}} {
		if ev, _ := runEffect(t, x, e); ev.EventName() == "EffectFailed" {
			t.Fatalf("%s: %+v", e.EffectName(), ev)
		}
	}
	policy, _ := scp()
	it := item(x)
	if it.OK || !strings.Contains(it.State, RootDenySCPName(member)+" ("+policy+") is still attached to account "+member) || !strings.Contains(it.Fix, "detach-policy --policy-id "+policy) {
		t.Fatalf("with the SCP attached: %+v", it)
	}

	e := runbook.RemoveContainmentSCP{KeyID: keyID, Account: member}
	planned, err := x.Plan(context.Background(), e)
	var writes []string
	for _, c := range planned {
		if c.WouldCall {
			writes = append(writes, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	if err != nil || strings.Join(writes, "\n") != `DetachPolicy {"PolicyId":"`+policy+`","TargetId":"`+member+`"}`+"\n"+`DeletePolicy {"PolicyId":"`+policy+`"}` {
		t.Fatalf("planned (%v):\n%s", err, strings.Join(writes, "\n"))
	}
	if ev, _ := runEffect(t, executor(true), e); ev != (runbook.ContainmentSCPRemoved{Policy: RootDenySCPName(member), At: clock.Now(), DryRun: true}) {
		t.Fatalf("dry-run: %+v", ev)
	}
	if _, on := scp(); !on {
		t.Fatal("dry-run detached the SCP")
	}
	ev, calls := runEffect(t, x, e)
	if done, ok := ev.(runbook.ContainmentSCPRemoved); !ok || done.DryRun || done.Policy != RootDenySCPName(member) {
		t.Fatalf("remove: %+v", ev)
	}
	if ops := operations(calls); !strings.Contains(ops, "DetachPolicy,DeletePolicy") {
		t.Errorf("calls %s", ops)
	}
	if id, _ := scp(); id != "" {
		t.Fatalf("the SCP %s is still there", id)
	}
	if it := item(x); !it.OK || !strings.Contains(it.State, "no keyrunbook containment SCP on account "+member) {
		t.Fatalf("after the removal: %+v", it)
	}
	// Run again (a resumed incident): nothing left to send.
	ev, calls = runEffect(t, x, e)
	if ev.EventName() != "ContainmentSCPRemoved" || slices.ContainsFunc(calls, func(c runbook.APICall) bool { return isMutatingOperation(c.Operation) }) {
		t.Fatalf("again: %+v %s", ev, operations(calls))
	}
}
