package runbook

import (
	"reflect"
	"strings"
	"testing"
)

// failRegion marks one region of the machine's investigation as not swept.
func failRegion(m *Machine) {
	inv := *m.s.Investigate.Investigation
	inv.Regions = []RegionSweep{{Region: "us-east-1", State: RegionDone}, {Region: "eu-west-1", State: RegionFailed, Error: "connection reset"}}
	m.s.Investigate.Investigation = &inv
}

func unreadMinted(m *Machine) {
	inv := *m.s.Investigate.Investigation
	inv.Minted = []MintedCredential{{KeyID: "ASIAEXAMPLEEXAMPLE22", Via: ViaGetSessionToken, Swept: true, Unread: []string{"us-east-1"}}}
	m.s.Investigate.Investigation = &inv
}

// sweepFailedAt is the case: LookupEvents denied, the sweep fails.
var sweepDenied = EffectFailed{Effect: "SweepCloudTrail", Action: "cloudtrail:LookupEvents", Code: "AccessDenied", Message: "No region's event history could be read."}

func TestIncompleteInvestigationBlocksDecisions(t *testing.T) {
	failSweep := func(m *Machine) {
		if _, err := m.Apply(sweepDenied); err != nil {
			t.Fatal(err)
		}
	}
	runTransitions(t, []transition{
		{name: "failed sweep blocks proposals", at: "sweeping", setup: failSweep, event: BeginProposals{}, wantRefusal: "the CloudTrail sweep failed: No region's event history could be read"},
		{name: "failed sweep with a written override goes on", at: "sweeping", setup: failSweep, event: BeginProposals{Override: "CloudTrail is down; the key is being abused now"}, wantStep: StepPropose, wantEffects: []string{"ProposeReplacements"}},
		{name: "blank override is no override", at: "sweeping", setup: failSweep, event: BeginProposals{Override: "  "}, wantRefusal: "investigation is incomplete"},
		{name: "failed region blocks proposals and is named", at: "investigated", setup: failRegion, event: BeginProposals{}, wantRefusal: "region eu-west-1 not swept (failed: connection reset)"},
		{name: "unread minted credential blocks proposals", at: "investigated", setup: unreadMinted, event: BeginProposals{}, wantRefusal: "ASIAEXAMPLEEXAMPLE22 (GetSessionToken) not read in us-east-1"},
		{name: "complete investigation needs no override", at: "investigated", event: BeginProposals{}, wantStep: StepPropose, wantEffects: []string{"ProposeReplacements"}},
		{name: "a gap opened later blocks going to deactivation", at: "applied", setup: failRegion, event: ProceedToDeactivate{Override: "callers decided"}, wantRefusal: "cannot deactivate: the investigation is incomplete"},
		{name: "a gap blocks deactivation", at: "deactivate", setup: failRegion, event: ConfirmDeactivate{}, wantRefusal: "cannot deactivate: the investigation is incomplete"},
		{name: "a gap blocks deletion", at: "watched", setup: failRegion, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "cannot delete: the investigation is incomplete"},
		{name: "retry of a failed sweep runs it again", at: "sweeping", setup: failSweep, event: Retry{}, wantStep: StepInvestigate, wantEffects: []string{"SweepCloudTrail"}},
	})
}

// TestFailedSweepThenDeactivateNeedsOverride replays the path:
// LookupEvents denied, then enter through to deactivation. Before, the
// empty investigation made at BeginInvestigation let every step pass.
func TestFailedSweepThenDeactivateNeedsOverride(t *testing.T) {
	m := machineAt(t, "sweeping")
	if _, err := m.Apply(sweepDenied); err != nil {
		t.Fatal(err)
	}
	if inv := m.State().Investigate.Investigation; inv == nil || inv.Failure == "" {
		t.Fatalf("a failed sweep must leave a failed investigation, got %+v", inv)
	}
	if _, err := m.Apply(BeginProposals{}); err == nil {
		t.Fatal("proposals began on a failed sweep without an override")
	}
	reason := "LookupEvents denied to us; deactivating on the alert alone"
	if _, err := m.Apply(BeginProposals{Override: reason}); err != nil {
		t.Fatal(err)
	}
	o := m.State().Investigate.GapOverride
	if o == nil || o.Reason != reason || len(o.Missing) != 1 || !strings.Contains(o.Missing[0], "sweep failed") {
		t.Fatalf("override = %+v, want the reason and the failed sweep named", o)
	}
	// The override covers the gaps it named, so later steps go on.
	if gaps := m.openGaps(); len(gaps) != 0 {
		t.Fatalf("open gaps after the override: %v", gaps)
	}
}

func TestGaps(t *testing.T) {
	tests := []struct {
		name string
		inv  *Investigation
		want []string
	}{
		{"not run", nil, []string{"the CloudTrail sweep has not run"}},
		{"nothing swept", &Investigation{}, []string{"no region was swept"}},
		{"all done", &Investigation{Regions: []RegionSweep{{Region: "us-east-1", State: RegionDone}}}, nil},
		{"denied and interrupted", &Investigation{Regions: []RegionSweep{
			{Region: "us-east-1", State: RegionDenied, Error: "AccessDenied."},
			{Region: "eu-west-1", State: RegionPending},
			{Region: "us-west-2", State: RegionDone},
		}}, []string{"region us-east-1 not swept (denied: AccessDenied)", "region eu-west-1 not swept (pending)"}},
		{"minted read everywhere", &Investigation{Regions: []RegionSweep{{Region: "us-east-1", State: RegionDone}},
			Minted: []MintedCredential{{KeyID: "ASIA1", Via: ViaAssumeRole, Swept: true}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.inv.Gaps(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Gaps() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTimelineNamesAGapOverride(t *testing.T) {
	rec := Record{Type: RecordEvent, Name: "BeginProposals", Data: []byte(`{"override":"CloudTrail down"}`)}
	if got := describe(rec); !strings.Contains(got, "INCOMPLETE investigation, override: CloudTrail down") {
		t.Errorf("describe = %q", got)
	}
}
