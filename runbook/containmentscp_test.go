package runbook

import (
	"strings"
	"testing"
	"time"
)

// withSCPItem puts the containment SCP on the checklist, still attached.
func withSCPItem(m *Machine) {
	m.s.Harden.Checklist = append(m.s.Harden.Checklist, CheckItem{ID: CheckContainmentSCP, Title: "The SCP that contained the root key is removed",
		State: "SCP keyrunbook-deny-root-111122223333 (p-1) is still attached to account 111122223333"})
}

func TestReleaseContainmentSCPTransitions(t *testing.T) {
	t.Parallel()
	runTransitions(t, []transition{
		{name: "remove the SCP the checklist names", at: "checked", setup: withSCPItem, event: ReleaseContainmentSCP{},
			wantStep: StepHarden, wantEffects: []string{"RemoveContainmentSCP"}},
		{name: "no SCP on the checklist refused", at: "checked", event: ReleaseContainmentSCP{}, wantRefusal: "names no containment SCP"},
		{name: "an SCP already removed refused", at: "checked", setup: func(m *Machine) {
			withSCPItem(m)
			m.s.Harden.Checklist[len(m.s.Harden.Checklist)-1].OK = true
		}, event: ReleaseContainmentSCP{}, wantRefusal: "names no containment SCP"},
		{name: "before the key is deleted refused", at: "watched", event: ReleaseContainmentSCP{}, wantRefusal: "once the key is deleted"},
		{name: "twice refused", at: "checked", setup: func(m *Machine) {
			withSCPItem(m)
			if _, err := m.Apply(ReleaseContainmentSCP{}); err != nil {
				t.Fatal(err)
			}
		}, event: ReleaseContainmentSCP{}, wantRefusal: "being removed"},
		{name: "an unasked result refused", at: "checked", setup: withSCPItem, event: ContainmentSCPRemoved{}, wantRefusal: "no removal"},
	})
}

// The removal is journaled as any change and closes the checklist's item;
// dry-run's says what a live run would do and leaves it open.
func TestContainmentSCPRemovedClosesTheItem(t *testing.T) {
	t.Parallel()
	for _, dry := range []bool{false, true} {
		m := machineAt(t, "checked")
		withSCPItem(m)
		effects, err := m.Apply(ReleaseContainmentSCP{})
		if err != nil || len(effects) != 1 {
			t.Fatalf("release: %v %v", effects, err)
		}
		if e := effects[0].(RemoveContainmentSCP); e.Account != m.s.Intake.Key.Account || e.KeyID != testKey {
			t.Fatalf("effect %+v", e)
		}
		if _, err := m.Apply(ContainmentSCPRemoved{Policy: "keyrunbook-deny-root-111122223333", At: t0.Add(3 * time.Hour), DryRun: dry}); err != nil {
			t.Fatal(err)
		}
		st := m.State()
		it := st.Harden.Checklist[len(st.Harden.Checklist)-1]
		switch {
		case dry && (it.OK || !st.Harden.ContainmentSCPOpen() || !strings.Contains(it.State, "would be detached and deleted")):
			t.Errorf("dry-run: %+v", it)
		case !dry && (!it.OK || st.Harden.ContainmentSCPOpen() || !strings.Contains(it.State, "detached from account 111122223333 and deleted")):
			t.Errorf("live: %+v", it)
		}
		if len(st.Effects.Pending) != 0 {
			t.Errorf("pending %v", st.Effects.Pending)
		}
	}
}
