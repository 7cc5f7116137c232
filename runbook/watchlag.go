package runbook

import (
	"fmt"
	"time"
)

// DeliveryLag is how late CloudTrail may show a call: it "typically
// delivers an event within 15 minutes of the API call" (CloudTrail user
// guide). A watch reading sees the key's use only up to that long before
// it, so quiet minutes right after deactivation prove nothing yet.
const DeliveryLag = 15 * time.Minute

// Settled reports whether the watch has run for at least DeliveryLag,
// so a quiet reading covers some time after deactivation (or the restart).
func (w WatchState) Settled() bool {
	return !w.Start.IsZero() && w.Last.Sub(w.Start) >= DeliveryLag
}

// WatchLagNote is what the watch says about CloudTrail's delivery lag, or
// "" when nothing needs saying: a quiet reading under 15 minutes into the
// watch is not yet meaningful, and a window shorter than the lag never is.
func (s State) WatchLagNote() string {
	if s.Watch.Window > 0 && s.Watch.Window < DeliveryLag {
		return fmt.Sprintf("The watch window (%s) is shorter than CloudTrail's delivery lag: events arrive up to 15 minutes late, "+
			"so a quiet window does not show the key is unused. Watch at least 15 minutes (AWS advises 30).", s.Watch.Window)
	}
	if s.Step != StepWatch || s.Watch.Impact() || s.Watch.Start.IsZero() || s.Watch.Settled() {
		return ""
	}
	return fmt.Sprintf("Quiet, but not yet meaningful: CloudTrail delivers events up to 15 minutes late, "+
		"so a reading means something from %s on.", s.Watch.Start.Add(DeliveryLag).UTC().Format("15:04 UTC"))
}

// noteShortWatch keeps, in the findings and so in the report, that the
// watch passed before CloudTrail could have shown every call made in it.
func (m *Machine) noteShortWatch() {
	s := &m.s
	if !s.Watch.Passed || s.Watch.Settled() {
		return
	}
	s.Findings = append(append([]Finding(nil), s.Findings...), Finding{Step: StepWatch, Severity: SeverityWarning,
		Message: fmt.Sprintf("The watch passed after %s, less than CloudTrail's 15-minute delivery lag: use of the key in its last minutes "+
			"may not have shown yet. Look the key up in CloudTrail again before relying on the quiet.", s.Watch.Last.Sub(s.Watch.Start).Round(time.Second))})
}
