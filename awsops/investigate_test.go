package awsops

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// lookups counts LookupEvents requests per region among reqs.
func lookups(reqs []sim.RequestRecord) map[string]int {
	n := map[string]int{}
	for _, r := range reqs {
		if r.Action == "LookupEvents" {
			n[r.Region]++
		}
	}
	return n
}

func TestInvestigateInterruptedThenRetried(t *testing.T) {
	s, url := startSim(t, "iam-user-lambda-ci")
	// Ten pages in us-west-2, from the intrusion on.
	eff := runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-2*day - 8*time.Hour), To: s.Now()}

	// The answer an uninterrupted sweep gives, from a session of its own.
	whole, ok := Investigate(context.Background(), responder(t, s, url), eff, nil).(runbook.SweepFinished)
	if !ok {
		t.Fatal("the uninterrupted sweep did not finish")
	}
	pagesWhole := map[string]int{}
	for _, r := range whole.Investigation.Regions {
		pagesWhole[r.Region] = r.Pages
	}

	// Interrupt the busiest region a third of the way through.
	c := responder(t, s, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut := pagesWhole["us-west-2"] / 3
	if cut < 2 {
		t.Fatalf("us-west-2 has %d pages: too few to interrupt halfway", pagesWhole["us-west-2"])
	}
	ev := Investigate(ctx, c, eff, func(e runbook.Event) {
		if p := e.(runbook.SweepProgress).Region; p.Region == "us-west-2" && p.Pages == cut {
			cancel()
		}
	})
	failed, ok := ev.(runbook.EffectFailed)
	if !ok || failed.Code != "Interrupted" || !strings.Contains(failed.Message, "Retry reads only the regions not finished") {
		t.Fatalf("interrupted sweep answered %#v", ev)
	}
	notFinished := failed.Message[strings.Index(failed.Message, "Not finished: "):]
	if !strings.Contains(notFinished, "us-west-2") {
		t.Errorf("us-west-2 is not among the unfinished: %s", failed.Message)
	}

	// Retrying the same effect reads only the regions not finished, and
	// us-west-2 from where it stopped.
	before := len(s.Requests())
	var progress []runbook.RegionSweep
	ev = Investigate(context.Background(), c, eff, func(e runbook.Event) { progress = append(progress, e.(runbook.SweepProgress).Region) })
	resumed, ok := ev.(runbook.SweepFinished)
	if !ok {
		t.Fatalf("retry answered %#v", ev)
	}
	again := lookups(s.Requests()[before:])
	for region, n := range again {
		if !strings.Contains(notFinished, region) {
			t.Errorf("retry read %s again (%d requests), which had finished", region, n)
		}
	}
	if n, rest := again["us-west-2"], pagesWhole["us-west-2"]-cut; n > rest+1 {
		t.Errorf("retry read %d pages of us-west-2; %d were left", n, rest)
	}
	if i := slices.IndexFunc(progress, func(r runbook.RegionSweep) bool { return r.Region == "us-west-2" }); i < 0 || progress[i].Pages < cut {
		t.Errorf("progress of the retry does not go on from the interrupted page count %d: %+v", cut, progress)
	}

	// Nothing lost, nothing counted twice.
	if resumed.Investigation.Events != whole.Investigation.Events {
		t.Errorf("resumed sweep folded %d events, the whole sweep %d", resumed.Investigation.Events, whole.Investigation.Events)
	}
	for _, part := range []struct {
		name      string
		got, want any
	}{
		{"callers", resumed.Investigation.Callers, whole.Investigation.Callers},
		{"indicators", resumed.Investigation.Indicators, whole.Investigation.Indicators},
		{"blast radius", resumed.Investigation.BlastRadius, whole.Investigation.BlastRadius},
	} {
		if !reflect.DeepEqual(part.got, part.want) {
			t.Errorf("%s differ after resuming", part.name)
		}
	}

	// A finished sweep is forgotten: the next one reads everything again.
	before = len(s.Requests())
	if _, ok := Investigate(context.Background(), c, eff, nil).(runbook.SweepFinished); !ok {
		t.Fatal("third sweep did not finish")
	}
	if n := len(lookups(s.Requests()[before:])); n != len(pagesWhole) {
		t.Errorf("a new sweep after a finished one read %d regions, want all %d", n, len(pagesWhole))
	}
}

func TestSweepPacing(t *testing.T) {
	tests := []struct {
		name      string
		rate      float64
		throttled bool
	}{
		{"at the quota, never throttled", 0, false},
		{"four times the quota, throttled and retried", 4 * DefaultSweepRate, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.throttled {
				// On the wall clock: once throttled, the SDK's adaptive
				// retryer computes its wait in float seconds and may ask
				// to sleep 0 for a token a rounding error short, which on
				// a synctest clock (time moves only when every goroutine
				// waits) never comes. This case asserts no time.
				s, url := startSim(t, "root-key-ec2-onprem", sim.WithThrottle(sim.DefaultLookupRate))
				checkSweepPacing(t, s, responder(t, s, url), tt.rate, tt.throttled)
				return
			}
			// In a synctest bubble the pacing and the sim's throttle run
			// on the bubble's clock: the floor holds exactly, however
			// loaded the machine.
			synctest.Test(t, func(t *testing.T) {
				s := loadSim(t, "root-key-ec2-onprem", sim.WithThrottle(sim.DefaultLookupRate))
				checkSweepPacing(t, s, NewClients(bubbleConfig(t, s, nil)), tt.rate, tt.throttled)
			})
		})
	}
}

func checkSweepPacing(t *testing.T, s *sim.Sim, c *Clients, rate float64, throttled bool) {
	t.Helper()
	c.SweepRate = rate
	req := SweepRequest{KeyID: s.LeakedKeyID(), From: s.Now().Add(-7 * time.Hour), To: s.Now(), Regions: []string{"eu-west-1"}}
	progress := newProgressLog(t)
	start := time.Now()
	res, err := Sweep(context.Background(), c, req, progress.add)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r := res.Investigation.Regions[slices.IndexFunc(res.Investigation.Regions,
		func(r runbook.RegionSweep) bool { return r.Region == "eu-west-1" })]
	throttles := 0
	for _, rq := range s.Requests() {
		if rq.ErrorCode == "ThrottlingException" {
			throttles++
		}
	}
	sawThrottled := slices.Contains(progress.states["eu-west-1"], runbook.RegionThrottled)
	if r.State != runbook.RegionDone || r.Pages < 4 {
		t.Fatalf("eu-west-1 %+v: want done, several pages", r)
	}
	if throttled != (throttles > 0) || throttled != sawThrottled {
		t.Errorf("%d ThrottlingException, throttled state shown %v; want throttled %v", throttles, sawThrottled, throttled)
	}
	// At 2 requests per second, n pages take (n-1)/2 s at least.
	if floor := time.Duration(r.Pages-1) * time.Second / 2; !throttled && took < floor {
		t.Errorf("%d pages in %v: faster than the quota allows (%v)", r.Pages, took, floor)
	}
}

func TestInvestigateOnlyJSON(t *testing.T) {
	s, url := startSim(t, "attacker-only")
	c := responder(t, s, url)
	var regions []string
	rep := InvestigateOnly(context.Background(), c, s.LeakedKeyID(), InvestigateOptions{Now: s.Now(),
		Progress: func(r runbook.RegionSweep) {
			if r.State == runbook.RegionDone {
				regions = append(regions, r.Region)
			}
		}})
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Identification runbook.KeyIdentified  `json:"identification"`
		Investigation  *runbook.Investigation `json:"investigation"`
		Failure        *runbook.EffectFailed  `json:"failure"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, buf.String())
	}
	if doc.Failure != nil || doc.Investigation == nil {
		t.Fatalf("failure %+v", doc.Failure)
	}
	if doc.Identification.Key.User != "legacy-deployer" || doc.Identification.Caller.Account != s.AccountID() {
		t.Errorf("identification %+v", doc.Identification)
	}
	inv := doc.Investigation
	if got, want := inv.To, s.Now(); !got.Equal(want) || !inv.From.Equal(want.Add(-90*day)) {
		t.Errorf("window %v to %v, want the 90 days before %v", inv.From, inv.To, want)
	}
	if len(inv.Callers) != 1 || inv.Callers[0].SourceIP != "198.51.100.140" || len(inv.Indicators) == 0 {
		t.Errorf("callers %+v, indicators %d", inv.Callers, len(inv.Indicators))
	}
	if len(regions) != len(defaultRegions) {
		t.Errorf("progress reported %d regions done, want %d", len(regions), len(defaultRegions))
	}
	// No secret of the scenario appears anywhere in the output.
	_, responderSecret := s.ResponderCredentials()
	for _, ref := range []string{"leaked", "persist", "metrics"} {
		if _, secret, ok := s.KeyCredentials(ref); ok && strings.Contains(buf.String(), secret) {
			t.Errorf("the secret of key %q is in the output", ref)
		}
	}
	if strings.Contains(buf.String(), responderSecret) {
		t.Error("the responder's secret is in the output")
	}
}
