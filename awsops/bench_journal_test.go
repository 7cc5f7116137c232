package awsops

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// BenchmarkSweepJournaled sweeps 17 regions of 20 pages each through the
// executor at training's pace (100 LookupEvents per second per region, the
// simulated account's quota), journaling as the TUI does: the intent, every
// APICall note from the effect's goroutine (Engine.NoteCall), the result,
// into an action log on disk. It reports the fsyncs per sweep and the time
// the effect spent journaling notes beside the wall time (which, on a
// loaded machine, says more about the load than about the log). The
// unnoted case journals the intent and the result only: the floor the
// notes' cost is read against.
//
//	go test ./awsops -run '^$' -bench SweepJournaled -benchtime 5x
func BenchmarkSweepJournaled(b *testing.B) {
	for _, notes := range []bool{true, false} {
		name := "noted"
		if !notes {
			name = "unnoted"
		}
		b.Run(name, func(b *testing.B) { benchSweepJournaled(b, notes) })
	}
}

func benchSweepJournaled(b *testing.B, noted bool) {
	const perRegion = 1000 // 20 pages of 50
	s, url := startScenario(b, benchScenario(1, perRegion))
	cfg := responder(b, s, url).Config
	eff := runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-1001 * time.Minute), To: s.Now()}
	var syncs, notes int64
	var noting time.Duration      // inside NoteCall, what the effect's goroutine waits
	cpu := func() time.Duration { // the process's user and system time
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var cpuUsed time.Duration
	for b.Loop() {
		b.StopTimer()
		x := NewExecutor(cfg, ExecutorOptions{})
		x.clients.SweepRate = 100
		j, err := runbook.CreateJournal(filepath.Join(b.TempDir(), "incident.jsonl"), string(runbook.ModeTraining), "", nil)
		if err != nil {
			b.Fatal(err)
		}
		en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeTraining}, j)
		if err != nil {
			b.Fatal(err)
		}
		before, cpu0 := j.Syncs(), cpu()
		b.StartTimer()
		if _, err := j.Append(runbook.RecordIntent, string(runbook.StepInvestigate), eff.EffectName(), eff); err != nil {
			b.Fatal(err)
		}
		res := x.Run(context.Background(), eff, func(ev runbook.Event) {
			if c, ok := ev.(runbook.APICall); ok && noted {
				notes++
				t0 := time.Now()
				if err := en.NoteCall(runbook.StepInvestigate, c); err != nil {
					b.Error(err)
				}
				noting += time.Since(t0)
			}
		})
		if _, ok := res.(runbook.SweepFinished); !ok {
			b.Fatalf("sweep: %+v", res)
		}
		if _, err := j.Append(runbook.RecordResult, string(runbook.StepInvestigate), res.EventName(), res); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		syncs += j.Syncs() - before
		cpuUsed += cpu() - cpu0
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(syncs)/float64(b.N), "fsyncs/op")
	b.ReportMetric(float64(notes)/float64(b.N), "notes/op")
	b.ReportMetric(float64(noting.Milliseconds())/float64(b.N), "noting-ms/op")
	b.ReportMetric(float64(cpuUsed.Milliseconds())/float64(b.N), "cpu-ms/op")
}
