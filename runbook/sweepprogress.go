package runbook

import "time"

// Finished reports whether the region's sweep has ended, read or not.
func (r RegionSweep) Finished() bool {
	switch r.State {
	case RegionDone, RegionDenied, RegionFailed:
		return true
	}
	return false
}

// Fraction is the share of the window [from, to] the region has read.
// LookupEvents gives no page count, but it returns events newest first, so
// the oldest event read marks how far back the region has got. A region
// with no event yet has read nothing it can show; a finished one is whole.
func (r RegionSweep) Fraction(from, to time.Time) float64 {
	if r.Finished() {
		return 1
	}
	span := to.Sub(from)
	if r.Oldest.IsZero() || span <= 0 {
		return 0
	}
	f := float64(to.Sub(r.Oldest)) / float64(span)
	return min(max(f, 0), 1)
}

// SweepPace is the sweep's speed and what is left of it, for a progress line.
type SweepPace struct {
	EventsPerSecond float64
	// Left estimates the time to finish, from the slowest unfinished region
	// (regions are read in parallel, each at its own quota); zero when it
	// cannot be told yet.
	Left time.Duration
	// Known is false until every unfinished region has read some of its window.
	Known bool
}

// Pace estimates the sweep's speed and time left from the regions' progress
// after elapsed wall time.
func (inv *Investigation) Pace(elapsed time.Duration) SweepPace {
	var p SweepPace
	if inv == nil || elapsed <= 0 {
		return p
	}
	events := 0
	p.Known = true
	for _, r := range inv.Regions {
		events += r.Events
		if r.Finished() {
			continue
		}
		f := r.Fraction(inv.From, inv.To)
		if f <= 0 {
			p.Known = false
			continue
		}
		left := time.Duration(float64(elapsed) * (1 - f) / f)
		p.Left = max(p.Left, left)
	}
	if !p.Known {
		p.Left = 0
	}
	p.EventsPerSecond = float64(events) / elapsed.Seconds()
	return p
}
