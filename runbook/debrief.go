package runbook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Drill is a training scenario's ground truth, in the runbook's terms, so
// a run can be scored against what a model response does.
type Drill struct {
	Scenario string `json:"scenario"`
	// Legitimate lists the source IPs of the workloads that are the
	// account's own: each must be replaced before the key goes inactive.
	Legitimate []string `json:"legitimate"`
	// Planted lists what the attacker created, to be found and removed.
	Planted []Resource `json:"planted"`
	// FollowUps lists the technique rows whose follow-up the attacker's
	// calls leave to do by hand (rotate the secret read, unshare the
	// snapshot): each must be confirmed done (ConfirmFollowUp).
	FollowUps []string `json:"followUps,omitempty"`
}

// DebriefPoint is one line of the debrief: what was expected, whether the
// run did it, and the points it cost.
type DebriefPoint struct {
	Title  string `json:"title"`
	OK     bool   `json:"ok"`
	Lost   int    `json:"lost"`
	Detail string `json:"detail"`
}

// Mark is the point's sign in the debrief: ✓ earned, ✗ lost.
func (p DebriefPoint) Mark() string {
	if p.OK {
		return "✓"
	}
	return "✗"
}

// Debrief scores a training run out of 100, with the reasons.
type Debrief struct {
	Scenario string         `json:"scenario"`
	Score    int            `json:"score"`
	Points   []DebriefPoint `json:"points"`
	Elapsed  time.Duration  `json:"elapsedNs"`
	Hints    int            `json:"hints"`
}

// Weights of the debrief, out of 100.
const (
	weightReplaced = 25
	weightRemoved  = 25
	weightWatch    = 20
	weightHealthy  = 20
	weightClosed   = 10
	costPerHint    = 2
	maxHintPenalty = 10
)

// Score compares a run, as its action log records it, with the model
// response: every legitimate caller moved before deactivation, the
// attacker's persistence removed, the watch window respected, no workload
// left broken, the incident closed. unhealthy lists the workloads broken
// at the end; hints counts the hints asked for.
func Score(d Drill, records []Record, unhealthy []string, hints int) (Debrief, error) {
	if len(records) == 0 {
		return Debrief{}, fmt.Errorf("score: the action log is empty")
	}
	m, _, err := fold(records)
	if err != nil {
		return Debrief{}, fmt.Errorf("score: %w", err)
	}
	st := m.State()
	db := Debrief{Scenario: d.Scenario, Hints: hints, Elapsed: records[len(records)-1].Time.Sub(records[0].Time)}
	// Only what applies to the scenario is scored: a key only the attacker
	// used has no caller to move, a scenario with no minted session none
	// to revoke (loose.go).
	for _, pt := range []*DebriefPoint{
		scoreReplacedFirst(d, records),
		scoreRemoved(d, st),
		scoreRevoked(st),
		scoreCompute(st),
		scoreWatch(records),
		scoreKeptOff(records),
		scoreRootAccess(st, records),
		scoreHealthy(unhealthy),
		scoreClosed(st),
	} {
		if pt != nil {
			db.Points = append(db.Points, *pt)
		}
	}
	if hints > 0 {
		lost := min(hints*costPerHint, maxHintPenalty)
		db.Points = append(db.Points, DebriefPoint{Title: "Worked without hints", Lost: lost, Detail: fmt.Sprintf("%d hint(s) asked for, %d points each (at most %d)", hints, costPerHint, maxHintPenalty)})
	}
	db.Points = append(db.Points, DebriefPoint{Title: "Time taken", OK: true, Detail: "from intake to the last record: " + db.Elapsed.Round(time.Second).String()})
	db.Score = 100
	for _, p := range db.Points {
		db.Score -= p.Lost
	}
	db.Score = max(db.Score, 0)
	return db, nil
}

// scoreReplacedFirst checks, at the moment the key went inactive, that
// every legitimate workload had a decided replacement.
func scoreReplacedFirst(d Drill, records []Record) *DebriefPoint {
	pt := &DebriefPoint{Title: "Every legitimate caller moved before deactivation"}
	if len(d.Legitimate) == 0 {
		return nil // the scenario has no legitimate caller: nothing to move
	}
	var atDeactivation *State
	var prefix []Record
	for i, rec := range records {
		if rec.Name == "KeyDeactivated" {
			prefix = records[:i]
			break
		}
	}
	if prefix == nil {
		pt.Lost, pt.Detail = weightReplaced, "the key was never deactivated"
		return pt
	}
	if m, _, err := fold(prefix); err == nil {
		st := m.State()
		atDeactivation = &st
	}
	if atDeactivation == nil || atDeactivation.Investigate.Investigation == nil {
		pt.Lost, pt.Detail = weightReplaced, "no investigation before deactivation"
		return pt
	}
	var missed []string
	for _, ip := range d.Legitimate {
		if !replacedBefore(*atDeactivation, ip) {
			missed = append(missed, ip)
		}
	}
	if len(missed) == 0 {
		pt.OK, pt.Detail = true, fmt.Sprintf("all %d legitimate caller(s) had a replacement when the key went inactive", len(d.Legitimate))
		return pt
	}
	pt.Lost = weightReplaced * len(missed) / len(d.Legitimate)
	pt.Detail = fmt.Sprintf("still on the key at deactivation: %s", strings.Join(missed, ", "))
	if atDeactivation.Propose.Override != "" {
		pt.Detail += " (override: " + atDeactivation.Propose.Override + ")"
	}
	return pt
}

func replacedBefore(st State, sourceIP string) bool {
	for _, c := range st.Investigate.Investigation.Callers {
		if c.SourceIP != sourceIP {
			continue
		}
		for _, p := range st.Propose.Proposals {
			if p.CallerID == c.ID && (p.Applied || p.Decision == DecisionExported) {
				return true
			}
		}
	}
	return false
}

// scoreRemoved counts the loose ends: planted resources left, and the
// follow-ups of the attacker's techniques (a secret to rotate, a snapshot
// to unshare) not confirmed done. Each costs its share of the weight; a
// drill with neither has nothing to score here.
func scoreRemoved(d Drill, st State) *DebriefPoint {
	pt := &DebriefPoint{Title: "Attacker's persistence found and removed"}
	ends := len(d.Planted) + len(d.FollowUps)
	if ends == 0 {
		return nil // the attacker planted nothing
	}
	var left, open []string
	for _, r := range d.Planted {
		if !cleanedUp(st.Delete.CleanedUp, r) {
			left = append(left, r.Type+" "+r.ID)
		}
	}
	for _, tech := range d.FollowUps {
		if !slices.ContainsFunc(st.Investigate.Investigation.FollowUps(), func(f FollowUp) bool { return f.Technique == tech && st.FollowUpDone(f) }) {
			open = append(open, tech)
		}
	}
	if len(left)+len(open) == 0 {
		pt.OK, pt.Detail = true, fmt.Sprintf("all %d planted resource(s) removed, %d follow-up(s) done", len(d.Planted), len(d.FollowUps))
		return pt
	}
	pt.Lost = weightRemoved * (len(left) + len(open)) / ends
	var parts []string
	if len(left) > 0 {
		parts = append(parts, "left in the account: "+strings.Join(left, ", "))
	}
	if len(open) > 0 {
		parts = append(parts, "follow-ups not done: "+strings.Join(open, ", "))
	}
	pt.Detail = strings.Join(parts, "; ")
	return pt
}

// cleanedUp matches by type and ID: the drill does not know the regions
// the responder's sweep attributed.
func cleanedUp(done []Resource, r Resource) bool {
	for _, x := range done {
		if x.Type == r.Type && x.ID == r.ID {
			return true
		}
	}
	return false
}

func scoreWatch(records []Record) *DebriefPoint {
	pt := &DebriefPoint{Title: "Watch window respected"}
	for _, rec := range records {
		if rec.Name != "Refused" {
			continue
		}
		var ref RefusedEvent
		if json.Unmarshal(rec.Data, &ref) == nil && ref.Event == "ConfirmDelete" && strings.Contains(ref.Reason, "watch window") {
			pt.Lost, pt.Detail = weightWatch, "tried to delete the key before the watch window passed (refused at "+stamp(rec.Time)+")"
			return pt
		}
	}
	pt.OK, pt.Detail = true, "no attempt to delete before the window passed"
	return pt
}

func scoreHealthy(unhealthy []string) *DebriefPoint {
	pt := &DebriefPoint{Title: "No workload left broken"}
	if len(unhealthy) == 0 {
		pt.OK, pt.Detail = true, "every workload is healthy"
		return pt
	}
	pt.Lost, pt.Detail = weightHealthy, "broken at the end: "+strings.Join(unhealthy, ", ")
	return pt
}

func scoreClosed(st State) *DebriefPoint {
	pt := &DebriefPoint{Title: "Incident closed with the key deleted"}
	switch {
	case st.Step == StepClosed && st.Intake.Key.Status == KeyGone:
		pt.OK, pt.Detail = true, "closed after deletion and the hardening check"
	case st.Step == StepAborted:
		pt.Lost, pt.Detail = weightClosed, "aborted: "+st.Reason
	default:
		pt.Lost, pt.Detail = weightClosed, "ended at "+st.Step.Title()
	}
	return pt
}

// Text renders the debrief for the screen and the terminal.
func (d Debrief) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Debrief — %s: %d/100\n", d.Scenario, d.Score)
	for _, p := range d.Points {
		lost := ""
		if p.Lost > 0 {
			lost = fmt.Sprintf(" (−%d)", p.Lost)
		}
		fmt.Fprintf(&b, "  %s %s%s: %s\n", p.Mark(), p.Title, lost, p.Detail)
	}
	return b.String()
}
