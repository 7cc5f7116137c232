package tui

import (
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The bar shows the share of the window each region has read, from the
// oldest event it reached, and the header how fast and how long to go,
// on a fixed clock.
func TestSweepBarReportsTheRealFraction(t *testing.T) {
	to := t0
	inv := &runbook.Investigation{From: to.Add(-90 * 24 * time.Hour), To: to, Regions: []runbook.RegionSweep{
		{Region: "us-east-1", State: runbook.RegionRunning, Pages: 40, Events: 2000, Oldest: to.Add(-30 * 24 * time.Hour)},
		{Region: "eu-west-1", State: runbook.RegionThrottled, Pages: 20, Events: 1000, Oldest: to.Add(-45 * 24 * time.Hour)},
		{Region: "ap-south-1", State: runbook.RegionDone, Pages: 1, Events: 12},
	}}
	f := frame{st: runbook.State{Investigate: runbook.InvestigateState{Investigation: inv}}, sty: newStyles(true, true), w: 80, h: 24,
		now: to.Add(2 * time.Minute), sweepStarted: to}
	screen := ansi.Strip(sweepView(f, newRegionBar()))
	for _, want := range []string{
		"1 of 3 regions finished · 3012 events so far · 25 ev/s · about 4m00s left",
		"us-east-1", " 33%", "→ " + to.Add(-30*24*time.Hour).Format("2006-01-02"),
		" 50%", "throttled",
		"100%", "done",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("sweep screen lacks %q:\n%s", want, screen)
		}
	}
	for _, line := range strings.Split(screen, "\n") {
		if w := lipgloss.Width(line); w > 80 {
			t.Errorf("line wider than 80 columns (%d): %q", w, line)
		}
	}
	// Before any region reached an event, nothing is guessed.
	inv.Regions = []runbook.RegionSweep{{Region: "us-east-1", State: runbook.RegionRunning, Pages: 1}}
	if screen := ansi.Strip(sweepView(f, newRegionBar())); strings.Contains(screen, "left") {
		t.Errorf("a time left was guessed with no region read:\n%s", screen)
	}
}
