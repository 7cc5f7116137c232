package runbook

import "time"

// NextRun is when a scheduled caller is next expected to call, after t:
// the start of the next of its RunHours. A move check of such a caller sees
// nothing until then. False when the caller has no schedule.
func (c UsageCaller) NextRun(t time.Time) (time.Time, bool) {
	if len(c.RunHours) == 0 {
		return time.Time{}, false
	}
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	var next time.Time
	for _, h := range c.RunHours {
		if h < 0 || h > 23 {
			continue
		}
		at := day.Add(time.Duration(h) * time.Hour)
		// The hour it runs in counts until it is over: a run may come at
		// any minute of it.
		if !at.Add(time.Hour).After(t) {
			at = at.Add(24 * time.Hour)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}
