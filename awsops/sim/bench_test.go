package sim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// busyScenario is the scenario whose 90 days hold the most events.
const busyScenario = "root-key-ec2-onprem"

// TestBusyScenarioSeedsEnough holds the bar: at least 100,000 events
// seeded, in under a second (generous here; the benchmark measures).
func TestBusyScenarioSeedsEnough(t *testing.T) {
	sc, err := sim.LoadScenario(busyScenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	// How fast is BenchmarkSeedBusyScenario's to say: a wall-clock bound
	// here failed only when other suites shared the machine.
	if n := s.EventCount(); n < 100_000 {
		t.Errorf("%d events seeded, want at least 100,000", n)
	}
}

// BenchmarkSeedBusyScenario measures New on the busiest scenario: building
// the account and seeding 90 days of history (about 158,000 events).
func BenchmarkSeedBusyScenario(b *testing.B) {
	sc, err := sim.LoadScenario(busyScenario)
	if err != nil {
		b.Fatal(err)
	}
	var events int
	for b.Loop() {
		s, err := sim.New(sc)
		if err != nil {
			b.Fatal(err)
		}
		events = s.EventCount()
	}
	b.ReportMetric(float64(events), "events/op")
}

// BenchmarkLookupPage measures one LookupEvents page of 50 by access key,
// rendered to full records, in the busiest region.
func BenchmarkLookupPage(b *testing.B) {
	e := &env{sim: newSim(b, busyScenario)}
	url, stop, err := e.sim.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	e.url = url
	ct := e.responder("eu-west-1").ct
	in := byAttr("AccessKeyId", e.sim.LeakedKeyID())
	for b.Loop() {
		if _, err := ct.LookupEvents(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallerIdentity measures the request path alone: one signed
// GetCallerIdentity (awsQuery) through the real STS client, whose
// operation does next to nothing, so decoding, authenticating, recording
// and answering are what is timed.
func BenchmarkCallerIdentity(b *testing.B) {
	e := &env{sim: newSim(b, busyScenario)}
	url, stop, err := e.sim.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	e.url = url
	st := e.responder("eu-west-1").sts
	for b.Loop() {
		if _, err := st.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}
