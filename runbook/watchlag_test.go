package runbook

import (
	"strings"
	"testing"
	"time"
)

func TestWatchLagNote(t *testing.T) {
	deactivated := t0.Add(time.Hour) // the "watching" stage deactivates here
	tests := []struct {
		name    string
		window  time.Duration
		reading *WatchObserved
		want    string // substring; empty means no note
	}{
		{name: "no reading yet", want: "not yet meaningful"},
		{name: "quiet 5 minutes in", reading: &WatchObserved{At: deactivated.Add(5 * time.Minute)}, want: "from 04:15 UTC on"},
		{name: "quiet 14 minutes in", reading: &WatchObserved{At: deactivated.Add(14 * time.Minute)}, want: "not yet meaningful"},
		{name: "quiet 15 minutes in", reading: &WatchObserved{At: deactivated.Add(15 * time.Minute)}},
		{name: "use of the key is news at once", reading: &WatchObserved{At: deactivated.Add(5 * time.Minute), KeyUses: 1}},
		{name: "window under the lag", window: 10 * time.Minute, want: "shorter than CloudTrail's delivery lag"},
		{name: "window under the lag after it passed", window: 10 * time.Minute, reading: &WatchObserved{At: deactivated.Add(10 * time.Minute)}, want: "Watch at least 15 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, "watching")
			if tt.window > 0 {
				m.s.Watch.Window = tt.window
			}
			if tt.reading != nil {
				if _, err := m.Apply(*tt.reading); err != nil {
					t.Fatal(err)
				}
			}
			got := m.State().WatchLagNote()
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("note = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortWatchLeavesAFinding(t *testing.T) {
	tests := []struct {
		name        string
		window      time.Duration
		wantFinding bool
	}{
		{"responder-chosen 10 minutes", 10 * time.Minute, true},
		{"default 30 minutes", DefaultWatchWindow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, "watching")
			m.s.Watch.Window = tt.window
			if _, err := m.Apply(WatchObserved{At: t0.Add(time.Hour + tt.window)}); err != nil {
				t.Fatal(err)
			}
			st := m.State()
			if st.Step != StepDelete {
				t.Fatalf("a quiet full window: step %s", st.Step)
			}
			found := false
			for _, f := range st.Findings {
				found = found || f.Step == StepWatch && strings.Contains(f.Message, "15-minute delivery lag")
			}
			if found != tt.wantFinding {
				t.Fatalf("lag finding %v, want %v: %+v", found, tt.wantFinding, st.Findings)
			}
		})
	}
}
