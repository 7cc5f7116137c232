package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KeyUse is one kind of use of the leaked key seen during the watch: the
// calls from one source with one action, region and error, folded. The
// executor fills what CloudTrail says; the machine names the caller it
// matches in the investigation (attribute), which decides the advice.
type KeyUse struct {
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Count     int       `json:"count"`
	SourceIP  string    `json:"sourceIp"`
	UserAgent string    `json:"userAgent,omitempty"`
	Tool      string    `json:"tool,omitempty"`
	Action    string    `json:"action"` // iam-style, e.g. iam:ListUsers
	Region    string    `json:"region,omitempty"`
	ErrorCode string    `json:"errorCode,omitempty"`
	// CallerID is the investigation's caller at this address, "" when the
	// address is new; Match is that caller's label, or MatchNew.
	CallerID string `json:"callerId,omitempty"`
	Match    Label  `json:"match,omitempty"`
}

// MatchNew marks a use from an address the investigation never saw.
const MatchNew Label = "new"

// Failed reports whether the calls failed (CloudTrail set an error code).
func (u KeyUse) Failed() bool { return u.ErrorCode != "" }

// Who says who made the calls, for the screen and the report.
func (u KeyUse) Who() string {
	who := u.SourceIP
	if u.Tool != "" {
		who += " (" + u.Tool + ")"
	}
	switch u.Match {
	case LabelLegitimate:
		return "workload " + u.CallerID + " at " + who
	case LabelAttacker:
		return "the attacker at " + who
	case MatchNew, "":
		return "a new caller at " + who
	}
	return string(u.Match) + " caller " + u.CallerID + " at " + who
}

// What says what the calls were: count, action, region, error, when.
func (u KeyUse) What() string {
	s := fmt.Sprintf("%d× %s", u.Count, u.Action)
	if u.Region != "" {
		s += " in " + u.Region
	}
	if u.ErrorCode != "" {
		s += ", failed " + u.ErrorCode
	} else {
		s += ", succeeded"
	}
	s += ", " + u.First.UTC().Format("15:04:05")
	if u.Last.After(u.First) {
		s += "–" + u.Last.UTC().Format("15:04:05")
	}
	return s
}

// Contained reports whether the use shows containment working: the
// attacker's (or a caller the responder called not ours) calls failing on
// the dead key. Rolling back would hand the key back: keep it off.
func (u KeyUse) Contained() bool {
	return u.Failed() && (u.Match == LabelAttacker || u.Match == LabelSuspicious)
}

// Advice says what the responder does about the use.
func (u KeyUse) Advice() string {
	switch {
	case u.Contained():
		return fmt.Sprintf("containment works: %s retries the dead key and fails. Keep the key off (do not roll back: that hands it back); this does not block deletion.", u.SourceIP)
	case u.Match == LabelLegitimate:
		return fmt.Sprintf("workload %s is failing on the dead key: roll back (R), or fix its replacement so it stops using the key and restart the watch (w).", u.CallerID)
	case !u.Failed():
		return fmt.Sprintf("the key still works for %s: check it is inactive; roll back only if this is your workload.", u.SourceIP)
	}
	return fmt.Sprintf("%s was not seen by the investigation: find whose it is. If it is your workload, roll back (R) and give it a replacement; if not, it is the attacker: keep the key off and restart the watch (w).", u.SourceIP)
}

// Blocks reports whether the use keeps the key from being deleted.
func (u KeyUse) Blocks() bool { return !u.Contained() }

// UnreadSignal is a watch signal that could not be read: it is unknown,
// never quiet, and blocks deletion until a reading succeeds.
type UnreadSignal struct {
	Signal string `json:"signal"` // "alarms", "replacements denied"
	Region string `json:"region,omitempty"`
	// Action is the permission the responder lacks, when AWS denied it.
	Action string `json:"action,omitempty"`
	Reason string `json:"reason"`
}

// Text says what is unknown and why.
func (u UnreadSignal) Text() string {
	s := u.Signal + " unknown"
	if u.Region != "" {
		s += " in " + u.Region
	}
	s += ", because " + u.Reason
	if u.Action != "" && !strings.Contains(u.Reason, u.Action) {
		s += " (missing permission " + u.Action + ")"
	}
	return s
}

// attribute names the investigation's caller behind each use: the caller
// of the same address and user agent, else of the same address.
func attribute(inv *Investigation, uses []KeyUse) []KeyUse {
	out := make([]KeyUse, len(uses))
	for i, u := range uses {
		u.CallerID, u.Match = "", MatchNew
		if inv != nil {
			best := -1
			for j, c := range inv.Callers {
				if c.SourceIP != u.SourceIP {
					continue
				}
				if best < 0 || c.UserAgent == u.UserAgent {
					best = j
				}
			}
			if best >= 0 {
				u.CallerID, u.Match = inv.Callers[best].ID, inv.Callers[best].Label
			}
		}
		out[i] = u
	}
	return out
}

// Blocker is one thing that keeps the key from being deleted, with what
// to do about it.
type Blocker struct {
	What string `json:"what"`
	Do   string `json:"do"`
}

// Blockers lists what the last watch reading shows that keeps the key from
// being deleted. The attacker failing on the dead key is not one: that is
// containment working.
func (w WatchState) Blockers() []Blocker {
	var out []Blocker
	for _, u := range w.Uses {
		if u.Blocks() {
			out = append(out, Blocker{What: "use of the key by " + u.Who() + ": " + u.What(), Do: u.Advice()})
		}
	}
	if w.KeyUses > 0 && len(w.Uses) == 0 {
		// A reading from before uses were attributed says only how many.
		out = append(out, Blocker{What: fmt.Sprintf("%d use(s) of the key by an unnamed caller", w.KeyUses),
			Do: "find the caller in CloudTrail; roll back (R) if it is your workload, restart the watch (w) once it stops"})
	}
	for _, d := range w.Denied {
		out = append(out, Blocker{What: d.Principal + " denied " + d.Action,
			Do: "add " + d.Action + " to " + d.Principal + "'s policy, then restart the watch (w); or roll back (R)"})
	}
	if len(w.Alarms) > 0 {
		out = append(out, Blocker{What: "alarms in ALARM: " + strings.Join(w.Alarms, ", "),
			Do: "see what the alarm watches: roll back (R) if the key's turn-off broke it, restart the watch (w) once it is OK"})
	}
	if len(w.Unhealthy) > 0 {
		out = append(out, Blocker{What: "workloads failing: " + strings.Join(w.Unhealthy, ", "),
			Do: "roll back (R) and fix their replacements, then deactivate again"})
	}
	for _, u := range w.Unread {
		do := "restart the watch (w) once it can be read"
		if u.Action != "" {
			do = "grant " + u.Action + " to your credentials (or use credentials that have it), then restart the watch (w)"
		}
		out = append(out, Blocker{What: u.Text(), Do: do})
	}
	return out
}

// Contained lists the uses that show containment working.
func (w WatchState) Contained() []KeyUse {
	var out []KeyUse
	for _, u := range w.Uses {
		if u.Contained() {
			out = append(out, u)
		}
	}
	return out
}

// Signature digests what a reading shows, leaving out when and how often:
// two readings of the same signature are the same news, so only the first
// is journaled (the attacker's tenth retry is not a new record).
func (o WatchObserved) Signature() string {
	var parts []string
	for _, u := range o.Uses {
		// Who, and whether it fails: a caller seen with one more action or
		// region is the same news.
		parts = append(parts, "use|"+u.SourceIP+"|"+u.UserAgent+"|"+u.ErrorCode)
	}
	if o.KeyUses > 0 && len(o.Uses) == 0 {
		parts = append(parts, "uses")
	}
	for _, d := range o.Denied {
		parts = append(parts, "denied|"+d.Principal+"|"+d.Action)
	}
	for _, a := range o.Alarms {
		parts = append(parts, "alarm|"+a)
	}
	for _, w := range o.Unhealthy {
		parts = append(parts, "unhealthy|"+w)
	}
	for _, u := range o.Unread {
		parts = append(parts, "unread|"+u.Signal+"|"+u.Region+"|"+u.Action+"|"+u.Reason)
	}
	if len(parts) == 0 {
		return "" // quiet, as a watch that has read nothing yet
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:8])
}

// repeatsReading reports whether applying a reading changed nothing but its
// time: the step, the window's end and every signal are as the last
// reading's (before a restart of the watch too: a workload still failing
// after the restart is not news). The engine does not journal such a
// reading, nor the poll it asks for.
func repeatsReading(before, after State) bool {
	return before.Step == StepWatch && after.Step == StepWatch &&
		before.Watch.Ended == after.Watch.Ended && before.Watch.Passed == after.Watch.Passed &&
		!before.Watch.Start.IsZero() && before.Watch.Start.Equal(after.Watch.Start) &&
		before.Watch.ReadingSig == after.Watch.ReadingSig
}

// Summary says what a reading shows, in a line: who used the key, which
// workloads fail, which alarms fire, what could not be read; "quiet" when
// nothing.
func (o WatchObserved) Summary() string {
	var parts []string
	for _, u := range o.Uses {
		parts = append(parts, "key used by "+u.Who()+": "+u.What())
	}
	if o.KeyUses > 0 && len(o.Uses) == 0 {
		parts = append(parts, fmt.Sprintf("%d key use(s)", o.KeyUses))
	}
	for _, d := range o.Denied {
		parts = append(parts, d.Principal+" denied "+d.Action)
	}
	if len(o.Alarms) > 0 {
		parts = append(parts, "alarms in ALARM: "+strings.Join(o.Alarms, ", "))
	}
	if len(o.Unhealthy) > 0 {
		parts = append(parts, "workloads failing: "+strings.Join(o.Unhealthy, ", "))
	}
	for _, u := range o.Unread {
		parts = append(parts, u.Text())
	}
	if len(parts) == 0 {
		return "quiet"
	}
	return strings.Join(parts, "; ")
}
