package tui

import (
	"fmt"
	"strings"
	"time"

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

func regionState(sty styles, r runbook.RegionSweep) string {
	switch r.State {
	case runbook.RegionDone:
		return sty.OK.Render("done")
	case runbook.RegionThrottled:
		return sty.Warning.Render("throttled, slower")
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
	inv := st.Investigate.Investigation
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
		if r.Finished() {
			done++
		}
		events += r.Events
	}
	lines = append(lines, fmt.Sprintf("%s %d of %d regions finished · %d events so far%s", f.spin, done, len(regions), events, paceText(f)))
	if len(regions) == 0 {
		lines = append(lines, sty.Muted.Render("  starting…"))
	}
	// Regions still working come first: they are what the responder waits on.
	room := f.h - len(lines)
	var active, finished []runbook.RegionSweep
	for _, r := range regions {
		if r.Finished() {
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
		frac := r.Fraction(inv.From, inv.To)
		lines = append(lines, fmt.Sprintf("%-14s %s %3.0f%% %6d ev  %s%s", r.Region, bar.ViewAs(frac), 100*frac, r.Events, regionState(sty, r), reached(sty, r)))
	}
	if hidden := len(active) + len(finished) - len(shown); hidden > 0 {
		lines = append(lines, sty.Muted.Render(fmt.Sprintf("  … %d more region(s) finished", hidden)))
	}
	return strings.Join(lines, "\n")
}

// paceText is the sweep's speed and time left, once they can be told.
func paceText(f frame) string {
	inv := f.st.Investigate.Investigation
	if inv == nil || f.sweepStarted.IsZero() {
		return ""
	}
	p := inv.Pace(f.now.Sub(f.sweepStarted))
	if p.EventsPerSecond == 0 && !p.Known {
		return ""
	}
	s := fmt.Sprintf(" · %.0f ev/s", p.EventsPerSecond)
	if p.Known && p.Left > 0 {
		s += " · about " + shortDur(p.Left.Round(time.Second)) + " left"
	}
	return s
}

// reached says how far back a running region has read: the date of its
// oldest event so far, since the window is read newest first.
func reached(sty styles, r runbook.RegionSweep) string {
	if r.Finished() || r.Oldest.IsZero() {
		return ""
	}
	return sty.Muted.Render(" → " + r.Oldest.UTC().Format("2006-01-02"))
}
