package awsops

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// window is a sweep of the last span: short, because the race detector
// makes every page slow.
func window(s *sim.Sim, span time.Duration) SweepRequest {
	return SweepRequest{KeyID: s.LeakedKeyID(), From: s.Now().Add(-span), To: s.Now()}
}

// attackWindow is the stretch of each scenario that holds every planted
// action of the attacker and a call of every legitimate caller (the
// deploy pipeline calls every 8 hours): all a test needs, in few pages.
func attackWindow(s *sim.Sim) SweepRequest {
	span := map[string][2]time.Duration{
		"root-key-ec2-onprem": {6*day + 5*time.Hour, 5*day + 20*time.Hour},
		"iam-user-lambda-ci":  {2*day + 7*time.Hour, 1*day + 22*time.Hour},
		"attacker-only":       {1*day + 4*time.Hour, 1 * day},
		"llm-jacking-ci":      {2*day + 12*time.Hour, 1*day + 19*time.Hour},
	}[s.Scenario().Name]
	return SweepRequest{KeyID: s.LeakedKeyID(), From: s.Now().Add(-span[0]), To: s.Now().Add(-span[1])}
}

// threatSteps are the planted actions that must come out as indicators.
var threatSteps = map[string]bool{
	"CreateUser": true, "CreateAccessKey": true, "AttachUserPolicy": true,
	"CreateLoginProfile": true, "RunInstances": true,
	// Issue 14's families (llm-jacking-ci).
	"PutUseCaseForModelAccess": true, "PutFoundationModelEntitlement": true, "UpdateDetector": true,
	"VerifyEmailIdentity": true, "ModifySnapshotAttribute": true,
}

// progressLog records progress as Sweep delivers it, checking it comes one
// call at a time.
type progressLog struct {
	mu     sync.Mutex
	busy   bool
	t      *testing.T
	states map[string][]runbook.RegionState
	last   map[string]runbook.RegionSweep
}

func newProgressLog(t *testing.T) *progressLog {
	return &progressLog{t: t, states: map[string][]runbook.RegionState{}, last: map[string]runbook.RegionSweep{}}
}

func (p *progressLog) add(r runbook.RegionSweep) {
	p.mu.Lock()
	if p.busy {
		p.t.Error("progress called while another call was running")
	}
	p.busy = true
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.busy = false; p.mu.Unlock() }()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.states[r.Region]; len(s) == 0 || s[len(s)-1] != r.State {
		p.states[r.Region] = append(s, r.State)
	}
	// Events come newest first, so how far back a region got only grows:
	// the TUI's bar is read from it.
	if prev := p.last[r.Region].Oldest; !prev.IsZero() && r.Oldest.After(prev) {
		p.t.Errorf("region %s: oldest event read moved forward, %s after %s", r.Region, r.Oldest, prev)
	}
	p.last[r.Region] = r
}

func TestSweepFindsTheScenarioCallers(t *testing.T) {
	for _, name := range []string{"root-key-ec2-onprem", "iam-user-lambda-ci", "attacker-only", "llm-jacking-ci"} {
		t.Run(name, func(t *testing.T) {
			s, url := startSim(t, name)
			sc := s.Scenario()
			c := responder(t, s, url)
			progress := newProgressLog(t)
			res, err := Sweep(context.Background(), c, attackWindow(s), progress.add)
			if err != nil {
				t.Fatal(err)
			}
			inv := res.Investigation

			// Every workload calling with the leaked key is one caller,
			// labelled as the scenario says; nothing else is.
			type want struct {
				legit    bool
				kind     runbook.CallerKind
				resource string
				attacker string
			}
			wants := map[string]want{}
			for _, w := range sc.Workloads {
				if w.Key != sc.LeakedKey {
					continue
				}
				ip, res := w.SourceIP, ""
				kind := map[string]runbook.CallerKind{sim.KindEC2: runbook.CallerEC2, sim.KindLambda: runbook.CallerLambda,
					sim.KindECS: runbook.CallerECS, sim.KindOnPrem: runbook.CallerOffAWS, sim.KindCI: runbook.CallerOffAWS}[w.Kind]
				if w.Kind == sim.KindEC2 {
					i := slices.IndexFunc(sc.Instances, func(in sim.Instance) bool { return in.ID == w.RunsOn })
					ip, res = sc.Instances[i].PublicIP, w.RunsOn
				}
				if w.Kind == sim.KindLambda {
					res = w.RunsOn // pinned to its function by lambda:ListFunctions
				}
				wants[ip] = want{legit: w.Legitimate, kind: kind, resource: res, attacker: w.Name}
			}
			ids := map[string]string{} // caller ID → source IP
			for _, got := range inv.Callers {
				w, ok := wants[got.SourceIP]
				if !ok {
					t.Errorf("unexpected caller %s (%s, %s)", got.SourceIP, got.Kind, got.Label)
					continue
				}
				ids[got.ID] = got.SourceIP
				switch {
				case w.legit && (got.Label != runbook.LabelLegitimate || got.Kind != w.kind || got.Resource != w.resource):
					t.Errorf("caller %s: %s %s %q, want legitimate %s %q", got.SourceIP, got.Label, got.Kind, got.Resource, w.kind, w.resource)
				case !w.legit && got.Label != runbook.LabelSuspicious && got.Label != runbook.LabelAttacker:
					t.Errorf("attacker %s labelled %s", got.SourceIP, got.Label)
				}
			}
			if len(ids) != len(wants) || len(inv.Callers) != len(wants) {
				t.Errorf("found %d callers, want %d: %v", len(inv.Callers), len(wants), wants)
			}

			// Every planted persistence and compute action is an indicator
			// of its attacker; no legitimate caller has one.
			seen := map[string]bool{}
			for _, ind := range inv.Indicators {
				ip := ids[ind.CallerID]
				if wants[ip].legit {
					t.Errorf("indicator %q on legitimate caller %s", ind.Summary, ip)
				}
				for _, e := range ind.Events {
					seen[wants[ip].attacker+" "+e.Name+" "+e.Region] = true
				}
			}
			for _, w := range sc.Workloads {
				for _, st := range w.Steps {
					if w.Key != sc.LeakedKey || !threatSteps[st.Action] {
						continue
					}
					region := st.Region
					if region == "" || st.Service == "iam" {
						region = "us-east-1"
					}
					if k := w.Name + " " + st.Action + " " + region; !seen[k] {
						t.Errorf("planted %s is no indicator", k)
					}
				}
			}

			// Every enabled region was swept to the end; the totals agree;
			// progress ended where the investigation says.
			wantRegions := len(sc.Regions)
			if wantRegions == 0 {
				wantRegions = len(defaultRegions)
			}
			sum, callerSum := 0, 0
			for _, r := range inv.Regions {
				sum += r.Events
				if r.State != runbook.RegionDone || r.Error != "" {
					t.Errorf("region %s: %s %q", r.Region, r.State, r.Error)
				}
				if st := progress.states[r.Region]; st[0] != runbook.RegionPending || st[len(st)-1] != runbook.RegionDone {
					t.Errorf("region %s went %v", r.Region, st)
				}
				if r.Events > 0 && r.Oldest.IsZero() {
					t.Errorf("region %s read %d events but says it reached none", r.Region, r.Events)
				}
				if progress.last[r.Region] != r {
					t.Errorf("last progress of %s %+v, result %+v", r.Region, progress.last[r.Region], r)
				}
			}
			for _, cl := range inv.Callers {
				callerSum += cl.Events
			}
			if len(inv.Regions) != wantRegions || len(res.Finished) != wantRegions || len(res.Unfinished) != 0 {
				t.Errorf("%d regions, %d finished, want %d", len(inv.Regions), len(res.Finished), wantRegions)
			}
			if inv.Events == 0 || sum != inv.Events || callerSum != inv.Events {
				t.Errorf("events %d, by region %d, by caller %d", inv.Events, sum, callerSum)
			}
			for _, r := range s.Requests() {
				if r.Action == "LookupEvents" && !slices.ContainsFunc(inv.Regions, func(x runbook.RegionSweep) bool { return x.Region == r.Region }) {
					t.Errorf("LookupEvents in %s, not an enabled region", r.Region)
				}
			}
			if res.Interrupted || len(res.Findings) != 0 {
				t.Errorf("interrupted %v, findings %+v", res.Interrupted, res.Findings)
			}
		})
	}
}

// deniedIn answers LookupEvents in its regions with AccessDeniedException
// and passes the rest to the real client.
func deniedIn(c *Clients, regions ...string) {
	real := c.NewCloudTrail
	c.NewCloudTrail = func(region string) CloudTrailAPI {
		if slices.Contains(regions, region) {
			return deniedTrail{}
		}
		return real(region)
	}
}

type deniedTrail struct{}

func (deniedTrail) LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException",
		Message: "User: arn:aws:iam::1:user/x is not authorized to perform: cloudtrail:LookupEvents with an explicit deny"}
}

func TestSweepDeniedRegion(t *testing.T) {
	tests := []struct {
		region   string
		severity runbook.Severity
		coverage string
	}{
		{"eu-west-1", runbook.SeverityWarning, "Not swept: eu-west-1 (denied)"},
		{"us-east-1", runbook.SeverityCritical, "us-east-1 was not swept: IAM, STS and console sign-in events"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			s, url := startSim(t, "root-key-ec2-onprem")
			c := responder(t, s, url)
			deniedIn(c, tt.region)
			ev := Investigate(context.Background(), c, runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(),
				From: s.Now().Add(-day), To: s.Now()}, nil)
			fin, ok := ev.(runbook.SweepFinished)
			if !ok {
				t.Fatalf("got %#v, want SweepFinished", ev)
			}
			var denied []runbook.RegionSweep
			for _, r := range fin.Investigation.Regions {
				if r.State != runbook.RegionDone {
					denied = append(denied, r)
				}
			}
			if len(denied) != 1 || denied[0].Region != tt.region || denied[0].State != runbook.RegionDenied ||
				!strings.Contains(denied[0].Error, "lack cloudtrail:LookupEvents") {
				t.Errorf("regions not done: %+v", denied)
			}
			if len(fin.Findings) != 1 || fin.Findings[0].Action != "cloudtrail:LookupEvents" ||
				fin.Findings[0].Severity != tt.severity || !strings.Contains(fin.Findings[0].Message, tt.region) {
				t.Errorf("findings %+v", fin.Findings)
			}
			if cov := strings.Join(fin.Investigation.Coverage, "\n"); !strings.Contains(cov, tt.coverage) {
				t.Errorf("coverage does not say %q:\n%s", tt.coverage, cov)
			}
		})
	}
}

func TestSweepNothingReadFails(t *testing.T) {
	sc := loadScenario(t, "attacker-only")
	limitResponder(t, sc, []string{"sts:*", "ec2:Describe*"}, nil)
	s, url := startScenario(t, sc)
	ev := Investigate(context.Background(), responder(t, s, url), runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(),
		From: s.Now().Add(-day), To: s.Now()}, nil)
	f, ok := ev.(runbook.EffectFailed)
	if !ok || f.Effect != "SweepCloudTrail" || f.Action != "cloudtrail:LookupEvents" || !strings.Contains(f.Message, "No region") {
		t.Errorf("got %#v, want EffectFailed naming cloudtrail:LookupEvents", ev)
	}
}

func TestSweepWithoutDescribeRegions(t *testing.T) {
	sc := loadScenario(t, "attacker-only")
	limitResponder(t, sc, []string{"sts:*", "cloudtrail:LookupEvents", "ec2:DescribeInstances", "ec2:DescribeAddresses", "lambda:ListFunctions"}, nil)
	s, url := startScenario(t, sc)
	res, err := Sweep(context.Background(), responder(t, s, url), attackWindow(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for _, r := range res.Investigation.Regions {
		regions = append(regions, r.Region)
	}
	if !slices.Equal(regions, defaultRegions) {
		t.Errorf("swept %v, want the default regions", regions)
	}
	if len(res.Findings) != 1 || res.Findings[0].Action != "ec2:DescribeRegions" || !strings.Contains(res.Findings[0].Message, "opt-in regions") {
		t.Errorf("findings %+v", res.Findings)
	}
	if len(res.Investigation.Callers) != 1 {
		t.Errorf("callers %+v, want the intruder", res.Investigation.Callers)
	}
}

func TestSweepOnlyAskedRegions(t *testing.T) {
	s, url := startSim(t, "root-key-ec2-onprem")
	c := responder(t, s, url)
	req := window(s, day)
	req.Regions = []string{"eu-west-1"}
	res, err := Sweep(context.Background(), c, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests() {
		if r.Action == "LookupEvents" && r.Region != "eu-west-1" {
			t.Errorf("LookupEvents in %s", r.Region)
		}
	}
	if !slices.Equal(res.Finished, []string{"eu-west-1"}) || len(res.Unfinished) != 17 {
		t.Errorf("finished %v, unfinished %v", res.Finished, res.Unfinished)
	}
	if cov := strings.Join(res.Investigation.Coverage, "\n"); !strings.Contains(cov, "Swept 1 of 18 regions: eu-west-1. Not swept: ap-northeast-1 (pending)") {
		t.Errorf("coverage:\n%s", cov)
	}
}

// An opt-in region the account has not enabled refuses every regional
// service's calls, so the sweep and its inventory never call there: the
// coverage names it skipped, and the account's one enabled opt-in region
// is swept like the others.
func TestSweepSkipsRegionsNotEnabled(t *testing.T) {
	s, url := startSim(t, "root-key-ec2-onprem")
	res, err := Sweep(context.Background(), responder(t, s, url), window(s, day), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests() {
		if r.Region == "ap-east-1" || r.ErrorCode == "UnrecognizedClientException" || r.ErrorCode == "AuthFailure" {
			t.Errorf("%s %s in %s: %s", r.Service, r.Action, r.Region, r.ErrorCode)
		}
	}
	swept := map[string]bool{}
	for _, r := range res.Investigation.Regions {
		swept[r.Region] = true
	}
	if !swept["ap-southeast-3"] || swept["ap-east-1"] || len(swept) != 18 {
		t.Errorf("swept %v, want the 18 enabled regions, ap-southeast-3 among them", swept)
	}
	cov := strings.Join(res.Investigation.Coverage, "\n")
	if !strings.Contains(cov, "opt-in regions the account has not enabled") || !strings.Contains(cov, "ap-east-1") {
		t.Errorf("coverage does not name the regions skipped:\n%s", cov)
	}
}
