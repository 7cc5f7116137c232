package awsops

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const (
	billingInstance = "i-0a7c3e91b52d4f816"
	billingIP       = "3.249.118.40"
	billingUA       = "aws-sdk-go-v2/1.30.3 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 app/billing-worker"
	nasIP           = "203.0.113.10"
	nasUA           = "aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-105-generic exe/x86_64.ubuntu.22 prompt/off command/ec2.create-snapshot"
)

func allowDoc(actions ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(actions, `","`) + `"],"Resource":"*"}]}`
}

// The root-key scenario's two legitimate callers, as the investigation
// finds them, and the proposals for them.
func billingAndBackup() ([]runbook.UsageCaller, []runbook.Proposal) {
	callers := []runbook.UsageCaller{
		{ID: "c-billing", SourceIP: billingIP, UserAgent: billingUA, Kind: runbook.CallerEC2, Resource: billingInstance, ResourceRegion: "eu-west-1", Regions: []string{"eu-west-1"}},
		{ID: "c-nas", SourceIP: nasIP, UserAgent: nasUA, Kind: runbook.CallerOffAWS, Regions: []string{"eu-west-1"}},
	}
	proposals := []runbook.Proposal{
		{CallerID: "c-billing", Kind: runbook.ReplaceInstanceRole, Name: "kr-billing-role", Target: billingInstance, Region: "eu-west-1",
			Policy: allowDoc("ssm:GetParameter", "kms:Decrypt", "s3:ListAllMyBuckets")},
		{CallerID: "c-nas", Kind: runbook.ReplaceIAMUser, Name: "kr-nas", Target: nasIP,
			Policy: allowDoc("ec2:DescribeSnapshots", "ec2:CreateSnapshot", "ec2:DeleteSnapshot")},
	}
	return callers, proposals
}

func TestApplyCreatesOnceAndTheCallersMove(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	leaked := r.sim.LeakedKeyID()
	callers, proposals := billingAndBackup()
	runEffect(t, r.x, runbook.ProposeReplacements{KeyID: leaked, Account: r.sim.AccountID(), Callers: callers})
	first := map[string][]string{}
	for _, p := range proposals {
		before := mutations(r)
		ev, calls := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
		done, ok := ev.(runbook.ReplacementApplied)
		if !ok {
			t.Fatalf("apply %s: %+v", p.Kind, ev)
		}
		if mutations(r) == before {
			t.Errorf("apply %s sent nothing", p.Kind)
		}
		first[p.CallerID] = done.Created
		for _, c := range calls {
			if strings.Contains(string(c.Input), "SecretAccessKey") {
				t.Errorf("a call's input names a secret: %s", c.Input)
			}
		}
	}
	if want := "arn:aws:iam::418295730164:role/kr-billing-role"; first["c-billing"][0] != want {
		t.Errorf("created %v, want the role %s first", first["c-billing"], want)
	}
	keyID, _, ok := r.x.TakeNewSecret("c-nas")
	if !ok || !slices.Contains(first["c-nas"], keyID) {
		t.Fatalf("the new key %s is not among %v", keyID, first["c-nas"])
	}

	// Applying the same proposals again creates nothing.
	for _, p := range proposals {
		before := mutations(r)
		ev, calls := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
		done, ok := ev.(runbook.ReplacementApplied)
		if !ok || !slices.Equal(done.Created, first[p.CallerID]) {
			t.Fatalf("second apply of %s: %+v, want created %v", p.Kind, ev, first[p.CallerID])
		}
		if n := mutations(r) - before; n != 0 {
			t.Errorf("second apply of %s sent %d mutating calls: %s", p.Kind, n, operations(calls))
		}
	}
	if _, _, again := r.x.TakeNewSecret("c-nas"); again {
		t.Error("a second apply made a second key")
	}

	// Both callers now call as their replacements, and no longer with the key.
	for i, p := range proposals {
		ev, _ := runEffect(t, r.x, runbook.VerifyMove{KeyID: leaked, Proposal: p, Caller: callers[i]})
		moved, ok := ev.(runbook.CallerMoved)
		if !ok || !moved.Moved || strings.Contains(moved.Detail, "FLAGGED") {
			t.Errorf("%s did not move cleanly: %+v", p.CallerID, ev)
		}
	}
}

// A caller whose code keeps the leaked key next to its new credentials is
// moved, and flagged.
func TestVerifyMoveFlagsACallerStillUsingTheKey(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", noReconfigure: true, mutate: func(sc *sim.Scenario) {
		// A second job on the backup host keeps the leaked key.
		for _, w := range sc.Workloads {
			if w.Name == "nas-backup" {
				call := w.Calls[0]
				call.Offset = "20m"
				w.Name, w.Calls = "nas-report", []sim.Call{call}
				sc.Workloads = append(sc.Workloads, w)
				break
			}
		}
	}})
	leaked := r.sim.LeakedKeyID()
	callers, proposals := billingAndBackup()
	runEffect(t, r.x, runbook.ApplyReplacement{Proposal: proposals[1]})
	keyID, _, _ := r.x.TakeNewSecret("c-nas")
	if err := r.sim.SetWorkloadCredentials("nas-backup", keyID); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour) // the moved job calls at :37, the other at :50
	ev, _ := runEffect(t, r.x, runbook.VerifyMove{KeyID: leaked, Proposal: proposals[1], Caller: callers[1]})
	moved, ok := ev.(runbook.CallerMoved)
	if !ok || !moved.Moved || !strings.Contains(moved.Detail, "FLAGGED") {
		t.Fatalf("want moved and flagged, got %+v", ev)
	}
}

func TestVerifyMoveGivesUpAfterTheTimeout(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", noReconfigure: true})
	callers, proposals := billingAndBackup()
	runEffect(t, r.x, runbook.ApplyReplacement{Proposal: proposals[1]})
	start := r.clock.Now()
	ev, _ := runEffect(t, r.x, runbook.VerifyMove{KeyID: r.sim.LeakedKeyID(), Proposal: proposals[1], Caller: callers[1]})
	moved, ok := ev.(runbook.CallerMoved)
	if !ok || moved.Moved || !strings.Contains(moved.Detail, "was not seen as kr-nas") {
		t.Fatalf("want not moved, got %+v", ev)
	}
	if waited := r.clock.Now().Sub(start); waited < DefaultMoveTimeout {
		t.Errorf("gave up after %s of simulated time, before the %s timeout", waited, DefaultMoveTimeout)
	}
}

func TestApplyRefusesWhatItCannotCreateExactly(t *testing.T) {
	lambdaTrust := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", mutate: func(sc *sim.Scenario) {
		sc.Roles = append(sc.Roles, sim.Role{Name: "taken-role", AssumeRolePolicy: lambdaTrust},
			sim.Role{Name: "other-role", AssumeRolePolicy: []byte(TrustPolicy(runbook.ReplaceInstanceRole))},
			sim.Role{Name: "shared-role", AssumeRolePolicy: []byte(TrustPolicy(runbook.ReplaceInstanceRole))})
		sc.InstanceProfiles = append(sc.InstanceProfiles, sim.InstanceProfile{Name: "shared-role", Role: "other-role"})
	}})
	ec2 := func(name, target, policy string) runbook.Proposal {
		return runbook.Proposal{CallerID: "c", Kind: runbook.ReplaceInstanceRole, Name: name, Target: target, Region: "eu-west-1", Policy: policy}
	}
	tests := []struct {
		name     string
		proposal runbook.Proposal
		says     string
	}{
		{"no policy", ec2("kr-x", billingInstance, ""), "has no policy"},
		{"no instance", ec2("kr-x", "", allowDoc("s3:ListAllMyBuckets")), "names no instance"},
		{"instance elsewhere", ec2("kr-x", "i-00000000000000000", allowDoc("s3:ListAllMyBuckets")), "was not found"},
		{"role trusts another service", ec2("taken-role", billingInstance, allowDoc("s3:ListAllMyBuckets")), "does not trust ec2.amazonaws.com"},
		{"profile holds another role", ec2("shared-role", billingInstance, allowDoc("s3:ListAllMyBuckets")), "holds role other-role"},
		{"ecs target", runbook.Proposal{CallerID: "c", Kind: runbook.ReplaceECSTaskRole, Name: "kr-ecs", Target: "grafana", Policy: allowDoc("ec2:DescribeInstances")}, "not CLUSTER/SERVICE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: tt.proposal})
			f, ok := ev.(runbook.EffectFailed)
			if !ok || !strings.Contains(f.Message, tt.says) {
				t.Fatalf("want EffectFailed saying %q, got %+v", tt.says, ev)
			}
		})
	}
}

// Lambda apply against the simulated account: the function gets the new
// execution role; a function the account lacks fails saying where apply
// looked.
func TestApplyLambdaOnTheSim(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	tests := []struct {
		name, target string
		says         string // empty: applied
	}{
		{"declared function", "report-builder", ""},
		{"applied again", "report-builder", ""},
		{"no such function", "no-such-function", "was not found in us-west-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runbook.Proposal{CallerID: "c", Kind: runbook.ReplaceLambdaRole, Name: "kr-report-builder-role", Target: tt.target,
				Region: "us-west-2", Policy: allowDoc("ssm:GetParameter")}
			ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
			if tt.says != "" {
				if f, ok := ev.(runbook.EffectFailed); !ok || !strings.Contains(f.Message, tt.says) {
					t.Fatalf("want a failure saying %q, got %+v", tt.says, ev)
				}
				return
			}
			want := []string{"arn:aws:iam::730519468211:role/kr-report-builder-role", "arn:aws:lambda:us-west-2:730519468211:function:report-builder"}
			if a, ok := ev.(runbook.ReplacementApplied); !ok || !slices.Equal(a.Created, want) {
				t.Fatalf("want %v applied, got %+v", want, ev)
			}
		})
	}
}

// A scheduled caller is seen only when it runs: training waits for its next
// run past the move timeout; live gives up at the timeout and says when to
// verify again.
func TestVerifyMoveOfAScheduledCaller(t *testing.T) {
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", noReconfigure: true})
			r.x.opts.WaitForNextRun = wait
			callers, proposals := billingAndBackup()
			r.clock.Advance(10 * time.Minute) // past this hour's run (:37)
			runEffect(t, r.x, runbook.ApplyReplacement{Proposal: proposals[1]})
			keyID, _, _ := r.x.TakeNewSecret("c-nas")
			if err := r.sim.SetWorkloadCredentials("nas-backup", keyID); err != nil {
				t.Fatal(err)
			}
			nas := callers[1]
			nas.RunHours = []int{r.clock.Now().Add(time.Hour).Hour()}
			ev, _ := runEffect(t, r.x, runbook.VerifyMove{KeyID: r.sim.LeakedKeyID(), Proposal: proposals[1], Caller: nas})
			moved, ok := ev.(runbook.CallerMoved)
			switch {
			case !ok:
				t.Fatalf("want CallerMoved, got %+v", ev)
			case wait && !moved.Moved:
				t.Fatalf("the check did not wait for the next run: %s", moved.Detail)
			case !wait && (moved.Moved || !strings.Contains(moved.Detail, "next expected at")):
				t.Fatalf("want not moved with the next run named, got %+v", moved)
			}
		})
	}
}
