package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// After the key is turned off with its callers still on it, one reading
// shows every signal: the key's failed uses, the broken workloads, and
// (once) that alarms cannot be read from the simulated account.
func TestPollWatchShowsImpact(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	leaked := r.sim.LeakedKeyID()
	x := r.executorFor(t, leaked, ExecutorOptions{Root: r.x.opts.Root, PollInterval: 10 * time.Minute, Health: r.x.opts.Health})
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: leaked, Root: true}}); ev.EventName() != "KeyDeactivated" {
		t.Fatal(ev)
	}
	since := r.clock.Now()
	var notes []runbook.APICall
	for range 2 {
		ev, calls := runEffect(t, x, runbook.PollWatch{KeyID: leaked, Since: since})
		obs, ok := ev.(runbook.WatchObserved)
		if !ok {
			t.Fatalf("want a reading, got %+v", ev)
		}
		if obs.KeyUses == 0 || !slices.Contains(obs.Unhealthy, "billing-worker") {
			t.Errorf("impact not seen: %+v", obs)
		}
		for _, c := range calls {
			if c.Error != "" {
				notes = append(notes, c)
			}
		}
	}
	if want := since.Add(20 * time.Minute); !r.clock.Now().Equal(want) {
		t.Errorf("two readings moved simulated time to %s, want %s", r.clock.Now(), want)
	}
	if len(notes) != 1 || notes[0].Operation != "DescribeAlarms" {
		t.Errorf("want one note that alarms cannot be read, got %+v", notes)
	}
}

// A replacement whose policy misses an action shows up as denied.
func TestPollWatchSeesAReplacementDenied(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem"})
	_, proposals := billingAndBackup()
	p := proposals[0]
	p.Policy = allowDoc("ssm:GetParameter", "s3:ListAllMyBuckets") // no kms:Decrypt
	if ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p}); ev.EventName() != "ReplacementApplied" {
		t.Fatal(ev)
	}
	since := r.clock.Now()
	ev, _ := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since, Replacements: []string{p.Name}})
	obs := ev.(runbook.WatchObserved)
	if len(obs.Denied) != 1 || obs.Denied[0].Principal != p.Name || obs.Denied[0].Action != "kms:Decrypt" {
		t.Fatalf("want kms:Decrypt denied to %s, got %+v", p.Name, obs.Denied)
	}
}

func TestPollWatchFailsWhenItCannotReadTheKeysUse(t *testing.T) {
	deny := sim.InlinePolicy{Name: "no-trail", Document: []byte(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`)}
	r := newContainRig(t, rigOptions{scenario: "attacker-only", mutate: func(sc *sim.Scenario) {
		sc.Users[0].InlinePolicies = append(sc.Users[0].InlinePolicies, deny)
	}})
	ev, _ := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: r.clock.Now()})
	f, ok := ev.(runbook.EffectFailed)
	if !ok || f.Action != "cloudtrail:LookupEvents" || !strings.Contains(f.Message, "proves nothing") {
		t.Fatalf("want a failure naming cloudtrail:LookupEvents, got %+v", ev)
	}
}

func TestPollWatchInDryRunReadsNothingAndEndsTheWindow(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only", dryRun: true})
	since := r.clock.Now()
	before := len(r.sim.Requests())
	ev, calls := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since})
	obs, ok := ev.(runbook.WatchObserved)
	if !ok || !obs.At.Equal(since.Add(runbook.DefaultWatchWindow)) {
		t.Fatalf("want one reading at the window's end, got %+v", ev)
	}
	if len(calls) != 0 || len(r.sim.Requests()) != before {
		t.Errorf("a dry watch called AWS: %s", operations(calls))
	}
}

// fakeAlarms answers DescribeAlarms from a fixed list, filtering as AWS.
type fakeAlarms struct{ names []string }

func (f fakeAlarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range f.names {
		if strings.HasPrefix(n, aws.ToString(in.AlarmNamePrefix)) && in.StateValue == cwtypes.StateValueAlarm {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n)})
		}
	}
	return out, nil
}

func TestAlarmsInALARMWithThePrefix(t *testing.T) {
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"billing-worker-errors", "nas-backup-missed"}},
		{"nas-", []string{"nas-backup-missed"}},
		{"zzz", nil},
	}
	for _, tt := range tests {
		t.Run("prefix "+tt.prefix, func(t *testing.T) {
			x := NewExecutor(aws.Config{Region: "eu-west-1"}, ExecutorOptions{AlarmPrefix: tt.prefix})
			x.read.cloudWatch = func(string) alarmReads {
				return fakeAlarms{[]string{"nas-backup-missed", "billing-worker-errors"}}
			}
			if got := x.alarms(context.Background()); !slices.Equal(got, tt.want) {
				t.Errorf("alarms = %v, want %v", got, tt.want)
			}
		})
	}
}
