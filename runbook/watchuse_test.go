package runbook

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// use is one folded use of the key at the fixture's watch.
func use(ip, code string) KeyUse {
	at := t0.Add(time.Hour + 5*time.Minute)
	return KeyUse{First: at, Last: at.Add(time.Minute), Count: 2, SourceIP: ip, UserAgent: "aws-cli/2.15", Tool: "aws-cli",
		Action: "iam:ListUsers", Region: "us-east-1", ErrorCode: code}
}

// What a use of the key during the watch means depends on who made it:
// the attacker failing is containment working (the window passes, the
// advice is to keep the key off); a workload failing blocks deletion and
// advises rolling back; an address the investigation never saw blocks.
func TestWatchUsesAreAttributedAndAdvised(t *testing.T) {
	end := t0.Add(time.Hour + DefaultWatchWindow)
	tests := []struct {
		name       string
		use        KeyUse
		wantMatch  Label
		wantCaller string
		wantStep   Step
		wantAdvice string
	}{
		{name: "attacker retry keeps the key off", use: use("203.0.113.66", "InvalidClientTokenId"), wantMatch: LabelSuspicious, wantCaller: "c-evil",
			wantStep: StepDelete, wantAdvice: "Keep the key off"},
		{name: "workload failing advises roll back", use: use("198.51.100.7", "InvalidClientTokenId"), wantMatch: LabelLegitimate, wantCaller: "c-cron",
			wantStep: StepWatch, wantAdvice: "roll back (R)"},
		{name: "new address blocks", use: use("192.0.2.44", "InvalidClientTokenId"), wantMatch: MatchNew,
			wantStep: StepWatch, wantAdvice: "find whose it is"},
		{name: "attacker succeeding blocks", use: use("203.0.113.66", ""), wantMatch: LabelSuspicious, wantCaller: "c-evil",
			wantStep: StepWatch, wantAdvice: "the key still works"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, "watching")
			effects, err := m.Apply(WatchObserved{At: end, KeyUses: 2, Uses: []KeyUse{tt.use}})
			if err != nil {
				t.Fatal(err)
			}
			st := m.State()
			if len(st.Watch.Uses) != 1 || st.Watch.Uses[0].Match != tt.wantMatch || st.Watch.Uses[0].CallerID != tt.wantCaller {
				t.Fatalf("uses = %+v, want match %s caller %q", st.Watch.Uses, tt.wantMatch, tt.wantCaller)
			}
			if st.Step != tt.wantStep {
				t.Errorf("step = %s, want %s", st.Step, tt.wantStep)
			}
			if slices.ContainsFunc(effects, func(e Effect) bool { return e.EffectName() == "PollWatch" }) {
				t.Errorf("the window has run its length, yet the watch polls again: %v", effects)
			}
			if got := st.Watch.Uses[0].Advice(); !strings.Contains(got, tt.wantAdvice) || !strings.Contains(got, tt.use.SourceIP) && tt.wantCaller != "c-cron" {
				t.Errorf("advice = %q, want it to say %q and name the address", got, tt.wantAdvice)
			}
			if tt.wantStep == StepWatch {
				b := st.Watch.Blockers()
				if !st.Watch.Ended || len(b) != 1 || !strings.Contains(b[0].What, tt.use.SourceIP) {
					t.Errorf("ended %v, blockers %+v: want the use listed", st.Watch.Ended, b)
				}
				if _, err := m.Apply(ConfirmDelete{Typed: "MPLE"}); err == nil || !strings.Contains(err.Error(), tt.use.SourceIP) {
					t.Errorf("delete with the use blocking: %v", err)
				}
			}
		})
	}
}

// A signal that could not be read is unknown, not quiet: the window ends
// without passing and says which permission is missing.
func TestUnreadSignalBlocksTheWindow(t *testing.T) {
	m := machineAt(t, "watching")
	unread := UnreadSignal{Signal: "alarms", Region: "eu-west-1", Action: "cloudwatch:DescribeAlarms", Reason: "AWS denied cloudwatch:DescribeAlarms"}
	if _, err := m.Apply(WatchObserved{At: t0.Add(time.Hour + DefaultWatchWindow), Unread: []UnreadSignal{unread}}); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Step != StepWatch || st.Watch.Passed || !st.Watch.Ended {
		t.Fatalf("step %s passed %v ended %v: an unread alarm must not pass the window", st.Step, st.Watch.Passed, st.Watch.Ended)
	}
	b := st.Watch.Blockers()
	if len(b) != 1 || !strings.Contains(b[0].What, "alarms unknown in eu-west-1") || !strings.Contains(b[0].Do, "grant cloudwatch:DescribeAlarms") {
		t.Errorf("blockers = %+v", b)
	}
	if _, err := m.Apply(RestartWatch{}); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); st.Watch.Ended || len(st.Watch.Unread) != 0 {
		t.Errorf("restart kept the old reading: %+v", st.Watch.Unread)
	}
}

// A long watch whose readings repeat journals the first and the last, not
// every tick: the log of a watch that sees the attacker retry every
// reading holds a handful of records, and still replays to the same state.
func TestEngineJournalsReadingsOnlyWhenTheyChange(t *testing.T) {
	j, logPath := newTestJournal(t)
	read := func() string {
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	en, err := StartEngine(Config{Mode: ModeTraining}, j)
	if err != nil {
		t.Fatal(err)
	}
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
	before := countLines(read())
	start := t0.Add(time.Hour)
	for i := 1; i <= 60; i++ {
		u := use("203.0.113.66", "InvalidClientTokenId")
		u.Count, u.Last = i, start.Add(time.Duration(i)*30*time.Second)
		if _, err := en.Submit(WatchObserved{At: start.Add(time.Duration(i) * 30 * time.Second), KeyUses: i, Uses: []KeyUse{u}}); err != nil {
			t.Fatalf("reading %d: %v", i, err)
		}
	}
	if st := en.Machine().State(); st.Step != StepDelete {
		t.Fatalf("step %s after a full window of the attacker failing", st.Step)
	}
	// First reading (the use is news) and its poll, then the last reading
	// (the window passed) and the Delete step's read of the key: four
	// records for sixty readings.
	if got := countLines(read()) - before; got != 4 {
		t.Errorf("sixty readings wrote %d records, want 4", got)
	}
	rp, err := Replay(strings.NewReader(read()))
	if err != nil {
		t.Fatal(err)
	}
	if got := rp.Machine.State(); got.Step != StepDelete || !got.Watch.Passed {
		t.Errorf("replayed step %s passed %v", got.Step, got.Watch.Passed)
	}
}

func countLines(s string) int { return strings.Count(s, "\n") }
