package runbook

import (
	"testing"
	"time"
)

// Effects carry what their executor needs, so no executor keeps a shadow
// of the incident: each row applies one event on the ordinary path and
// checks what the effects it asks for carry.
func TestEffectsCarryWhatTheExecutorNeeds(t *testing.T) {
	applied := t0.Add(30 * time.Minute)
	tests := []struct {
		name  string
		at    string
		setup func(*Machine)
		event Event
		check func(t *testing.T, m *Machine, effects []Effect)
	}{
		{"a replacement carries its caller", "decided", nil, ApplyProposals{},
			func(t *testing.T, _ *Machine, effects []Effect) {
				for _, e := range effects {
					a := e.(ApplyReplacement)
					if a.Caller.ID != a.Proposal.CallerID || a.Caller.SourceIP == "" {
						t.Errorf("%s carries caller %+v", a.Proposal.CallerID, a.Caller)
					}
				}
			}},
		{"the first apply's time is where the move check looks from", "applying", nil,
			ReplacementApplied{CallerID: "c-ec2", Created: []string{"role"}, At: applied},
			func(t *testing.T, m *Machine, _ []Effect) {
				if p := m.s.Propose.Proposals[m.proposalIndex("c-ec2")]; !p.AppliedAt.Equal(applied) {
					t.Errorf("AppliedAt = %s, want %s", p.AppliedAt, applied)
				}
			}},
		{"the move check carries the applied proposal", "applied",
			func(m *Machine) { m.s.Propose.Proposals[m.proposalIndex("c-ec2")].AppliedAt = applied }, VerifyMoves{},
			func(t *testing.T, _ *Machine, effects []Effect) {
				for _, e := range effects {
					if v := e.(VerifyMove); v.Proposal.CallerID == "c-ec2" && (!v.Proposal.AppliedAt.Equal(applied) || v.Caller.ID != "c-ec2") {
						t.Errorf("VerifyMove carries %+v", v)
					}
				}
			}},
		{"the watch carries the replacements and the legitimate callers", "deactivating",
			func(m *Machine) {
				inv := *m.s.Investigate.Investigation
				inv.Regions = []RegionSweep{{Region: "eu-west-1"}, {Region: "us-east-1"}}
				m.s.Investigate.Investigation = &inv
			}, KeyDeactivated{At: t0.Add(time.Hour)},
			func(t *testing.T, _ *Machine, effects []Effect) {
				p := effects[0].(PollWatch)
				if len(p.Applied) != 2 || len(p.Replacements) != 2 || p.Applied[0].Name != p.Replacements[0] {
					t.Errorf("applied %v, replacements %v", p.Applied, p.Replacements)
				}
				if len(p.Regions) != 2 || p.Regions[0] != "eu-west-1" {
					t.Errorf("regions %v", p.Regions)
				}
				for _, c := range p.Callers {
					if !c.NeedsReplacement() {
						t.Errorf("the watch carries caller %s, which needs no replacement", c.ID)
					}
				}
				if len(p.Callers) == 0 {
					t.Error("the watch carries no caller")
				}
			}},
		{"the checklist carries the blast radius", "deleting", nil, KeyDeleted{At: t0.Add(2 * time.Hour)},
			func(t *testing.T, _ *Machine, effects []Effect) {
				c := effects[0].(CheckHardening)
				if !c.Swept || len(c.BlastRadius) != 1 || c.BlastRadius[0].ID != "backup-admin" {
					t.Errorf("CheckHardening = %+v", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, tt.at)
			if tt.setup != nil {
				tt.setup(m)
			}
			effects, err := m.Apply(tt.event)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m, effects)
		})
	}
}
