package runbook

import (
	"encoding/json"
	"fmt"
	"time"
)

// ReportSchema names the JSON report's format; it changes when a field's
// meaning does.
const ReportSchema = "keyrunbook.report/v1"

// Report is an incident's record for the postmortem, built from its action
// log alone. Its JSON form is the documented schema (see README.md).
type Report struct {
	Schema string `json:"schema"`
	// Verified is false when the log's hash chain did not verify; the report
	// then covers the good prefix and says so at the top.
	Verified      bool   `json:"verified"`
	VerifyProblem string `json:"verifyProblem,omitempty"`
	// Head is the hash of the last verified record: records cut from the
	// end keep the chain valid, and only a head kept elsewhere shows it.
	Head string `json:"head,omitempty"`

	Summary       ReportSummary     `json:"summary"`
	Metrics       ReportMetrics     `json:"metrics"`
	Timeline      []TimelineItem    `json:"timeline"`
	Key           KeyFacts          `json:"key"`
	Findings      []Finding         `json:"findings,omitempty"`
	Investigation *Investigation    `json:"investigation,omitempty"`
	Replacements  []Proposal        `json:"replacements,omitempty"`
	Proofs        []Proof           `json:"proofs,omitempty"` // the replacements' proofs (proof.go)
	Containment   ReportContainment `json:"containment"`
	// ChangePlan lists the mutations dry-run did not send, in order.
	ChangePlan []APICall   `json:"changePlan,omitempty"`
	CleanedUp  []Resource  `json:"cleanedUp,omitempty"`
	Checklist  []CheckItem `json:"checklist,omitempty"`
	// FollowUps are what the attacker's techniques leave to do (rotate,
	// unshare, revoke…), from the indicators of callers not legitimate.
	FollowUps []FollowUp `json:"followUps,omitempty"`
	// FollowUpState says, per follow-up (same order), whether it is done
	// and by whom: the responder's word, or keyrunbook's clean-up.
	FollowUpState []string        `json:"followUpState,omitempty"`
	Debrief       json.RawMessage `json:"debrief,omitempty"`
}

// ReportSummary is the report's first paragraph.
type ReportSummary struct {
	KeyID   string    `json:"keyId"`
	Owner   string    `json:"owner"`
	Account string    `json:"account"`
	Mode    Mode      `json:"mode"`
	Actor   string    `json:"actor,omitempty"`
	Outcome string    `json:"outcome"` // closed, aborted, or "in progress at STEP"
	Reason  string    `json:"reason,omitempty"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
}

// ReportMetrics are the measures of AWS's credential-compromise playbook.
// Durations are whole seconds; absent ones did not happen.
type ReportMetrics struct {
	DetectedAt     time.Time `json:"detectedAt,omitzero"`
	ContainedAt    time.Time `json:"containedAt,omitzero"`
	RecoveredAt    time.Time `json:"recoveredAt,omitzero"`
	TimeToDetectS  *int64    `json:"timeToDetectSeconds,omitempty"`  // detected → intake
	TimeToContainS *int64    `json:"timeToContainSeconds,omitempty"` // intake → key inactive
	TimeToRecoverS *int64    `json:"timeToRecoverSeconds,omitempty"` // intake → closed
}

// ReportContainment is the deactivation, the watch and the deletion.
type ReportContainment struct {
	DeactivatedAt time.Time     `json:"deactivatedAt,omitzero"`
	Override      string        `json:"override,omitempty"`
	Rollbacks     int           `json:"rollbacks"`
	Lessons       []string      `json:"lessons,omitempty"`
	WatchWindow   time.Duration `json:"watchWindowNs"`
	WatchStart    time.Time     `json:"watchStart,omitzero"`
	WatchLast     time.Time     `json:"watchLast,omitzero"`
	WatchPassed   bool          `json:"watchPassed"`
	KeyUses       int           `json:"keyUsesDuringWatch"`
	DeletedAt     time.Time     `json:"deletedAt,omitzero"`
	// WatchNote is CloudTrail's delivery lag when it weakens the watch.
	WatchNote string `json:"watchNote,omitempty"`
	// Revocation is the deny of the sessions the key minted, if it ran.
	Revocation *Revocation `json:"revocation,omitempty"`
	// RootAccess is how root's credentials were obtained for a root key,
	// and RootCalls the calls the log records as made by root.
	RootAccess *RootAccess `json:"rootAccess,omitempty"`
	RootCalls  []RootCall  `json:"rootCalls,omitempty"`
	// The last reading's signals, with who used the key, and what still
	// blocks the deletion (empty once the window passed).
	WatchEnded bool           `json:"watchEnded,omitempty"`
	Uses       []KeyUse       `json:"uses,omitempty"`
	Denied     []DeniedCall   `json:"denied,omitempty"`
	Alarms     []string       `json:"alarms,omitempty"`
	Unhealthy  []string       `json:"unhealthy,omitempty"`
	Unread     []UnreadSignal `json:"unread,omitempty"`
	Blockers   []Blocker      `json:"blockers,omitempty"`
}

// TimelineItem is one line of the timeline: a transition, an AWS call, a
// refusal.
type TimelineItem struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor,omitempty"`
	Type   string    `json:"type"` // event, intent, result, refused, api-call, would-call
	Step   string    `json:"step"`
	Name   string    `json:"name"`
	Detail string    `json:"detail,omitempty"`
	// Count folds a run of the same read call (a sweep's thousands of
	// LookupEvents pages) into one line; the log keeps each one.
	Count int `json:"count,omitempty"`
}

// BuildReport folds an action log's records into a report. vr is the
// log's verification; records are its good prefix.
func BuildReport(records []Record, vr VerifyResult) (*Report, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("the action log has no records")
	}
	m, _, err := fold(records)
	if err != nil {
		return nil, err
	}
	st := m.State()
	r := &Report{Schema: ReportSchema, Verified: vr.OK, VerifyProblem: vr.Reason, Head: vr.Head, Key: st.Intake.Key, Findings: st.Findings}
	r.Summary = ReportSummary{
		KeyID: st.KeyID, Account: st.Intake.Key.Account, Mode: st.Mode, Actor: st.Intake.Caller.ARN,
		Owner: st.Intake.Key.Owner(), Reason: st.Reason, Started: records[0].Time,
	}
	switch st.Step {
	case StepClosed:
		r.Summary.Outcome = "closed"
	case StepAborted:
		r.Summary.Outcome = "aborted"
	default:
		r.Summary.Outcome = "in progress at " + st.Step.Title()
	}
	if st.Step.Final() {
		r.Summary.Ended = records[len(records)-1].Time
	}
	r.Investigation = st.Investigate.Investigation
	r.Replacements = st.Propose.Proposals
	r.Proofs = st.Propose.Proofs
	r.CleanedUp = st.Delete.CleanedUp
	r.Checklist = st.Harden.Checklist
	r.FollowUps = st.Investigate.Investigation.FollowUps()
	for _, f := range r.FollowUps {
		state := "open"
		switch {
		case st.followUpCleanedUp(f):
			state = "done by the clean-up"
		case st.FollowUpDone(f):
			state = "done, says the responder"
		}
		r.FollowUpState = append(r.FollowUpState, state)
	}
	r.Containment = ReportContainment{
		DeactivatedAt: st.Contain.DeactivatedAt, Override: st.Propose.Override, Rollbacks: st.Contain.Rollbacks, Lessons: st.Contain.Lessons,
		WatchWindow: st.Watch.Window, WatchStart: st.Watch.Start, WatchLast: st.Watch.Last, WatchPassed: st.Watch.Passed,
		KeyUses: st.Watch.KeyUses, DeletedAt: st.Delete.DeletedAt, WatchNote: st.WatchLagNote(), Revocation: st.Contain.Revocation,
		WatchEnded: st.Watch.Ended, Uses: st.Watch.Uses, Denied: st.Watch.Denied, Alarms: st.Watch.Alarms, Unhealthy: st.Watch.Unhealthy, Unread: st.Watch.Unread,
	}
	if !st.Watch.Start.IsZero() && !st.Watch.Passed && st.Intake.Key.Status == KeyInactive {
		r.Containment.Blockers = st.Watch.Blockers()
	}
	r.Containment.RootAccess, r.Containment.RootCalls = st.Contain.RootAccess, rootCalls(records)
	r.Timeline, r.ChangePlan, r.Debrief = timeline(records)
	r.Metrics = metrics(records, st)
	return r, nil
}

func metrics(records []Record, st State) ReportMetrics {
	var mt ReportMetrics
	var intake time.Time
	for _, rec := range records {
		switch rec.Name {
		case "SubmitKey":
			if intake.IsZero() {
				intake = rec.Time
			}
		case "KeyDeactivated":
			if mt.ContainedAt.IsZero() {
				// The log's own clock, like intake's: one clock for all metrics.
				mt.ContainedAt = rec.Time
			}
		case "CloseIncident":
			mt.RecoveredAt = rec.Time
		}
	}
	if st.Step != StepClosed {
		mt.RecoveredAt = time.Time{}
	}
	mt.DetectedAt = st.Intake.DetectedAt
	secs := func(a, b time.Time) *int64 {
		if a.IsZero() || b.IsZero() {
			return nil
		}
		s := int64(b.Sub(a).Round(time.Second) / time.Second)
		return &s
	}
	mt.TimeToDetectS = secs(mt.DetectedAt, intake)
	mt.TimeToContainS = secs(intake, mt.ContainedAt)
	mt.TimeToRecoverS = secs(intake, mt.RecoveredAt)
	return mt
}

func timeline(records []Record) (items []TimelineItem, plan []APICall, debrief json.RawMessage) {
	var rf readingFold
	for _, rec := range records {
		if rec.Name == "WatchObserved" && rec.Type == RecordResult {
			if folded, ok := rf.fold(items, rec); ok {
				items = folded
				continue
			}
		}
		it := TimelineItem{Seq: rec.Seq, Time: rec.Time, Actor: rec.Actor, Type: string(rec.Type), Step: rec.Step, Name: rec.Name}
		switch rec.Name {
		case "Refused":
			var ref struct {
				Event  string `json:"event"`
				Reason string `json:"reason"`
			}
			json.Unmarshal(rec.Data, &ref) //nolint:errcheck // a bad record shows as its name alone
			it.Type, it.Name, it.Detail = "refused", ref.Event, ref.Reason
		case "APICall":
			var c APICall
			json.Unmarshal(rec.Data, &c) //nolint:errcheck
			it.Type, it.Name = "api-call", c.Service+":"+c.Operation
			if c.WouldCall {
				it.Type = "would-call"
				plan = append(plan, c)
			}
			it.Detail = string(c.Input)
			if c.Error != "" {
				it.Detail = "error: " + c.Error
			}
		case "Debrief":
			debrief = rec.Data
			it.Detail = "training debrief"
		default:
			it.Detail = describe(rec)
		}
		if n := len(items); n > 0 && it.Type == "api-call" && items[n-1].Type == "api-call" && items[n-1].Name == it.Name && items[n-1].Step == it.Step {
			prev := &items[n-1]
			prev.Count = max(prev.Count, 1) + 1
			prev.Detail = ""
			continue
		}
		items = append(items, it)
		if rec.Name == "WatchObserved" && rec.Type == RecordResult {
			rf.start(len(items)-1, rec)
		}
	}
	return items, plan, debrief
}

// readingFold folds a run of watch readings that say the same thing into
// the run's first line: a log written before readings were journaled on
// change holds one per poll (thousands), each with its poll and its calls.
type readingFold struct {
	at     int // index of the run's first reading in the timeline; -1 none
	sig    string
	detail string
	valid  bool
}

func (f *readingFold) start(i int, rec Record) {
	var o WatchObserved
	f.valid = json.Unmarshal(rec.Data, &o) == nil
	f.at, f.sig = i, o.Signature()
	f.detail = ""
}

// fold drops the reading rec and the polls and calls since the run's
// first reading, when rec repeats it; it reports whether it did.
func (f *readingFold) fold(items []TimelineItem, rec Record) ([]TimelineItem, bool) {
	var o WatchObserved
	if !f.valid || f.at >= len(items) || json.Unmarshal(rec.Data, &o) != nil || o.Signature() != f.sig {
		return items, false
	}
	for _, it := range items[f.at+1:] {
		poll := it.Type == string(RecordIntent) && it.Name == "PollWatch"
		if !poll && !(it.Type == "api-call" && it.Step == string(StepWatch)) {
			return items, false
		}
	}
	items = items[:f.at+1]
	first := &items[f.at]
	if f.detail == "" {
		f.detail = first.Detail
	}
	first.Count = max(first.Count, 1) + 1
	first.Detail = f.detail + " (unchanged until " + stamp(o.At) + ")"
	return items, true
}
