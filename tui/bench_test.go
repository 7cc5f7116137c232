package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// bigInvestigation has n callers, one in ten suspicious.
func bigInvestigation(n int) runbook.Investigation {
	inv := fixtureInvestigation(t0.Add(-runbook.DefaultSweepWindow), t0)
	base := fixtureCallers()
	inv.Callers = make([]runbook.UsageCaller, n)
	for i := range inv.Callers {
		c := base[i%len(base)]
		c.ID = fmt.Sprintf("c-%04d", i)
		c.SourceIP = fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
		c.Events = (i * 7919) % 10000
		c.LastSeen = t0.Add(-time.Duration(i) * time.Minute)
		if i%10 == 0 {
			c.Label = runbook.LabelSuspicious
		}
		inv.Callers[i] = c
	}
	return inv
}

// investigateModel is the TUI at the investigation of n callers, 80×24.
func investigateModel(b *testing.B, n int) Model {
	b.Helper()
	en, _ := newEngine(b, runbook.ModeLive)
	for _, ev := range []runbook.Event{
		runbook.SubmitKey{KeyID: testKey},
		fixtureIdentified(),
		runbook.BeginInvestigation{From: t0.Add(-runbook.DefaultSweepWindow), To: t0},
		runbook.SweepFinished{Investigation: bigInvestigation(n)},
	} {
		if _, err := en.Submit(ev); err != nil {
			b.Fatal(err)
		}
	}
	m := New(Options{Engine: en, Executor: newScript(), Now: fixedNow})
	m.animate = false
	return m
}

// BenchmarkCallerTable1000 renders one frame of the investigation with a
// 1,000-caller table (goal: under 16 ms, one frame at 60 Hz).
func BenchmarkCallerTable1000(b *testing.B) {
	m := investigateModel(b, 1000)
	if got := len(m.investigate.callers); got != 1000 {
		b.Fatalf("%d rows, want 1000", got)
	}
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkCallerTable1000Sort re-sorts and rebuilds the 1,000 rows, what
// the "s" key costs before the next frame.
func BenchmarkCallerTable1000Sort(b *testing.B) {
	m := investigateModel(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		m.investigate.sortBy = (m.investigate.sortBy + 1) % sortKeys
		m.investigate.setRows()
		_ = m.View()
	}
}
