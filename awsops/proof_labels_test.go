package awsops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Item 3 of issue 11: only legitimate callers' events feed a replacement's
// policy. Attacker and unknown callers never do, whether the classifier
// or the responder labelled them, and callers merged on one target never
// bring in the attacker's calls.

const (
	instanceIP = "54.10.20.30" // i-0aaa1111 of classifyInventory
	attackerIP = "203.0.113.66"
)

// instanceDay is the legitimate instance's work plus an attacker's calls
// with the same key: from another address with the instance's own user
// agent, and from the instance's own address with another tool.
func instanceDay() []TrailRecord {
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	rec := func(ip, ua, source, name string, m int, readOnly bool, params string) TrailRecord {
		r := kindsRecord(ip, ua, source, name, at(m), readOnly, params)
		r.AWSRegion = "us-east-1"
		return r
	}
	return []TrailRecord{
		rec(instanceIP, boto3UA, "s3.amazonaws.com", "GetObject", 0, true, `{"bucketName":"orders","key":"a.json"}`),
		rec(instanceIP, boto3UA, "s3.amazonaws.com", "PutObject", 5, false, `{"bucketName":"orders","key":"b.json"}`),
		rec(instanceIP, boto3UA, "ec2.amazonaws.com", "DescribeInstances", 9, true, ""),
		// The attacker, from elsewhere, posing as the instance's program.
		rec(attackerIP, boto3UA, "iam.amazonaws.com", "CreateUser", 30, false, `{"userName":"backdoor"}`),
		rec(attackerIP, boto3UA, "iam.amazonaws.com", "CreateAccessKey", 31, false, `{"userName":"backdoor"}`),
		// The attacker on the instance itself, with another tool.
		rec(instanceIP, "curl/8.5.0", "iam.amazonaws.com", "AttachUserPolicy", 40, false, `{"userName":"backdoor","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`),
		// A second tool of the instance that the responder knows is not theirs.
		rec(instanceIP, runnerUA, "s3.amazonaws.com", "DeleteObject", 50, false, `{"bucketName":"orders","key":"a.json"}`),
	}
}

func foldDay(t *testing.T) runbook.Investigation {
	t.Helper()
	a := judge.NewAggregator(kindsKey, classify.Inventory())
	for _, r := range instanceDay() {
		a.Add(r)
	}
	callers, indicators, blast := a.Result()
	return runbook.Investigation{Callers: callers, Indicators: indicators, BlastRadius: blast}
}

func relabel(inv runbook.Investigation, id string, l runbook.Label) runbook.Investigation {
	inv.Callers = append([]runbook.UsageCaller(nil), inv.Callers...)
	for i := range inv.Callers {
		if inv.Callers[i].ID == id {
			inv.Callers[i].Label = l
		}
	}
	return inv
}

func TestOnlyLegitimateEventsFeedAPolicy(t *testing.T) {
	inv := foldDay(t)
	program := callerFrom(t, inv.Callers, instanceIP, "Boto3")
	secondTool := callerFrom(t, inv.Callers, instanceIP, "aws-cli")
	for _, who := range []struct{ ip, ua string }{{attackerIP, "Boto3"}, {instanceIP, "curl"}} {
		if c := callerFrom(t, inv.Callers, who.ip, who.ua); c.Label != runbook.LabelSuspicious {
			t.Fatalf("the attacker's caller %s %s is %s, not suspicious: %s", who.ip, who.ua, c.Label, c.Why)
		}
	}
	if program.Resource != "i-0aaa1111" || secondTool.Resource != "i-0aaa1111" || secondTool.Label != runbook.LabelLegitimate {
		t.Fatalf("fixture: %+v / %+v", program, secondTool)
	}
	tests := []struct {
		name    string
		inv     runbook.Investigation
		lacks   []string
		has     []string
		callers int // proposals
	}{
		{name: "as classified: two tools on the instance share one role, the attacker's calls in none", inv: inv,
			lacks: []string{"iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy"}, has: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, callers: 2},
		{name: "the second tool labelled attacker leaves the role", inv: relabel(inv, secondTool.ID, runbook.LabelAttacker),
			lacks: []string{"s3:DeleteObject", "iam:CreateUser", "iam:AttachUserPolicy"}, has: []string{"s3:PutObject"}, callers: 1},
		{name: "the second tool labelled unknown leaves the role", inv: relabel(inv, secondTool.ID, runbook.LabelUnknown),
			lacks: []string{"s3:DeleteObject", "iam:CreateUser"}, has: []string{"s3:PutObject"}, callers: 1},
		{name: "the instance's program labelled attacker loses its proposal", inv: relabel(relabel(inv, secondTool.ID, runbook.LabelAttacker), program.ID, runbook.LabelAttacker),
			callers: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Propose(tt.inv, judgetest.Account)
			if len(ps) != tt.callers {
				t.Fatalf("%d proposals, want %d: %+v", len(ps), tt.callers, ps)
			}
			for _, p := range ps {
				if p.Kind != runbook.ReplaceInstanceRole || p.Target != "i-0aaa1111" {
					t.Errorf("proposal %s %s %s", p.CallerID, p.Kind, p.Target)
				}
				for _, a := range tt.lacks {
					if strings.Contains(p.Policy, `"`+a+`"`) {
						t.Errorf("%s's policy grants %s:\n%s", p.CallerID, a, p.Policy)
					}
				}
				for _, a := range tt.has {
					if !strings.Contains(p.Policy, `"`+a+`"`) {
						t.Errorf("%s's policy lacks %s:\n%s", p.CallerID, a, p.Policy)
					}
				}
			}
		})
	}
}

// TestProofDeniesTheAttackersWrites replays the day through the simulated
// account: the instance's calls are allowed, the attacker's writes denied.
func TestProofDeniesTheAttackersWrites(t *testing.T) {
	inv := foldDay(t)
	ps := Propose(inv, judgetest.Account)
	var served, attackers []runbook.UsageCaller
	for _, c := range inv.Callers {
		switch {
		case c.NeedsReplacement():
			served = append(served, c)
		case c.Label == runbook.LabelSuspicious || c.Label == runbook.LabelAttacker:
			attackers = append(attackers, c)
		}
	}
	got := Prove(context.Background(), simulator(t, false), runbook.ProveProposal{Seq: 1, Proposal: ps[0], Callers: served, Attackers: attackers})
	if got.Error != "" || len(got.Denied) > 0 || len(got.AttackerAllowed) > 0 || len(got.Allowed) != 4 {
		t.Fatalf("proof %+v", got)
	}
	for _, w := range []string{"iam:CreateUser on arn:aws:iam::111122223333:user/backdoor", "iam:CreateAccessKey", "iam:AttachUserPolicy"} {
		if !strings.Contains(strings.Join(got.AttackerDenied, "\n"), w) {
			t.Errorf("attacker denied %v lacks %s", got.AttackerDenied, w)
		}
	}
}
