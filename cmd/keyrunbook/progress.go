package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// progressExecutor shows a headless sweep's progress on stderr: a sweep
// of 90 busy days at 2 requests per second per region takes minutes, and
// a responder must see that it moves.
type progressExecutor struct {
	inner runbook.Executor
	out   io.Writer
	every time.Duration

	mu      sync.Mutex
	regions map[string]runbook.RegionSweep
	last    time.Time
}

func newProgressExecutor(inner runbook.Executor, out io.Writer) *progressExecutor {
	return &progressExecutor{inner: inner, out: out, every: 2 * time.Second, regions: map[string]runbook.RegionSweep{}}
}

// Run implements runbook.Executor.
func (p *progressExecutor) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	switch e.(type) {
	case runbook.IdentifyKey:
		fmt.Fprintln(p.out, "identifying the key…")
	case runbook.SweepCloudTrail:
		fmt.Fprintln(p.out, "sweeping CloudTrail in every region…")
	}
	res := p.inner.Run(ctx, e, func(ev runbook.Event) {
		if sp, ok := ev.(runbook.SweepProgress); ok {
			p.note(sp.Region, false)
		}
		emit(ev)
	})
	if _, ok := e.(runbook.SweepCloudTrail); ok {
		p.note(runbook.RegionSweep{}, true)
	}
	return res
}

func (p *progressExecutor) note(r runbook.RegionSweep, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Region != "" {
		p.regions[r.Region] = r
	}
	now := time.Now()
	if !final && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	done, events := 0, 0
	var busy, failed []string
	for name, rs := range p.regions {
		events += rs.Events
		switch rs.State {
		case runbook.RegionDone:
			done++
		case runbook.RegionDenied, runbook.RegionFailed:
			failed = append(failed, name)
		default:
			busy = append(busy, name)
		}
	}
	sort.Strings(busy)
	sort.Strings(failed)
	// A region that failed has not "finished": counting it so made a
	// sweep that lost its endpoint read as a complete one.
	line := fmt.Sprintf("  %d of %d regions read, %d events", done, len(p.regions), events)
	if len(failed) > 0 {
		line += fmt.Sprintf(", %d FAILED (%s)", len(failed), strings.Join(failed, ", "))
	}
	if len(busy) > 0 && len(busy) <= 3 {
		line += fmt.Sprintf(" (reading %v)", busy)
	}
	fmt.Fprintln(p.out, line)
}
