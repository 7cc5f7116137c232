package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// maxGapLines keeps a long list of failed regions from pushing the caller
// table off an 80×24 screen; the blind spots (b) list them all.
const maxGapLines = 4

// gapLines warns that the investigation is incomplete and names what is
// missing: a failed sweep must never read as one that found nothing. The
// machine refuses every decision until the gaps are read or overridden.
func gapLines(f frame, inv *runbook.Investigation) []string {
	gaps := inv.Gaps()
	if len(gaps) == 0 {
		return nil
	}
	if o := f.st.Investigate.GapOverride; o != nil {
		return wrapParagraph(f.sty.Warning, fmt.Sprintf("! incomplete, overridden: %q", o.Reason), f.w, "  ")
	}
	lines := wrapParagraph(f.sty.Danger, fmt.Sprintf("✗ Investigation incomplete (%d gap(s)): decisions are blocked until what failed is read again (r) or you go on with a reason (o).", len(gaps)), f.w, "  ")
	for i, g := range gaps {
		if i == maxGapLines {
			lines = append(lines, f.sty.Muted.Render(fmt.Sprintf("  … and %d more (b: blind spots)", len(gaps)-i)))
			break
		}
		lines = append(lines, wrapParagraph(f.sty.Warning, "· "+g, f.w, "  ")...)
	}
	return lines
}

// gapIntent answers r (read again) and o (override) on an incomplete
// investigation. A sweep that failed is retried by the global r (Retry);
// one that finished with gaps is run again over the same window.
func gapIntent(k tea.KeyPressMsg, km investigateKeys, inv *runbook.Investigation) intent {
	if key.Matches(k, km.Resweep) {
		return intent{event: runbook.BeginInvestigation{From: inv.From, To: inv.To}}
	}
	return intent{prompt: &promptSpec{
		title:       "Go on with an incomplete investigation",
		detail:      append([]string{"Not read:"}, append(inv.Gaps(), "Decisions taken now rest on part of the account. Say why you go on, naming what is missing: the reason and the gaps go into the action log and the report.")...),
		placeholder: "reason",
		build:       func(a string) runbook.Event { return runbook.BeginProposals{Override: a} },
	}}
}
