package runbook

import (
	"strings"
	"testing"
	"time"
)

// The debrief rewards keeping the key off while only the attacker tries
// it, and takes points for a roll-back that hands the key back; a drill
// whose watch never saw the attacker does not score it at all.
func TestDebriefScoresKeepingTheKeyOffForTheAttacker(t *testing.T) {
	drill := Drill{Scenario: "fixture", Legitimate: []string{"54.1.2.3", "198.51.100.7"}}
	tests := []struct {
		name     string
		uses     []KeyUse
		rollBack bool
		want     string // "" when the point must not appear
		lost     bool
	}{
		{name: "kept off", uses: []KeyUse{use("203.0.113.66", "InvalidClientTokenId")}, want: "stayed off"},
		{name: "rolled back for the attacker", uses: []KeyUse{use("203.0.113.66", "InvalidClientTokenId")}, rollBack: true, want: "handed the key back", lost: true},
		{name: "rolled back for a workload", uses: []KeyUse{use("198.51.100.7", "InvalidClientTokenId")}, rollBack: true},
		{name: "no attacker seen", rollBack: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en, logPath := newTestEngine(t)
			for _, st := range path {
				for _, ev := range st.events {
					if _, err := en.Submit(ev); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				if st.name == "watching" {
					break
				}
			}
			if _, err := en.Submit(WatchObserved{At: t0.Add(time.Hour + 5*time.Minute), KeyUses: len(tt.uses), Uses: tt.uses}); err != nil {
				t.Fatal(err)
			}
			if tt.rollBack {
				if _, err := en.Submit(RequestReactivate{Reason: "it is still being used"}); err != nil {
					t.Fatal(err)
				}
			}
			recs, _ := recordsOf(t, logPath)
			db, err := Score(drill, recs, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got *DebriefPoint
			for i, p := range db.Points {
				if strings.HasPrefix(p.Title, "Key kept off") {
					got = &db.Points[i]
				}
			}
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("scored where it does not apply: %+v", *got)
			case tt.want != "" && (got == nil || !strings.Contains(got.Detail, tt.want) || (got.Lost > 0) != tt.lost):
				t.Errorf("point = %+v, want %q lost %v", got, tt.want, tt.lost)
			}
		})
	}
}
