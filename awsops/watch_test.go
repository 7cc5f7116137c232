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

// After the key is turned off with its callers still on it, one reading
// shows every signal: the key's failed uses, the broken workloads, and
// their alarms in ALARM, read from the simulated account's CloudWatch in
// the region they run in (the responder's home region here).
func TestPollWatchShowsImpact(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	leaked := r.sim.LeakedKeyID()
	x := r.executorIn(t, "eu-west-1", leaked, ExecutorOptions{Root: r.x.opts.Root, PollInterval: 10 * time.Minute, Health: r.x.opts.Health})
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: leaked, Root: true}}); ev.EventName() != "KeyDeactivated" {
		t.Fatal(ev)
	}
	since := r.clock.Now()
	for i := range 2 {
		ev, calls := runEffect(t, x, runbook.PollWatch{KeyID: leaked, Since: since})
		obs, ok := ev.(runbook.WatchObserved)
		if !ok {
			t.Fatalf("want a reading, got %+v", ev)
		}
		if obs.KeyUses == 0 || !slices.Contains(obs.Unhealthy, "billing-worker") || !slices.Contains(obs.Alarms, "billing-worker-errors") {
			t.Errorf("reading %d: impact not seen: %+v", i, obs)
		}
		for _, c := range calls {
			if c.Error != "" {
				t.Errorf("reading %d noted a failure: %+v", i, c)
			}
		}
	}
	if want := since.Add(20 * time.Minute); !r.clock.Now().Equal(want) {
		t.Errorf("two readings moved simulated time to %s, want %s", r.clock.Now(), want)
	}
}

// A workload left on the deactivated key shows in the watch as its alarm
// in ALARM, read in the region of the replacement applied there; the
// workload that moved keeps its alarm OK.
func TestPollWatchSeesTheAlarmOfAWorkloadNotMoved(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	leaked := r.sim.LeakedKeyID()
	x := r.executorIn(t, "us-east-1", leaked, ExecutorOptions{Root: r.x.opts.Root, PollInterval: 5 * time.Minute})
	_, proposals := billingAndBackup()
	if ev, _ := runEffect(t, x, runbook.ApplyReplacement{Proposal: proposals[0]}); ev.EventName() != "ReplacementApplied" {
		t.Fatal(ev) // billing-worker moves to an instance role; nas-backup stays on the key
	}
	applied := []runbook.Proposal{proposals[0]}
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: leaked, Root: true}}); ev.EventName() != "KeyDeactivated" {
		t.Fatal(ev)
	}
	since := r.clock.Now()
	var obs runbook.WatchObserved
	for range 14 { // nas-backup calls hourly: a reading every 5 minutes for over an hour
		ev, _ := runEffect(t, x, runbook.PollWatch{KeyID: leaked, Since: since, Applied: applied})
		obs = ev.(runbook.WatchObserved)
		if len(obs.Alarms) > 0 {
			break
		}
	}
	if !slices.Equal(obs.Alarms, []string{"nas-backup-missed"}) {
		t.Errorf("alarms in ALARM = %v, want nas-backup-missed alone", obs.Alarms)
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
	ev, _ := runEffect(t, r.x, runbook.PollWatch{KeyID: r.sim.LeakedKeyID(), Since: since, Replacements: []string{p.Name}, Applied: []runbook.Proposal{p}})
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

// The alarm-name prefix narrows what the watch reports, as CloudWatch
// filters it: both of root-key-ec2-onprem's workloads fail once the key is
// off, and their alarms live in eu-west-1.
func TestAlarmsInALARMWithThePrefix(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	leaked := r.sim.LeakedKeyID()
	x := r.executorIn(t, "eu-west-1", leaked, ExecutorOptions{Root: r.x.opts.Root})
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: leaked, Root: true}}); ev.EventName() != "KeyDeactivated" {
		t.Fatal(ev)
	}
	r.sim.Advance(2 * time.Hour)
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
			x := r.executorIn(t, "eu-west-1", leaked, ExecutorOptions{AlarmPrefix: tt.prefix})
			if got := x.alarms(context.Background()); !slices.Equal(got, tt.want) {
				t.Errorf("alarms = %v, want %v", got, tt.want)
			}
		})
	}
}

// executorIn is executorFor's executor for a responder whose home region
// (the profile's region, where the watch reads alarms) is region.
func (r *containRig) executorIn(t *testing.T, region, keyID string, opts ExecutorOptions) *Executor {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = r.clock
	}
	cfg := r.x.cfg.Copy()
	cfg.Region = region
	x := NewExecutor(cfg, opts)
	x.clients.SweepRate = 1000
	if ev, _ := runEffect(t, x, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
		t.Fatalf("identify: %+v", ev)
	}
	return x
}

// With nothing applied, the alarms of the key's own callers are still read
// in the regions those callers work in, not only in the home region.
func TestPollWatchReadsAlarmsWhereTheCallersWork(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	leaked := r.sim.LeakedKeyID()
	x := r.executorIn(t, "us-east-1", leaked, ExecutorOptions{Root: r.x.opts.Root, PollInterval: 5 * time.Minute})
	callers := []runbook.UsageCaller{
		{ID: "c-backup", Kind: runbook.CallerOffAWS, Label: runbook.LabelLegitimate, Regions: []string{"eu-west-1"}},
	}
	if ev, _ := runEffect(t, x, runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: leaked, Root: true}}); ev.EventName() != "KeyDeactivated" {
		t.Fatal(ev)
	}
	since := r.clock.Now()
	var obs runbook.WatchObserved
	for range 14 {
		ev, _ := runEffect(t, x, runbook.PollWatch{KeyID: leaked, Since: since, Callers: callers})
		obs = ev.(runbook.WatchObserved)
		if slices.Contains(obs.Alarms, "nas-backup-missed") {
			return
		}
	}
	t.Errorf("alarms in ALARM = %v, want nas-backup-missed (eu-west-1) seen from home region us-east-1", obs.Alarms)
}
