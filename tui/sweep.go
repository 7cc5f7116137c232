package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// regionBarWidth is the width of one region's progress bar.
const regionBarWidth = 18

func newRegionBar() progress.Model {
	return progress.New(
		progress.WithoutPercentage(),
		progress.WithWidth(regionBarWidth),
		progress.WithFillCharacters('█', '░'),
		progress.WithColors(lipgloss.Color("#5F87FF")),
	)
}

// regionFraction turns a region's sweep into a bar. LookupEvents does not
// say how many pages are left, so a running region creeps towards the end
// with each page and only a finished region fills its bar.
func regionFraction(r runbook.RegionSweep) float64 {
	switch r.State {
	case runbook.RegionDone, runbook.RegionDenied, runbook.RegionFailed:
		return 1
	case runbook.RegionPending:
		return 0
	}
	return min(0.9, float64(r.Pages+1)/float64(r.Pages+3))
}

func regionState(sty styles, r runbook.RegionSweep) string {
	switch r.State {
	case runbook.RegionDone:
		return sty.OK.Render("done")
	case runbook.RegionThrottled:
		return sty.Warning.Render("throttled, slowing down")
	case runbook.RegionDenied:
		return sty.Danger.Render("denied: not read")
	case runbook.RegionFailed:
		return sty.Danger.Render("failed: " + redact(r.Error))
	case runbook.RegionPending:
		return sty.Muted.Render("waiting")
	}
	return "reading"
}

// sweepView shows each region's progress while the sweep runs.
func sweepView(f frame, bar progress.Model) string {
	st, sty := f.st, f.sty
	inv := st.Investigation
	lines := []string{sty.Heading.Render("Investigate") + sty.Muted.Render(" · sweeping CloudTrail")}
	var regions []runbook.RegionSweep
	if inv != nil {
		regions = inv.Regions
		pace := "LookupEvents, 2 requests/s per region"
		if f.training != nil {
			// Training's simulated CloudTrail answers faster than AWS would.
			pace = "simulated CloudTrail, faster than AWS's 2 requests/s per region"
		}
		lines = append(lines, sty.Muted.Render(fmt.Sprintf("%s → %s, every region (%s)",
			inv.From.UTC().Format("2006-01-02"), inv.To.UTC().Format("2006-01-02"), pace)))
	}
	done, events := 0, 0
	for _, r := range regions {
		if regionFraction(r) == 1 {
			done++
		}
		events += r.Events
	}
	lines = append(lines, fmt.Sprintf("%s %d of %d regions finished · %d events so far", f.spin, done, len(regions), events))
	if len(regions) == 0 {
		lines = append(lines, sty.Muted.Render("  starting…"))
	}
	// Regions still working come first: they are what the responder waits on.
	room := f.h - len(lines)
	var active, finished []runbook.RegionSweep
	for _, r := range regions {
		if regionFraction(r) == 1 {
			finished = append(finished, r)
		} else {
			active = append(active, r)
		}
	}
	shown := append(append([]runbook.RegionSweep(nil), active...), finished...)
	if len(shown) > room {
		shown = shown[:max(room-1, 0)]
	}
	for _, r := range shown {
		lines = append(lines, fmt.Sprintf("%-15s %s %4d ev  %s", r.Region, bar.ViewAs(regionFraction(r)), r.Events, regionState(sty, r)))
	}
	if hidden := len(active) + len(finished) - len(shown); hidden > 0 {
		lines = append(lines, sty.Muted.Render(fmt.Sprintf("  … %d more region(s) finished", hidden)))
	}
	return strings.Join(lines, "\n")
}
