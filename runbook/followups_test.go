package runbook

import (
	"slices"
	"strings"
	"testing"
)

// followUpInvestigation: the attacker read a secret, the cron workload read
// its own; the cron's deploy of its function is in the blast radius under
// its own ID only if the sweep attributed it so.
func followUpInvestigation() Investigation {
	inv := fixtureInvestigation()
	read := func(caller string) Indicator {
		return Indicator{Kind: "credential-access", Severity: SeverityInfo, CallerID: caller, Techniques: []string{"T1555.006"},
			FollowUps: []FollowUp{{Kind: "rotate", Technique: "secret-read", Do: "Rotate every secret it read.", CallerID: caller, Targets: []string{"prod/db"}}}}
	}
	inv.Indicators = []Indicator{read("c-evil"), read("c-cron")}
	inv.BlastRadius = append(inv.BlastRadius,
		Resource{Type: "lambda-function", ID: "report-builder", Action: "UpdateFunctionCode20150331v2", CallerID: "c-cron"},
		Resource{Type: "lambda-function", ID: "miner", Action: "CreateFunction20150331", CallerID: "c-evil"})
	return inv
}

func TestFollowUpsFollowTheLabels(t *testing.T) {
	inv := followUpInvestigation()
	got := inv.FollowUps()
	if len(got) != 1 || got[0].CallerID != "c-evil" || got[0].Kind != "rotate" {
		t.Fatalf("follow-ups %+v, want the attacker's rotate only", got)
	}
	inv.Callers[1].Label = LabelUnknown // the responder doubts the cron
	if got := inv.FollowUps(); len(got) != 2 {
		t.Fatalf("follow-ups %+v, want the unknown caller's too", got)
	}
	checks := inv.FollowUpChecks()
	if len(checks) != 2 || checks[0].OK || checks[0].Title != "Rotate prod/db" || !strings.Contains(checks[0].State, "after secret-read by caller c-evil") {
		t.Fatalf("checks %+v", checks)
	}
}

func TestAttackerResourcesLeaveWorkloadsOut(t *testing.T) {
	inv := followUpInvestigation()
	var ids []string
	for _, r := range inv.AttackerResources() {
		ids = append(ids, r.ID)
	}
	if want := []string{"backup-admin", "miner"}; !slices.Equal(ids, want) {
		t.Fatalf("attacker's resources %v, want %v", ids, want)
	}
}

func TestCleanUpAndChecklistFollowAttribution(t *testing.T) {
	withFollowUps := func(m *Machine) {
		inv := followUpInvestigation()
		m.s.Investigate.Investigation = &inv
	}
	inv := followUpInvestigation()
	runTransitions(t, []transition{
		{name: "a workload's own function is refused", at: "deactivate", setup: withFollowUps,
			event: CleanUp{Resource: inv.BlastRadius[1]}, wantRefusal: "labelled legitimate"},
		{name: "the attacker's function is cleaned up", at: "deactivate", setup: withFollowUps,
			event: CleanUp{Resource: inv.BlastRadius[2]}, wantStep: StepDeactivate, wantEffects: []string{"CleanUpResource"}},
	})
	m := machineAt(t, "harden")
	withFollowUps(m)
	if _, err := m.Apply(HardeningChecked{Items: []CheckItem{{ID: "root-keys", OK: true}}}); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, c := range m.State().Harden.Checklist {
		ids = append(ids, c.ID)
	}
	if want := []string{"root-keys", "follow-up-secret-read-c-evil"}; !slices.Equal(ids, want) {
		t.Fatalf("checklist %v, want %v", ids, want)
	}
}

// Issue 14: a caller new after the exposure waits for the responder's
// verdict; deactivation is refused until a relabel (journaled) decides it.
func TestUndecidedCallerBlocksDeactivation(t *testing.T) {
	undecided := func(m *Machine) {
		inv := *m.s.Investigate.Investigation
		inv.Callers = append([]UsageCaller(nil), inv.Callers...)
		inv.Callers[2].Label, inv.Callers[2].Undecided = LabelUnknown, "first seen 2 days after the key was exposed"
		m.s.Investigate.Investigation = &inv
	}
	runTransitions(t, []transition{
		{name: "undecided caller refuses deactivation", at: "applied", setup: undecided, event: ProceedToDeactivate{},
			wantRefusal: "c-evil is not decided (first seen 2 days after the key was exposed)"},
		{name: "an override with a reason still may", at: "applied", setup: undecided,
			event: ProceedToDeactivate{Override: "the attacker is already locked out by an SCP"}, wantStep: StepDeactivate},
	})
	m := machineAt(t, "proposed")
	undecided(m)
	if _, err := m.Apply(RelabelCaller{CallerID: "c-evil", Label: LabelAttacker}); err != nil {
		t.Fatal(err)
	}
	if c, _ := m.State().Investigate.Investigation.Caller("c-evil"); c.Undecided != "" || c.Label != LabelAttacker {
		t.Fatalf("after the verdict: %+v", c)
	}
}

// Minted credentials a trail source saw join the investigation's list
// once, whatever source saw them first.
func TestTrailSourceMintedMerge(t *testing.T) {
	base := fixtureInvestigation()
	base.Minted = []MintedCredential{{KeyID: "ASIAFROMSWEEP0000001", IssuedAt: t0.Add(-2 * 3600e9)}}
	found := Investigation{From: base.From, To: base.To, Minted: []MintedCredential{
		{KeyID: "ASIAFROMSWEEP0000001", IssuedAt: t0.Add(-2 * 3600e9)}, {KeyID: "ASIAFROMTRAIL0000001", IssuedAt: t0.Add(-3 * 3600e9)}}}
	merged, _ := mergeTrail(base, TrailSourceScanned{Source: TrailSource{Kind: "s3"}, Found: found})
	var ids []string
	for _, m := range merged.Minted {
		ids = append(ids, m.KeyID)
	}
	if want := []string{"ASIAFROMTRAIL0000001", "ASIAFROMSWEEP0000001"}; !slices.Equal(ids, want) {
		t.Fatalf("minted %v, want %v", ids, want)
	}
}

func TestSubmitKeyExposure(t *testing.T) {
	tests := []struct {
		name    string
		ev      SubmitKey
		refusal string
	}{
		{"exposed, then detected", SubmitKey{KeyID: testKey, ExposedAt: t0.Add(-48 * 3600e9), DetectedAt: t0}, ""},
		{"exposed after detection", SubmitKey{KeyID: testKey, ExposedAt: t0, DetectedAt: t0.Add(-3600e9)}, "cannot be exposed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Mode: ModeTraining})
			effects, err := m.Apply(tt.ev)
			if tt.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refusal) {
					t.Fatalf("got %v, want a refusal with %q", err, tt.refusal)
				}
				return
			}
			if err != nil || !m.State().Intake.ExposedAt.Equal(tt.ev.ExposedAt) || len(effects) != 1 {
				t.Fatalf("err %v, exposed %s, effects %v", err, m.State().Intake.ExposedAt, effects)
			}
			if _, err := m.Apply(sameAccount()); err != nil {
				t.Fatal(err)
			}
			eff, err := m.Apply(BeginInvestigation{From: t0.Add(-DefaultSweepWindow), To: t0})
			if err != nil || len(eff) != 1 || !eff[0].(SweepCloudTrail).ExposedAt.Equal(tt.ev.ExposedAt) {
				t.Fatalf("the sweep does not carry the exposure: %v %+v", err, eff)
			}
		})
	}
}

// A delete or terminate follow-up whose targets keyrunbook's clean-up
// removed is done: the checklist says so, a confirmation by hand is refused
// as redundant, and a rotate follow-up still waits for the responder.
func TestFollowUpCarriedOutByTheCleanUp(t *testing.T) {
	m := machineAt(t, "harden")
	inv := *m.s.Investigate.Investigation
	vm := Resource{Type: "ec2-instance", ID: "i-0evil", Region: "sa-east-1", Action: "RunInstances", CallerID: "c-evil"}
	inv.BlastRadius = append(slices.Clone(inv.BlastRadius), vm)
	inv.Indicators = []Indicator{{Kind: "resource-abuse", CallerID: "c-evil", FollowUps: []FollowUp{
		{Kind: "terminate", Technique: "compute-launched", Do: "Terminate the instances it launched.", CallerID: "c-evil", Targets: []string{"i-0evil"}},
		{Kind: "rotate", Technique: "secret-read", Do: "Rotate every secret it read.", CallerID: "c-evil", Targets: []string{"prod/db"}},
	}}}
	m.s.Investigate.Investigation = &inv
	if _, err := m.Apply(HardeningChecked{Items: []CheckItem{{ID: "root-keys", OK: true}}}); err != nil {
		t.Fatal(err)
	}
	open := func() []string {
		var ids []string
		for _, c := range m.State().Harden.Checklist {
			if !c.OK {
				ids = append(ids, c.ID)
			}
		}
		return ids
	}
	if got := open(); !slices.Equal(got, []string{"follow-up-compute-launched-c-evil", "follow-up-secret-read-c-evil"}) {
		t.Fatalf("open before the clean-up: %v", got)
	}
	if _, err := m.Apply(CleanUp{Resource: vm}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ResourceCleanedUp{Resource: vm}); err != nil {
		t.Fatal(err)
	}
	if got := open(); !slices.Equal(got, []string{"follow-up-secret-read-c-evil"}) {
		t.Fatalf("open after the instance was terminated: %v", got)
	}
	if _, err := m.Apply(ConfirmFollowUp{ID: "follow-up-compute-launched-c-evil"}); err == nil || !strings.Contains(err.Error(), "clean-up removed i-0evil") {
		t.Fatalf("confirming what the clean-up did: %v", err)
	}
	if _, err := m.Apply(ConfirmFollowUp{ID: "follow-up-secret-read-c-evil", Note: "rotated"}); err != nil {
		t.Fatal(err)
	}
	if got := open(); len(got) != 0 {
		t.Fatalf("open after the confirmation: %v", got)
	}
}
