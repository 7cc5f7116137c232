package awsops

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// BenchmarkSweepJournaled sweeps 17 regions of 20 pages each through the
// executor at training's pace (100 LookupEvents per second per region, the
// simulated account's quota), journaling as the TUI does: the intent, every
// APICall note from the effect's goroutine (Engine.NoteCall), the result,
// into an action log on disk. It reports the fsyncs per sweep beside the
// wall time: a note's fsync, one per page, was most of a training sweep.
//
//	go test ./awsops -run '^$' -bench SweepJournaled -benchtime 5x
func BenchmarkSweepJournaled(b *testing.B) {
	const perRegion = 1000 // 20 pages of 50
	s, url := startScenario(b, benchScenario(1, perRegion))
	cfg := responder(b, s, url).Config
	eff := runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-1001 * time.Minute), To: s.Now()}
	var syncs, notes int64
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
		before := j.Syncs()
		b.StartTimer()
		if _, err := j.Append(runbook.RecordIntent, string(runbook.StepInvestigate), eff.EffectName(), eff); err != nil {
			b.Fatal(err)
		}
		res := x.Run(context.Background(), eff, func(ev runbook.Event) {
			if c, ok := ev.(runbook.APICall); ok {
				notes++
				if err := en.NoteCall(runbook.StepInvestigate, c); err != nil {
					b.Error(err)
				}
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
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(syncs)/float64(b.N), "fsyncs/op")
	b.ReportMetric(float64(notes)/float64(b.N), "notes/op")
}
