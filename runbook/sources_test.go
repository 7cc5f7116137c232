package runbook

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testStore = "EXAMPLEf-852a-4e8f-8bd1-bcf6cEXAMPLE"

func localSource() TrailSource { return TrailSource{Kind: TrailLocal, Location: "/var/trail"} }

func athenaSource() TrailSource {
	return TrailSource{Kind: TrailAthena, Workgroup: "primary", Table: "security.cloudtrail_logs"}
}

// withQuery returns src carrying the query the machine at m builds for it.
func withQuery(t *testing.T, m *Machine, src TrailSource) TrailSource {
	t.Helper()
	q, err := m.State().TrailQuery(src, time.Time{}, time.Time{})
	if err != nil {
		t.Fatalf("TrailQuery: %v", err)
	}
	src.Query = q
	return src
}

func sweptRegions(m *Machine) {
	inv := *m.s.Investigate.Investigation
	inv.Regions = []RegionSweep{{Region: "us-east-1", State: RegionDone}, {Region: "eu-west-1", State: RegionDone},
		{Region: "ap-south-1", State: RegionDenied}}
	m.s.Investigate.Investigation = &inv
}

func scanning(m *Machine) {
	if _, err := m.Apply(AddTrailSource{Source: localSource()}); err != nil {
		panic(err)
	}
}

func TestTrailSourceTransitions(t *testing.T) {
	tampered := func(m *Machine) Event {
		src := withQuery(&testing.T{}, m, athenaSource())
		q := *src.Query
		q.SQL = strings.Replace(q.SQL, "= ?", "= 'AKIAIOSFODNN7EXAMPLE' OR 1=1 --", 1)
		src.Query = &q
		return AddTrailSource{Source: src}
	}
	tests := []struct {
		name        string
		at          string
		setup       func(*Machine)
		event       func(*Machine) Event
		wantEffects []string
		wantRefusal string
	}{
		{name: "local directory after the sweep", at: "investigated", event: ev(AddTrailSource{Source: localSource()}), wantEffects: []string{"ScanTrailSource"}},
		{name: "s3 prefix after the sweep", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailS3, Location: "s3://org-trail/logs"}}), wantEffects: []string{"ScanTrailSource"}},
		{name: "athena with the query shown", at: "investigated", event: func(m *Machine) Event { return AddTrailSource{Source: withQuery(t, m, athenaSource())} }, wantEffects: []string{"ScanTrailSource"}},
		{name: "lake with the query shown", at: "investigated", event: func(m *Machine) Event {
			return AddTrailSource{Source: withQuery(t, m, TrailSource{Kind: TrailLake, EventDataStore: testStore})}
		}, wantEffects: []string{"ScanTrailSource"}},
		{name: "athena without the query refused", at: "investigated", event: ev(AddTrailSource{Source: athenaSource()}), wantRefusal: "show the responder the query"},
		{name: "athena with another query refused", at: "investigated", event: tampered, wantRefusal: "exactly the SQL"},
		{name: "local with a query refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailLocal, Location: "/x", Query: &TrailQuery{SQL: "SELECT 1"}}}), wantRefusal: "run no query"},
		{name: "before the sweep refused", at: "identified", event: ev(AddTrailSource{Source: localSource()}), wantRefusal: "during the investigation"},
		{name: "during the sweep refused", at: "sweeping", event: ev(AddTrailSource{Source: localSource()}), wantRefusal: "wait for the event-history sweep"},
		{name: "after proposals began refused", at: "proposing", event: ev(AddTrailSource{Source: localSource()}), wantRefusal: "not at Propose"},
		{name: "second source while reading refused", at: "investigated", setup: scanning, event: ev(AddTrailSource{Source: localSource()}), wantRefusal: "being read"},
		{name: "unknown kind refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: "ftp", Location: "x"}}), wantRefusal: "not a trail source"},
		{name: "empty directory refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailLocal}}), wantRefusal: "name the directory"},
		{name: "not an s3 location refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailS3, Location: "/tmp/x"}}), wantRefusal: "not an S3 location"},
		{name: "bad bucket refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailS3, Location: "s3://Bad_Bucket/x"}}), wantRefusal: "not an S3 bucket name"},
		{name: "table name with a quote refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailAthena, Workgroup: "primary", Table: `logs"; DROP TABLE x; --`}}), wantRefusal: "not an Athena table name"},
		{name: "bad workgroup refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailAthena, Workgroup: "a b", Table: "t"}}), wantRefusal: "not an Athena workgroup"},
		{name: "lake store with SQL in it refused", at: "investigated", event: ev(AddTrailSource{Source: TrailSource{Kind: TrailLake, EventDataStore: "x WHERE 1=1 --"}}), wantRefusal: "not a CloudTrail Lake event data store"},
		{name: "inverted window refused", at: "investigated", event: ev(AddTrailSource{Source: localSource(), From: t0, To: t0.Add(-time.Hour)}), wantRefusal: "start is before its end"},
		{name: "progress while reading", at: "investigated", setup: scanning, event: ev(TrailScanProgress{Kind: TrailLocal, Stats: TrailScanStats{Files: 3}})},
		{name: "progress with nothing read refused", at: "investigated", event: ev(TrailScanProgress{Kind: TrailLocal}), wantRefusal: "no trail source is being read"},
		{name: "unasked result refused", at: "investigated", event: ev(TrailSourceScanned{Source: localSource()}), wantRefusal: "no ScanTrailSource was asked for"},
		{name: "result merges", at: "investigated", setup: scanning, event: ev(TrailSourceScanned{Source: localSource()})},
		{name: "failed scan is retryable", at: "investigated", setup: scanning, event: ev(EffectFailed{Effect: "ScanTrailSource", Code: "AccessDenied", Action: "s3:ListBucket", Message: "denied"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, tt.at)
			if tt.setup != nil {
				tt.setup(m)
			}
			before := m.Clone()
			effects, err := m.Apply(tt.event(m))
			if tt.wantRefusal != "" {
				var r *Refusal
				if !errors.As(err, &r) || !strings.Contains(r.Reason, tt.wantRefusal) {
					t.Fatalf("want refusal containing %q, got effects %v err %v", tt.wantRefusal, effectNames(effects), err)
				}
				if !reflect.DeepEqual(before, m) {
					t.Fatal("a refused event changed the state")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := effectNames(effects); !reflect.DeepEqual(got, tt.wantEffects) {
				t.Errorf("effects = %v, want %v", got, tt.wantEffects)
			}
		})
	}
}

func ev(e Event) func(*Machine) Event { return func(*Machine) Event { return e } }

func TestScanEffectCarriesWhatTheSweepCovered(t *testing.T) {
	m := machineAt(t, "investigated")
	sweptRegions(m)
	effects, err := m.Apply(AddTrailSource{Source: localSource(), From: t0.Add(-200 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e := effects[0].(ScanTrailSource)
	if e.KeyID != testKey || e.Account != "111122223333" || !e.To.Equal(t0) || !e.From.Equal(t0.Add(-200*24*time.Hour)) {
		t.Fatalf("effect = %+v", e)
	}
	// Denied regions were not read; event history reaches back 90 days only.
	want := TrailCoverage{From: t0.Add(-DefaultSweepWindow), To: t0, Regions: []string{"us-east-1", "eu-west-1"}}
	if !reflect.DeepEqual(e.Covered, want) {
		t.Fatalf("covered = %+v, want %+v", e.Covered, want)
	}
	// A second source covers what the first one read, data events too.
	read := scanned()
	read.Found.From, read.Found.To = t0.Add(-48*time.Hour), t0
	if _, err := m.Apply(read); err != nil {
		t.Fatal(err)
	}
	effects, err = m.Apply(AddTrailSource{Source: TrailSource{Kind: TrailS3, Location: "s3://trail/logs"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := effects[0].(ScanTrailSource).Covered.Trails; len(got) != 1 || !got[0].From.Equal(t0.Add(-48*time.Hour)) {
		t.Fatalf("covered trails = %+v, want the first source's window", got)
	}
	if _, err := m.Apply(EffectFailed{Effect: "ScanTrailSource", Message: "gone"}); err != nil {
		t.Fatal(err)
	}
	again, err := m.Apply(Retry{})
	if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], effects[0]) {
		t.Fatalf("retry = %v %v, want the same scan", again, err)
	}
}

var (
	getObject = ActionUse{Source: "s3.amazonaws.com", Name: "GetObject", Region: "eu-west-1", Count: 40, ReadOnly: true,
		Resources: []string{"arn:aws:s3:::invoices/*"}, LastSeen: t0.Add(-time.Hour)}
	describeUse = ActionUse{Source: "ec2.amazonaws.com", Name: "DescribeInstances", Region: "eu-west-1", Count: 5, ReadOnly: true,
		Resources: []string{"*"}, LastSeen: t0.Add(-2 * time.Hour)}
)

func scanned() TrailSourceScanned {
	exfil := UsageCaller{ID: "c-exfil", SourceIP: "192.0.2.99", Kind: CallerOffAWS, Label: LabelSuspicious, Why: "judged by the source",
		Regions: []string{"eu-west-1"}, Actions: []ActionUse{getObject}, FirstSeen: t0.Add(-3 * time.Hour), LastSeen: t0.Add(-time.Hour), Events: 40}
	ec2 := UsageCaller{ID: "c-ec2", SourceIP: "54.1.2.3", Kind: CallerEC2, Label: LabelLegitimate, Regions: []string{"eu-west-1"},
		Actions: []ActionUse{describeUse, getObject}, FirstSeen: t0.Add(-48 * time.Hour), LastSeen: t0.Add(-time.Hour), Events: 45}
	addedEC2 := ec2
	addedEC2.Actions, addedEC2.Events = []ActionUse{getObject}, 40 // DescribeInstances was in event history
	return TrailSourceScanned{
		Source: TrailSource{Kind: TrailS3, Location: "s3://trail/logs"},
		Found: Investigation{Callers: []UsageCaller{ec2, exfil},
			Indicators: []Indicator{
				{Kind: "persistence", CallerID: "c-evil", Summary: "Persistence (IAM…): CreateUser ×1", Severity: SeverityCritical,
					Events: []EventRef{{ID: "e1", Time: t0.Add(-time.Hour)}, {ID: "e2", Time: t0.Add(-time.Minute)}}},
			},
			BlastRadius: []Resource{
				{Type: "iam-user", ID: "backup-admin", Action: "CreateUser", Time: t0.Add(-time.Hour)},
				{Type: "s3-objects-read", ID: "invoices", Region: "eu-west-1", Action: "GetObject", Time: t0.Add(-3 * time.Hour)},
			},
			Coverage: []string{"s3://trail/logs: 12 files."}},
		Added:       []UsageCaller{addedEC2, exfil},
		AddedEvents: 80,
	}
}

func TestMergeAddsWhatTheSweepDidNotRead(t *testing.T) {
	base := fixtureInvestigation()
	base.Events = 100
	base.Callers[0].Events, base.Callers[0].Actions = 5, []ActionUse{describeUse}
	base.Callers[0].Regions = []string{"eu-west-1"}
	base.Callers[0].FirstSeen = t0.Add(-48 * time.Hour)
	base.Indicators = []Indicator{{Kind: "persistence", CallerID: "c-evil", Summary: "Persistence (IAM…): CreateUser ×1",
		Severity: SeverityCritical, Events: []EventRef{{ID: "e1", Time: t0.Add(-time.Hour)}}}}
	got, changed := mergeTrail(base, scanned())

	if got.Events != 180 {
		t.Errorf("events = %d, want 100 + 80 (events seen twice count once)", got.Events)
	}
	ec2, _ := got.Caller("c-ec2")
	if ec2.Events != 45 || len(ec2.Actions) != 2 || ec2.Actions[1].Name != "GetObject" || ec2.Actions[0].Count != 5 {
		t.Errorf("c-ec2 = %d events, actions %+v; want 45 and DescribeInstances ×5 + GetObject ×40", ec2.Events, ec2.Actions)
	}
	exfil, ok := got.Caller("c-exfil")
	if !ok || exfil.Label != LabelSuspicious || exfil.Why != "judged by the source" || exfil.Events != 40 {
		t.Errorf("new caller = %+v, want it as the source judged it", exfil)
	}
	if !changed["c-ec2"] || !changed["c-exfil"] || changed["c-cron"] {
		t.Errorf("changed = %v", changed)
	}
	if len(got.Indicators) != 1 || len(got.Indicators[0].Events) != 2 {
		t.Errorf("indicators = %+v, want the two persistence indicators as one with both events", got.Indicators)
	}
	if len(got.BlastRadius) != 2 || got.BlastRadius[0].Type != "s3-objects-read" {
		t.Errorf("blast radius = %+v, want the created user once and the bucket read", got.BlastRadius)
	}
	if len(got.Trails) != 1 || got.Trails[0].Source.Location != "s3://trail/logs" {
		t.Errorf("trails read = %+v, want the S3 source", got.Trails)
	}
	if len(got.Coverage) != 1 || len(base.Callers) != 4 || base.Callers[0].Events != 5 {
		t.Errorf("coverage %q; the base must stay untouched: %+v", got.Coverage, base.Callers[0])
	}
}

func TestMergeTakesTheVerdictsOfASourceThatSawMore(t *testing.T) {
	base := fixtureInvestigation()
	base.Indicators = []Indicator{{Kind: "recon", CallerID: "c-evil", Summary: "Reconnaissance: 4 of its 4 calls", Events: []EventRef{{ID: "a"}}},
		{Kind: "recon", CallerID: "c-cron", Summary: "Reconnaissance: 2 of its 3 calls"}}
	e := scanned()
	e.Found.Callers = append(e.Found.Callers, UsageCaller{ID: "c-evil"})
	e.Found.Indicators = []Indicator{{Kind: "recon", CallerID: "c-evil", Summary: "Reconnaissance from a new address, starting with GetCallerIdentity: …"}}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"a window holding the sweep's", base.From.Add(-24 * time.Hour), base.To, []string{"c-cron: Reconnaissance", "c-evil: Reconnaissance from a new address, starting with GetCallerIdentity"}},
		{"a narrower window", base.To.Add(-24 * time.Hour), base.To, []string{"c-evil: Reconnaissance", "c-cron: Reconnaissance", "c-evil: Reconnaissance from a new address, starting with GetCallerIdentity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Found.From, e.Found.To = tt.from, tt.to
			got, _ := mergeTrail(base, e)
			var heads []string
			for _, in := range got.Indicators {
				head, _, _ := strings.Cut(in.Summary, ":")
				heads = append(heads, in.CallerID+": "+head)
			}
			if !reflect.DeepEqual(heads, tt.want) {
				t.Fatalf("indicators %q, want %q", heads, tt.want)
			}
		})
	}
}

func TestMergeKeepsTheRespondersLabels(t *testing.T) {
	m := machineAt(t, "investigated")
	scanning(m)
	if _, err := m.Apply(RelabelCaller{CallerID: "c-ec2", Label: LabelSuspicious}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(scanned()); err != nil {
		t.Fatal(err)
	}
	c, _ := m.State().Investigate.Investigation.Caller("c-ec2")
	if c.Label != LabelSuspicious {
		t.Fatalf("label = %s: the merge overwrote the responder's relabel", c.Label)
	}
}

func TestLateResultsReachTheProposals(t *testing.T) {
	m := machineAt(t, "investigated")
	scanning(m)
	if _, err := m.Apply(BeginProposals{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ProposalsReady{Proposals: fixtureProposals()}); err != nil {
		t.Fatal(err)
	}
	effects, err := m.Apply(scanned())
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 1 {
		t.Fatalf("effects = %v, want a new proposal for c-ec2, which now reads S3", effectNames(effects))
	}
	p := effects[0].(ProposeReplacements)
	if len(p.Callers) != 1 || p.Callers[0].ID != "c-ec2" || !strings.Contains(strings.Join(actionNames(p.Callers[0].Actions), ","), "s3:GetObject") {
		t.Fatalf("proposal asked for %+v", p.Callers)
	}

	// Past the proposals, an applied replacement cannot change: say so.
	m = machineAt(t, "investigated")
	scanning(m)
	for _, e := range []Event{BeginProposals{}, ProposalsReady{Proposals: fixtureProposals()},
		fixtureProofs()[0], fixtureProofs()[1],
		DecideProposal{CallerID: "c-ec2", Decision: DecisionApply}, DecideProposal{CallerID: "c-cron", Decision: DecisionApply},
		ApplyProposals{}, ReplacementApplied{CallerID: "c-ec2"}, ReplacementApplied{CallerID: "c-cron"}} {
		if _, err := m.Apply(e); err != nil {
			t.Fatalf("%s: %v", e.EventName(), err)
		}
	}
	if effects, err := m.Apply(scanned()); err != nil || len(effects) != 0 {
		t.Fatalf("effects %v err %v", effectNames(effects), err)
	}
	f := m.State().Findings
	if len(f) == 0 || !strings.Contains(f[len(f)-1].Message, "caller c-ec2") || !strings.Contains(f[len(f)-1].Message, "s3:GetObject") {
		t.Fatalf("findings = %+v, want a warning about c-ec2's GetObject", f)
	}
}

func TestTrailEventsReplay(t *testing.T) {
	m := machineAt(t, "investigated")
	src := withQuery(t, m, athenaSource())
	for _, e := range []Event{AddTrailSource{Source: src}, TrailScanProgress{Kind: TrailAthena, Stats: TrailScanStats{State: "RUNNING"}}, scanned()} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeEvent(e.EventName(), data)
		if err != nil {
			t.Fatalf("decode %s: %v", e.EventName(), err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("%s does not round-trip:\n%+v\n%+v", e.EventName(), back, e)
		}
	}
}
