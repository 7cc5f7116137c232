package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// faultySweep sweeps minted-session's last day through the fault layer.
// The CloudTrail clients keep the SDK's adaptive retryer with its attempts;
// only the backoff between attempts is shortened, so the test does not
// wait AWS's 20 s worst case.
func faultySweep(t *testing.T, faults ...sim.Fault) (*sim.Sim, runbook.Event) {
	t.Helper()
	return faultySweepOf(t, "minted-session", day, faults...)
}

// faultySweepOf sweeps a scenario's last window through the fault layer.
func faultySweepOf(t *testing.T, scenario string, window time.Duration, faults ...sim.Fault) (*sim.Sim, runbook.Event) {
	t.Helper()
	s, url := startSim(t, scenario, sim.WithFaults(faults...))
	c := responder(t, s, url)
	cfg := c.Config
	c.NewCloudTrail = func(region string) CloudTrailAPI {
		return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
			o.Region = region
			o.Retryer = retry.AddWithMaxBackoffDelay(adaptiveRetryer(), 20*time.Millisecond)
		})
	}
	ev := Investigate(context.Background(), c, runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-window), To: s.Now()}, nil)
	return s, ev
}

func foundCallers(inv runbook.Investigation) []string {
	var ids []string
	for _, c := range inv.Callers {
		ids = append(ids, c.ID+"/"+string(c.Label))
	}
	for _, m := range inv.Minted {
		ids = append(ids, m.KeyID)
	}
	slices.Sort(ids)
	return ids
}

// TestSweepUnderTransientFaultsFindsTheSameCallers: throttling, server
// errors, resets and latency that the SDK's retryer outlasts change
// nothing in what the sweep finds, and leave no gap.
func TestSweepUnderTransientFaultsFindsTheSameCallers(t *testing.T) {
	_, clean := faultySweep(t)
	want := foundCallers(clean.(runbook.SweepFinished).Investigation)
	for _, r := range faultRuns {
		t.Run(r.name, func(t *testing.T) {
			_, ev := faultySweep(t, r.faults...)
			fin, ok := ev.(runbook.SweepFinished)
			if !ok {
				t.Fatalf("got %#v, want SweepFinished", ev)
			}
			if got := foundCallers(fin.Investigation); !slices.Equal(got, want) {
				t.Errorf("callers under faults = %v\nclean run = %v", got, want)
			}
			if gaps := fin.Investigation.Gaps(); len(gaps) != 0 {
				t.Errorf("transient faults left gaps: %v", gaps)
			}
		})
	}
}

// faultRuns are the transient faults a sweep must outlast: each kind on
// LookupEvents, then all of them on every operation.
var faultRuns = []struct {
	name   string
	faults []sim.Fault
}{
	{"throttling", []sim.Fault{{Operation: "LookupEvents", Kind: sim.FaultThrottle, Every: 2, Times: 6}}},
	{"server errors", []sim.Fault{{Operation: "LookupEvents", Kind: sim.Fault5xx, Every: 3}}},
	{"resets", []sim.Fault{{Operation: "LookupEvents", Kind: sim.FaultReset, Every: 4}}},
	{"latency", []sim.Fault{{Operation: "LookupEvents", Kind: sim.FaultLatency, Every: 2, Latency: 30 * time.Millisecond}}},
	{"mixed, on every operation", []sim.Fault{
		{Operation: "*", Kind: sim.FaultThrottle, Every: 5, Times: 6},
		{Operation: "*", Kind: sim.Fault5xx, Every: 7},
		{Operation: "*", Kind: sim.FaultReset, Every: 11},
		{Operation: "*", Kind: sim.FaultLatency, Every: 3, Latency: 10 * time.Millisecond},
	}},
}

// TestMintedLookupThatFailsIsAGap is the lost caller: the lookups
// of one minted key fail past every retry. Before, the key counted as
// swept with 0 events and nothing said so.
func TestMintedLookupThatFailsIsAGap(t *testing.T) {
	_, clean := faultySweep(t)
	var minted string
	for _, m := range clean.(runbook.SweepFinished).Investigation.Minted {
		if !m.CrossAccount && m.Events > 0 {
			minted = m.KeyID
			break
		}
	}
	if minted == "" {
		t.Fatal("the scenario's sweep found no minted key with calls")
	}
	_, ev := faultySweep(t, sim.Fault{Operation: "LookupEvents", Kind: sim.Fault5xx, Match: minted})
	fin, ok := ev.(runbook.SweepFinished)
	if !ok {
		t.Fatalf("got %#v, want SweepFinished (the regions themselves were read)", ev)
	}
	m, _ := fin.Investigation.MintedKey(minted)
	if len(m.Unread) == 0 {
		t.Fatalf("minted key %s whose lookups all failed: %+v, want it unread", minted, m)
	}
	gaps := strings.Join(fin.Investigation.Gaps(), "\n")
	if !strings.Contains(gaps, "the calls of "+minted) {
		t.Errorf("gaps do not name %s:\n%s", minted, gaps)
	}
}

func TestParseFaults(t *testing.T) {
	got, err := sim.ParseFaults("LookupEvents:throttle:every=2, *:reset:times=1,CreateAccessKey:latency:latency=50ms:match=svc")
	if err != nil {
		t.Fatal(err)
	}
	want := []sim.Fault{
		{Operation: "LookupEvents", Kind: sim.FaultThrottle, Every: 2},
		{Operation: "*", Kind: sim.FaultReset, Times: 1},
		{Operation: "CreateAccessKey", Kind: sim.FaultLatency, Latency: 50 * time.Millisecond, Match: "svc"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseFaults = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"LookupEvents", "x:explode", "x:throttle:every=-1", "x:latency", "x:5xx:often=2"} {
		if _, err := sim.ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted", bad)
		}
	}
}

// TestEndpointLostMidSweepIsAGap: a region whose every LookupEvents is
// reset (the endpoint lost) after the SDK's retries is a gap, never a
// finished region: the headless run said "17 of 17 regions finished".
func TestEndpointLostMidSweepIsAGap(t *testing.T) {
	_, ev := faultySweep(t, sim.Fault{Operation: "LookupEvents", Kind: sim.FaultReset, Match: "/eu-west-1/"})
	var inv runbook.Investigation
	switch e := ev.(type) {
	case runbook.SweepFinished:
		inv = e.Investigation
	default:
		t.Fatalf("got %#v", ev)
	}
	if !slices.Contains(inv.FailedRegions(), "eu-west-1") {
		t.Fatalf("failed regions %v, want eu-west-1", inv.FailedRegions())
	}
	if gaps := strings.Join(inv.Gaps(), "\n"); !strings.Contains(gaps, "region eu-west-1 not swept (failed") {
		t.Errorf("gaps:\n%s", gaps)
	}
}
