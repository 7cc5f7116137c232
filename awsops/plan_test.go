package awsops

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The plan of a user's clean-up names the user's real key and policy, read
// from the simulated account, sends no mutating call, and is what the
// clean-up then sends.
func TestPlanCleanUpListsTheRealInputs(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	inv := r.sweep("us-east-1")
	user := blastIn(t, inv, "iam-user", "")
	key := blastIn(t, inv, "access-key", "")
	effect := runbook.CleanUpResource{Resource: user}

	before := mutations(r)
	planned, err := r.x.Plan(context.Background(), effect)
	if err != nil {
		t.Fatal(err)
	}
	if mutations(r) != before {
		t.Fatal("planning sent a mutating call")
	}
	var writes []string
	for _, c := range planned {
		if c.WouldCall {
			writes = append(writes, c.Operation+" "+string(c.Input))
		}
	}
	joined := strings.Join(writes, "\n")
	for _, want := range []string{`DeleteAccessKey {"AccessKeyId":"` + key.ID + `"`, `"UserName":"` + user.ID + `"`, "DetachUserPolicy", "DeleteUser"} {
		if !strings.Contains(joined, want) {
			t.Errorf("plan lacks %s:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "each one listed") {
		t.Errorf("plan holds a placeholder:\n%s", joined)
	}

	ev, sent := runEffect(t, r.x, effect)
	done, ok := ev.(runbook.ResourceCleanedUp)
	if !ok {
		t.Fatalf("clean-up: %+v", ev)
	}
	var sentWrites []string
	for _, c := range sent {
		if isMutatingOperation(c.Operation) {
			sentWrites = append(sentWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	var plannedWrites []string
	for _, c := range planned {
		if c.WouldCall {
			plannedWrites = append(plannedWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	if strings.Join(sentWrites, "\n") != strings.Join(plannedWrites, "\n") {
		t.Errorf("sent\n%s\nplanned\n%s", strings.Join(sentWrites, "\n"), strings.Join(plannedWrites, "\n"))
	}
	// What went with the user is reported, so its key shows as removed.
	found := false
	for _, w := range done.With {
		if w.Type == "access-key" && w.ID == key.ID {
			found = true
		}
	}
	if !found {
		t.Errorf("the user's removal does not report its key %s: %+v", key.ID, done.With)
	}
}

func TestPlanOtherEffects(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	if _, err := r.x.Plan(context.Background(), runbook.CheckHardening{}); !errors.Is(err, ErrNoPlan) {
		t.Fatalf("err = %v, want ErrNoPlan", err)
	}
}

// isMutatingOperation tells the write calls apart in a live run's notes,
// which carry no would-call mark.
func isMutatingOperation(op string) bool {
	for _, p := range []string{"List", "Get", "Describe"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// planThenRun plans e, checks the plan sent nothing, runs e, and checks
// the writes sent are the writes planned, input for input. It returns the
// planned writes as "Operation {input}".
func planThenRun(t *testing.T, r *containRig, x *Executor, e runbook.Effect) []string {
	t.Helper()
	before := mutations(r)
	planned, err := x.Plan(context.Background(), e)
	if err != nil {
		t.Fatalf("plan %s: %v", e.EffectName(), err)
	}
	if mutations(r) != before {
		t.Fatalf("planning %s sent a mutating call", e.EffectName())
	}
	var plannedWrites []string
	for _, c := range planned {
		if c.WouldCall {
			plannedWrites = append(plannedWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	ev, sent := runEffect(t, x, e)
	if f, failed := ev.(runbook.EffectFailed); failed {
		t.Fatalf("%s: %+v", e.EffectName(), f)
	}
	var sentWrites []string
	for _, c := range sent {
		if isMutatingOperation(c.Operation) {
			sentWrites = append(sentWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	if strings.Join(sentWrites, "\n") != strings.Join(plannedWrites, "\n") {
		t.Errorf("%s sent\n%s\nplanned\n%s", e.EffectName(), strings.Join(sentWrites, "\n"), strings.Join(plannedWrites, "\n"))
	}
	return plannedWrites
}

// The calls a user's key changes make are planned by the code that sends
// them (what tui/calls.go used to derive: one key, named with its owner).
func TestPlanOfAUsersKeyIsWhatIsSent(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	keyID := r.sim.LeakedKeyID()
	x := r.executorFor(t, keyID, ExecutorOptions{})
	target := runbook.KeyTarget{KeyID: keyID, User: "legacy-deployer"}
	tests := []struct {
		effect runbook.Effect
		want   string
	}{
		{runbook.DeactivateKey{KeyTarget: target}, `UpdateAccessKey {"AccessKeyId":"` + keyID + `","Status":"Inactive","UserName":"legacy-deployer"}`},
		{runbook.ReactivateKey{KeyTarget: target}, `UpdateAccessKey {"AccessKeyId":"` + keyID + `","Status":"Active","UserName":"legacy-deployer"}`},
		{runbook.DeactivateKey{KeyTarget: target}, `UpdateAccessKey {"AccessKeyId":"` + keyID + `","Status":"Inactive","UserName":"legacy-deployer"}`},
		{runbook.DeleteKey{KeyTarget: target}, `DeleteAccessKey {"AccessKeyId":"` + keyID + `","UserName":"legacy-deployer"}`},
	}
	for _, tt := range tests {
		if got := planThenRun(t, r, x, tt.effect); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s planned %v, want %s", tt.effect.EffectName(), got, tt.want)
		}
	}
}

// A member account's root key is deleted through sts:AssumeRoot: the plan
// shows that call before the DeleteAccessKey it makes with the session,
// which names no user (root's own keys), and sends neither.
func TestPlanOfARootKeyDeletionShowsAssumeRoot(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	keyID := r.sim.LeakedKeyID()
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	withRoot := r.executorFor(t, keyID, ExecutorOptions{Root: r.x.opts.Root})
	if got := planThenRun(t, r, withRoot, runbook.DeactivateKey{KeyTarget: target}); len(got) != 1 || got[0] != `UpdateAccessKey {"AccessKeyId":"`+keyID+`","Status":"Inactive","UserName":null}` {
		t.Fatalf("root deactivation planned %v", got)
	}
	responderCfg := r.x.cfg
	withOrg := r.executorFor(t, keyID, ExecutorOptions{OrgAdmin: &responderCfg})
	before := mutations(r)
	planned, err := withOrg.Plan(context.Background(), runbook.DeleteKey{KeyTarget: target})
	if err != nil {
		t.Fatal(err)
	}
	if mutations(r) != before {
		t.Fatal("planning sent a mutating call")
	}
	var writes []string
	for _, c := range planned {
		if c.WouldCall {
			writes = append(writes, c.Service+":"+c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	if len(writes) != 2 || !strings.HasPrefix(writes[0], `sts:AssumeRoot {`) || !strings.Contains(writes[0], `"TargetPrincipal":"`+r.sim.AccountID()+`"`) ||
		!strings.Contains(writes[0], DeleteRootCredentialsTask) || writes[1] != `iam:DeleteAccessKey {"AccessKeyId":"`+keyID+`","UserName":null}` {
		t.Errorf("planned writes:\n%s", strings.Join(writes, "\n"))
	}
}

// Applying a replacement is planned call for call as it is then sent,
// with the inputs read from the account (the instance's region, the
// association it has or not), for every kind the TUI used to derive.
func TestPlanOfAReplacementIsWhatIsSent(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	callers, proposals := billingAndBackup()
	role := planThenRun(t, r, r.x, runbook.ApplyReplacement{Proposal: proposals[0], Caller: callers[0]})
	if ops := opsOf(role); ops != "CreateRole,PutRolePolicy,CreateInstanceProfile,AddRoleToInstanceProfile,AssociateIamInstanceProfile" &&
		ops != "CreateRole,PutRolePolicy,CreateInstanceProfile,AddRoleToInstanceProfile,ReplaceIamInstanceProfileAssociation" {
		t.Errorf("instance role planned %s", ops)
	}
	if !strings.Contains(role[0], `"RoleName":"kr-billing-role"`) || !strings.Contains(role[0], "ec2.amazonaws.com") ||
		!strings.Contains(role[1], `"PolicyName":"`+ReplacementPolicyName+`"`) || !strings.Contains(role[4], billingInstance) {
		t.Errorf("instance role inputs:\n%s", strings.Join(role, "\n"))
	}
	user := planThenRun(t, r, r.x, runbook.ApplyReplacement{Proposal: proposals[1], Caller: callers[1]})
	if ops := opsOf(user); ops != "CreateUser,PutUserPolicy,CreateAccessKey" || !strings.Contains(user[2], `"UserName":"kr-nas"`) {
		t.Errorf("iam user planned:\n%s", strings.Join(user, "\n"))
	}
}

// An OIDC role trusts the repository the proposal names.
func TestPlanOfAnOIDCRole(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	got := planThenRun(t, r, r.x, runbook.ApplyReplacement{Proposal: oidcProposal("repo:acme/site:*")})
	if ops := opsOf(got); ops != "CreateOpenIDConnectProvider,CreateRole,PutRolePolicy" || !strings.Contains(got[1], "repo:acme/site:*") {
		t.Fatalf("planned:\n%s", strings.Join(got, "\n"))
	}
}

// A revocation names each target exactly, with the policy that denies
// the sessions issued before the call.
func TestPlanOfARevocationNamesEachTarget(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	e := runbook.RevokeOlderSessions{KeyID: r.sim.LeakedKeyID(), Targets: []runbook.RevocationTarget{
		{Kind: "role", Name: "ops-admin"}, {Kind: "user", Name: "svc-reporting"}}}
	planned, err := r.x.Plan(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`PutRolePolicy {"PolicyDocument":`, `PutUserPolicy {"PolicyDocument":`}
	if len(planned) != len(want) {
		t.Fatalf("planned %+v", planned)
	}
	for i, c := range planned {
		s := c.Operation + " " + string(c.Input)
		if !c.WouldCall || !strings.HasPrefix(s, want[i]) || !strings.Contains(s, `"PolicyName":"`+runbook.RevocationPolicyName+`"`) ||
			!strings.Contains(s, `DateLessThan`) || !strings.Contains(s, `aws:TokenIssueTime`) || !strings.Contains(s, []string{`"RoleName":"ops-admin"`, `"UserName":"svc-reporting"`}[i]) {
			t.Errorf("call %d = %s", i, s)
		}
	}
}

func opsOf(writes []string) string {
	ops := make([]string, len(writes))
	for i, w := range writes {
		ops[i], _, _ = strings.Cut(w, " ")
	}
	return strings.Join(ops, ",")
}
