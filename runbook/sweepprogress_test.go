package runbook

import (
	"testing"
	"time"
)

func TestRegionFraction(t *testing.T) {
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from := to.Add(-90 * 24 * time.Hour)
	tests := []struct {
		name string
		r    RegionSweep
		want float64
	}{
		{"pending", RegionSweep{State: RegionPending}, 0},
		{"running, nothing read yet", RegionSweep{State: RegionRunning, Pages: 1}, 0},
		{"running, a third of the window back", RegionSweep{State: RegionRunning, Oldest: to.Add(-30 * 24 * time.Hour)}, 1.0 / 3},
		{"throttled, two thirds back", RegionSweep{State: RegionThrottled, Oldest: to.Add(-60 * 24 * time.Hour)}, 2.0 / 3},
		{"an event older than the window counts as whole", RegionSweep{State: RegionRunning, Oldest: from.Add(-time.Hour)}, 1},
		{"an event newer than the window counts as none", RegionSweep{State: RegionRunning, Oldest: to.Add(time.Hour)}, 0},
		{"done", RegionSweep{State: RegionDone}, 1},
		{"denied", RegionSweep{State: RegionDenied}, 1},
		{"failed", RegionSweep{State: RegionFailed, Oldest: to.Add(-time.Hour)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Fraction(from, to)
			if d := got - tt.want; d > 1e-9 || d < -1e-9 {
				t.Fatalf("Fraction = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSweepPace(t *testing.T) {
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from := to.Add(-100 * time.Hour)
	inv := &Investigation{From: from, To: to, Regions: []RegionSweep{
		{Region: "us-east-1", State: RegionRunning, Events: 600, Oldest: to.Add(-25 * time.Hour)}, // a quarter
		{Region: "eu-west-1", State: RegionRunning, Events: 300, Oldest: to.Add(-50 * time.Hour)}, // half
		{Region: "ap-south-1", State: RegionDone, Events: 100},
	}}
	p := inv.Pace(time.Minute)
	if !p.Known || p.Left != 3*time.Minute {
		t.Fatalf("Left = %v (known %v), want 3m0s from the slowest region", p.Left, p.Known)
	}
	if p.EventsPerSecond < 16.66 || p.EventsPerSecond > 16.67 {
		t.Fatalf("EventsPerSecond = %v, want 1000/60", p.EventsPerSecond)
	}
	inv.Regions = append(inv.Regions, RegionSweep{Region: "sa-east-1", State: RegionRunning})
	if p := inv.Pace(time.Minute); p.Known || p.Left != 0 {
		t.Fatalf("a region with nothing read yet leaves the time unknown, got %+v", p)
	}
	if p := (*Investigation)(nil).Pace(time.Minute); p.Known {
		t.Fatal("no investigation has no pace")
	}
}
