package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const proofAccount = "730519468211"

// reporter is a legitimate caller: reads and writes one bucket, lists
// instances (no resource), and once tried iam:CreateUser and failed.
func reporter() runbook.UsageCaller {
	return runbook.UsageCaller{ID: "c-report", Kind: runbook.CallerOffAWS, Label: runbook.LabelLegitimate, Actions: []runbook.ActionUse{
		{Source: "s3.amazonaws.com", Name: "GetObject", Count: 9, Resources: []string{"arn:aws:s3:::reports/*"}},
		{Source: "s3.amazonaws.com", Name: "PutObject", Count: 3, Resources: []string{"arn:aws:s3:::reports/*"}},
		{Source: "ec2.amazonaws.com", Name: "DescribeInstances", Count: 4, ReadOnly: true, Resources: []string{"*"}},
		{Source: "iam.amazonaws.com", Name: "CreateUser", Count: 1, Errors: 1, ErrorCode: "AccessDenied"},
		{Source: "sts.amazonaws.com", Name: "GetCallerIdentity", Count: 2, ReadOnly: true},
	}}
}

// intruder wrote what an attacker writes; its PutObject hits the
// reporter's bucket.
func intruder() runbook.UsageCaller {
	return runbook.UsageCaller{ID: "c-evil", Kind: runbook.CallerOffAWS, Label: runbook.LabelSuspicious, Actions: []runbook.ActionUse{
		{Source: "iam.amazonaws.com", Name: "CreateUser", Count: 1, Resources: []string{"arn:aws:iam::" + proofAccount + ":user/backdoor"}},
		{Source: "iam.amazonaws.com", Name: "ListUsers", Count: 5, ReadOnly: true, Resources: []string{"*"}},
		{Source: "ec2.amazonaws.com", Name: "RunInstances", Count: 2, Errors: 2},
		{Source: "s3.amazonaws.com", Name: "PutObject", Count: 1, Resources: []string{"arn:aws:s3:::reports/*"}},
	}}
}

// simulator is the responder's simulation client against a fresh sim.
func simulator(t *testing.T, asLeaked bool) simulateAPI {
	t.Helper()
	sc, err := sim.LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	s, url := startScenario(t, sc)
	id, secret := s.ResponderCredentials()
	if asLeaked {
		var ok bool
		if id, secret, ok = s.KeyCredentials("leaked"); !ok {
			t.Fatal("no leaked key")
		}
	}
	return newSimulateClient(clientsFor(t, url, id, secret))
}

func TestProveAgainstTheSimulatedAccount(t *testing.T) {
	built := BuildPolicy(reporter()).Document
	noPut := strings.Replace(built, `"s3:PutObject"`, `"s3:ListBucket"`, 1)
	denyDescribe := strings.Replace(built, `"Statement": [`, `"Statement": [{"Effect": "Deny", "Action": "ec2:Describe*", "Resource": "*"},`, 1)
	api := simulator(t, false)
	tests := []struct {
		name            string
		policy          string
		attackers       []runbook.UsageCaller
		wantAllowed     int
		wantDenied      []string
		wantAttacker    []string
		wantAttackerNot []string
	}{
		{name: "the built policy allows every legitimate call", policy: built, wantAllowed: 3},
		{name: "an edit that drops a write denies it", policy: noPut, wantAllowed: 2,
			wantDenied: []string{"s3:PutObject on arn:aws:s3:::reports/*"}},
		{name: "an explicit deny says so", policy: denyDescribe, wantAllowed: 2, wantDenied: []string{"ec2:DescribeInstances (explicit deny)"}},
		{name: "the attacker's writes are checked, reads are not", policy: built, attackers: []runbook.UsageCaller{intruder()}, wantAllowed: 3,
			wantAttacker:    []string{"s3:PutObject on arn:aws:s3:::reports/* (caller c-evil)"},
			wantAttackerNot: []string{"iam:CreateUser on arn:aws:iam::730519468211:user/backdoor (caller c-evil)", "ec2:RunInstances (caller c-evil)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Prove(context.Background(), api, runbook.ProveProposal{Seq: 4,
				Proposal: runbook.Proposal{CallerID: "c-report", Policy: tt.policy}, Callers: []runbook.UsageCaller{reporter()}, Attackers: tt.attackers})
			if got.Error != "" || got.CallerID != "c-report" || got.Seq != 4 {
				t.Fatalf("proof %+v", got)
			}
			if len(got.Allowed) != tt.wantAllowed || !slices.Equal(got.Denied, tt.wantDenied) {
				t.Errorf("allowed %v denied %v, want %d allowed and %v denied", got.Allowed, got.Denied, tt.wantAllowed, tt.wantDenied)
			}
			if !slices.Equal(got.AttackerAllowed, tt.wantAttacker) {
				t.Errorf("attacker allowed %v, want %v", got.AttackerAllowed, tt.wantAttacker)
			}
			for _, w := range tt.wantAttackerNot {
				if !slices.Contains(got.AttackerDenied, w) {
					t.Errorf("attacker denied %v lacks %s", got.AttackerDenied, w)
				}
			}
			if slices.ContainsFunc(got.Allowed, func(s string) bool { return strings.HasPrefix(s, "iam:CreateUser") || strings.HasPrefix(s, "sts:") }) {
				t.Errorf("replayed a call never granted or needing no permission: %v", got.Allowed)
			}
		})
	}
}

func TestProofThatCannotRunSaysWhichPermissionIsMissing(t *testing.T) {
	got := Prove(context.Background(), simulator(t, true), runbook.ProveProposal{Seq: 1,
		Proposal: runbook.Proposal{CallerID: "c-report", Policy: BuildPolicy(reporter()).Document}, Callers: []runbook.UsageCaller{reporter()}})
	if got.Action != "iam:SimulateCustomPolicy" || got.Code != "AccessDenied" || !strings.Contains(got.Error, "not proved") || len(got.Allowed) > 0 {
		t.Fatalf("proof %+v", got)
	}
}

// TestFailingProofBlocksApplyInTraining is issue 11's "done when": in a
// training run, a policy whose replay denies a legitimate call blocks
// apply until the responder overrides it with a reason.
func TestFailingProofBlocksApplyInTraining(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	began := time.Now()
	r.investigate()
	st := r.state()
	if len(st.Propose.Proposals) == 0 {
		t.Fatal("no proposals")
	}
	simulations, checks := 0, 0
	for _, line := range strings.Split(readLog(t, r.log), "\n") {
		if strings.Contains(line, `"operation":"SimulateCustomPolicy"`) {
			simulations++
		}
	}
	for _, pr := range st.Propose.Proofs {
		checks += len(pr.Allowed) + len(pr.Denied) + len(pr.AttackerAllowed) + len(pr.AttackerDenied)
	}
	t.Logf("%d proposals proved: %d calls replayed in %d SimulateCustomPolicy requests; intake to proved proposals %s",
		len(st.Propose.Proofs), checks, simulations, time.Since(began).Round(time.Millisecond))
	for _, p := range st.Propose.Proposals {
		pr, ok := st.ProofOf(p.CallerID)
		if !ok || pr.Status != runbook.ProofPassed || len(pr.Allowed) == 0 {
			t.Fatalf("the built policy of %s is not proved: %+v", p.CallerID, pr)
		}
	}
	// The responder trims the first proposal's policy to one of its actions.
	p := st.Propose.Proposals[0]
	pr, _ := st.ProofOf(p.CallerID)
	kept, dropped := pr.Allowed[0], pr.Allowed[1:]
	if len(dropped) == 0 {
		t.Skipf("caller %s makes one call only: nothing to drop", p.CallerID)
	}
	action, resource, _ := strings.Cut(kept, " on ")
	if resource == "" {
		resource = "*"
	}
	p.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
	r.do(runbook.EditProposal{Proposal: p})
	pr, _ = r.state().ProofOf(p.CallerID)
	if pr.Status != runbook.ProofFailed || len(pr.Denied) != len(dropped) {
		t.Fatalf("proof of the trimmed policy %+v, want %d denied", pr, len(dropped))
	}
	err := r.doUntil(runbook.ApplyProposals{}, nil)
	if err == nil || !strings.Contains(err.Error(), p.CallerID+"'s policy fails its proof") {
		t.Fatalf("apply: %v", err)
	}
	r.do(runbook.OverrideProof{CallerID: p.CallerID, Reason: "the dropped calls were a one-off migration"})
	r.do(runbook.ApplyProposals{})
	if st := r.state(); st.Step != runbook.StepReplace {
		t.Fatalf("after the override: step %s, last error %+v", st.Step, st.Effects.LastError)
	}
	if !strings.Contains(readLog(t, r.log), `"name":"OverrideProof"`) {
		t.Error("the override is not in the action log")
	}
}
