package judge

import (
	"fmt"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// SetExposedAt tells the fold when the key was exposed. A caller first
// seen after it, off the account's infrastructure, from an address and a
// user agent no caller used before it, is never legitimate by default: it
// is unknown, and the responder decides it before the key goes inactive.
// A caller at work well before it is the likely workload. Zero (unknown)
// leaves every caller judged by where it runs and what it did.
func (a *Aggregator) SetExposedAt(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.exposedAt = t
}

// judgeExposure applies the exposure time to the callers still
// legitimate, before their labels are final.
func (a *Aggregator) judgeExposure(views []*callerView) {
	if a.exposedAt.IsZero() {
		return
	}
	before := map[string]bool{} // addresses and user agents used before the exposure
	for _, v := range views {
		if v.state.first.Before(a.exposedAt) {
			before["ip "+v.key.ip], before["ua "+v.key.ua] = true, true
		}
	}
	for _, v := range views {
		if v.suspect || v.class.label != runbook.LabelLegitimate || v.class.onAccount {
			continue
		}
		first := v.state.first
		switch {
		case first.Before(a.exposedAt):
			v.class.why += fmt.Sprintf(" At work since %s, %s before the key was exposed: the likely workload.",
				stamp(first), roughly(a.exposedAt.Sub(first)))
		case before["ip "+v.key.ip]:
			v.class.why += " First seen after the key was exposed, from an address the key used before."
		case before["ua "+v.key.ua]:
			v.class.why += " First seen after the key was exposed, with the user agent of a caller from before (a runner with a new address?)."
		default:
			reason := fmt.Sprintf("first seen %s after the key was exposed, from an address and a tool the key never used before",
				roughly(first.Sub(a.exposedAt)))
			v.class.label = runbook.LabelUnknown
			v.class.why = "Unknown: " + reason + "; decide whether it is yours. " + v.class.why
			v.caller.Label, v.caller.Undecided = runbook.LabelUnknown, reason
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// roughly writes a duration for people: "3 days", "5 hours", "12 minutes".
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
