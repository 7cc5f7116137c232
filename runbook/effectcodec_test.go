package runbook

import (
	"testing"
	"time"
)

// Changes lists the mutating effects that completed, in order, with their
// results' times: a deactivation denied once and retried counts once, and
// read-only effects never.
func TestChangesListsCompletedMutationsOnly(t *testing.T) {
	en, logPath := newTestEngine(t)
	for _, st := range path {
		if st.name == "watching" {
			// The first deactivation is denied, the retry succeeds.
			for _, ev := range []Event{
				EffectFailed{Effect: "DeactivateKey", Code: "AccessDenied", Action: "iam:UpdateAccessKey", Message: "denied"},
				Retry{},
			} {
				if _, err := en.Submit(ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, ev := range st.events {
			if _, err := en.Submit(ev); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
	}
	recs, _ := recordsOf(t, logPath)
	var got []string
	for _, c := range Changes(recs) {
		got = append(got, c.Effect.EffectName())
		if c.At.IsZero() || c.At.Before(recs[0].Time) || c.At.After(recs[len(recs)-1].Time.Add(time.Second)) {
			t.Errorf("%s at %s, outside the log", c.Effect.EffectName(), c.At)
		}
	}
	want := []string{"ApplyReplacement", "ApplyReplacement", "DeactivateKey", "DeleteKey"}
	if len(got) != len(want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("changes = %v, want %v", got, want)
		}
	}
	if d, ok := Changes(recs)[2].Effect.(DeactivateKey); !ok || d.KeyID != testKey {
		t.Errorf("the deactivation decoded as %+v", Changes(recs)[2].Effect)
	}
}
