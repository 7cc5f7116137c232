package judge

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// trailDenied reports whether an errorCode means the call was not allowed;
// services spell it several ways (IAM AccessDenied, EC2
// Client.UnauthorizedOperation, SNS AuthorizationError).
func trailDenied(code string) bool {
	return strings.Contains(code, "AccessDenied") || strings.HasSuffix(code, "UnauthorizedOperation") ||
		strings.HasPrefix(code, "AuthorizationError") || code == "UnauthorizedAccess" || code == "Forbidden"
}

// Thresholds of the denied indicator (issue 4, "many AccessDenied"): five
// denied calls, or half of a caller's calls once at least two were denied.
const (
	deniedMinCount  = 5
	deniedMinShare  = 2
	reconNewAfter   = 24 * time.Hour // a caller first seen this long after the key's other callers is new
	eventRefCap     = 20             // EventRefs kept per indicator; the summary counts the rest
	blastRadiusCap  = 10000
	resourcesPerAct = 64 // distinct ARNs kept per action before it falls back to "*"
)

// evidence is the bounded trace of one kind of indicator for one caller.
type evidence struct {
	names map[string]*attempts // event name → counts
	refs  []runbook.EventRef   // the earliest eventRefCap, by time then ID
	total int
	rows  map[*Technique]*rowHits // the technique rows behind it
}

// rowHits is what one technique row saw of one caller: its successful
// calls and what they acted on (bounded), for the follow-up.
type rowHits struct {
	ok      int
	targets map[string]bool
}

// targetsKept bounds the targets a follow-up lists per row and caller.
const targetsKept = 50

func (e *evidence) addRow(t *Technique, r *TrailRecord, req, resp *Params) {
	if e.rows == nil {
		e.rows = map[*Technique]*rowHits{}
	}
	h := e.rows[t]
	if h == nil {
		h = &rowHits{}
		e.rows[t] = h
	}
	if r.Failed() {
		return
	}
	h.ok++
	for _, v := range t.targets(req, resp) {
		if h.targets == nil {
			h.targets = map[string]bool{}
		}
		if len(h.targets) < targetsKept {
			h.targets[v] = true
		}
	}
}

type attempts struct {
	ok, failed int
	code       string // the error code of the latest failure
	codeAt     time.Time
}

func (e *evidence) add(r *TrailRecord) {
	if e.names == nil {
		e.names = map[string]*attempts{}
	}
	a := e.names[r.EventName]
	if a == nil {
		a = &attempts{}
		e.names[r.EventName] = a
	}
	if r.Failed() {
		a.failed++
		if !r.EventTime.Before(a.codeAt) {
			a.code, a.codeAt = r.ErrorCode, r.EventTime
		}
	} else {
		a.ok++
	}
	e.total++
	ref := runbook.EventRef{ID: r.EventID, Time: r.EventTime, Region: r.AWSRegion, Name: r.EventName}
	i, _ := slices.BinarySearchFunc(e.refs, ref, compareRefs)
	if i < eventRefCap {
		e.refs = slices.Insert(e.refs, i, ref)
		if len(e.refs) > eventRefCap {
			e.refs = e.refs[:eventRefCap]
		}
	}
}

func compareRefs(a, b runbook.EventRef) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// describe lists the calls behind an indicator: "CreateUser ×1; attempted
// CreateLoginProfile ×2 (AccessDenied)". Failed calls count as attempts.
func (e *evidence) describe() string {
	names := make([]string, 0, len(e.names))
	for n := range e.names {
		names = append(names, n)
	}
	slices.Sort(names)
	var done, tried []string
	for _, n := range names {
		a := e.names[n]
		if a.ok > 0 {
			done = append(done, fmt.Sprintf("%s ×%d", n, a.ok))
		}
		if a.failed > 0 {
			tried = append(tried, fmt.Sprintf("%s ×%d (%s)", n, a.failed, a.code))
		}
	}
	parts := done
	if len(tried) > 0 {
		parts = append(parts, "attempted "+strings.Join(tried, ", "))
	}
	return strings.Join(parts, "; ")
}

func (e *evidence) indicator(kind string, sev runbook.Severity, callerID, summary string) runbook.Indicator {
	if more := e.total - len(e.refs); more > 0 {
		summary += fmt.Sprintf(" (%d more events not listed)", more)
	}
	ind := runbook.Indicator{Kind: kind, Summary: summary, Severity: sev, CallerID: callerID,
		Events: slices.Clone(e.refs)}
	rows := slices.Collect(maps.Keys(e.rows))
	slices.SortFunc(rows, func(a, b *Technique) int { return strings.Compare(a.ID, b.ID) })
	for _, t := range rows {
		if !slices.Contains(ind.Techniques, t.ATTACK) {
			ind.Techniques = append(ind.Techniques, t.ATTACK)
		}
		h := e.rows[t]
		if t.FollowUp == "" || h.ok == 0 {
			continue // a failed attempt changed nothing to undo
		}
		ind.FollowUps = append(ind.FollowUps, runbook.FollowUp{Kind: t.FollowUp, Technique: t.ID, Do: t.Do,
			CallerID: callerID, Targets: slices.Sorted(maps.Keys(h.targets))})
	}
	slices.Sort(ind.Techniques)
	return ind
}

// callerView is one caller as Result reports it, with its indicators.
type callerView struct {
	key        callerKey
	state      *callerState
	class      callerClass
	caller     runbook.UsageCaller
	indicators []runbook.Indicator
	reasons    []string // per indicator: what it says of the caller, for Why
	// suspect: an indicator so far labels the caller suspicious, so its
	// regions do not count as the legitimate callers' regions.
	suspect bool
}

// judge classifies every caller, finds the indicators, and labels the
// callers that do what an attacker does. Resource abuse comes last: it
// needs the regions of the callers that stayed legitimate.
func (a *Aggregator) judge() []*callerView {
	keys := slices.Collect(maps.Keys(a.callers))
	ids := callerIDs(keys)
	views := make([]*callerView, 0, len(keys))
	for _, k := range keys {
		st := a.callers[k]
		regions := slices.Sorted(maps.Keys(st.regions))
		v := &callerView{key: k, state: st}
		if k == overflowCaller {
			v.class = callerClass{kind: runbook.CallerUnknown, label: runbook.LabelUnknown,
				why: "Callers past keyrunbook's limit of distinct callers, grouped together."}
		} else {
			v.class = classifyCaller(k.ip, k.ua, st.vpce, regions, a.inv, a.idx)
		}
		if st.minted > 0 {
			v.class.why += fmt.Sprintf(" %d of its calls used temporary credentials the key minted, not the key itself.", st.minted)
		}
		v.caller = buildCaller(ids[k], k, st, v.class, regions)
		views = append(views, v)
	}
	slices.SortFunc(views, func(x, y *callerView) int { return strings.Compare(x.caller.ID, y.caller.ID) })
	early := earliestCallers(views)
	for _, v := range views {
		v.findIndicators(early)
	}
	a.judgeExposure(views)
	// Regions of the callers still legitimate after the other indicators,
	// counted before any resource-abuse verdict, so no verdict depends on
	// the order callers are judged in.
	used := map[string]int{}
	for _, v := range views {
		if v.good() {
			for region, regional := range v.state.regions {
				if regional {
					used[region]++
				}
			}
		}
	}
	for _, v := range views {
		v.findResourceAbuse(used)
	}
	for _, v := range views {
		v.label()
	}
	a.judgeSessions(views)
	for _, v := range views {
		if v.caller.Label == runbook.LabelLegitimate {
			// A workload's own reads of its secrets, or its deploys, are
			// techniques only in other hands: they are not listed for it.
			v.indicators = slices.DeleteFunc(v.indicators, func(ind runbook.Indicator) bool {
				return ind.Severity == runbook.SeverityInfo && kindTitles[ind.Kind] != ""
			})
		}
	}
	return views
}

// good reports whether a caller's regions count as the legitimate callers'.
func (v *callerView) good() bool {
	return !v.suspect && v.class.label == runbook.LabelLegitimate && v.class.kind != runbook.CallerAWSService
}

// earliestCallers are the two callers (AWS services aside) seen first: a
// caller is new when another one was at work well before it.
func earliestCallers(views []*callerView) [2]*callerView {
	var e [2]*callerView
	for _, v := range views {
		if v.class.kind == runbook.CallerAWSService {
			continue
		}
		switch {
		case e[0] == nil || v.state.first.Before(e[0].state.first):
			e[0], e[1] = v, e[0]
		case e[1] == nil || v.state.first.Before(e[1].state.first):
			e[1] = v
		}
	}
	return e
}

func (v *callerView) add(ind runbook.Indicator, reason string) {
	v.indicators = append(v.indicators, ind)
	v.reasons = append(v.reasons, reason)
	if v.labels(ind) {
		v.suspect = true
	}
}

func (v *callerView) findIndicators(early [2]*callerView) {
	st, id := v.state, v.caller.ID
	keys := slices.Collect(maps.Keys(st.evidence))
	slices.SortFunc(keys, func(a, b evidenceKey) int {
		return strings.Compare(a.kind+"\x00"+string(a.sev), b.kind+"\x00"+string(b.sev))
	})
	for _, k := range keys {
		title, ok := kindTitles[k.kind]
		if !ok {
			continue // recon, denied and resource abuse have their own rules below
		}
		e := st.evidence[k]
		verb := kindVerbs[k.kind]
		v.add(e.indicator(k.kind, k.sev, id, title+": "+e.describe()), e.verb(verb[0], verb[1]))
	}
	if e := st.evidence[evidenceKey{kind: IndicatorRecon, sev: runbook.SeverityWarning}]; e != nil && !v.class.onAccount {
		// Mostly enumeration, and of more than one kind: a CI job's one
		// GetCallerIdentity before its one real call is not an enumeration.
		mostly := e.total*2 >= st.events && len(e.names) >= 2
		fresh := v.class.tool != "terraform" && st.firstRecon && v.isNew(early)
		switch {
		case mostly:
			v.add(e.indicator(IndicatorRecon, runbook.SeverityWarning, id,
				fmt.Sprintf("Reconnaissance: %d of its %d calls enumerate the account: %s", e.total, st.events, e.describe())),
				"mostly enumerated the account, as an attacker learning what a key reaches does")
		case fresh:
			v.add(e.indicator(IndicatorRecon, runbook.SeverityWarning, id,
				fmt.Sprintf("Reconnaissance from a new address, starting with %s: %s", st.firstRef.Name, e.describe())),
				"appeared from a new address and began by enumerating the account")
		}
	}
	if e := st.evidence[evidenceKey{kind: IndicatorDenied, sev: runbook.SeverityWarning}]; e != nil &&
		(st.denied >= deniedMinCount || (st.denied >= deniedMinShare && st.denied*2 >= st.events)) {
		v.add(e.indicator(IndicatorDenied, runbook.SeverityWarning, id,
			fmt.Sprintf("Many denied calls: %d of %d: %s", st.denied, st.events, e.describe())),
			fmt.Sprintf("was denied %d of %d calls", st.denied, st.events))
	}
}

// isNew reports whether the caller first appeared well after another
// caller of the key was already at work: an address new to the key.
func (v *callerView) isNew(early [2]*callerView) bool {
	other := early[0]
	if other == v {
		other = early[1]
	}
	return other != nil && other.state.first.Add(reconNewAfter).Before(v.state.first)
}

// findResourceAbuse judges launches by region: where legitimate callers
// (other than this one) work, or where this caller's own instance or
// function lives, a launch is information; elsewhere it is abuse.
func (v *callerView) findResourceAbuse(usedBy map[string]int) {
	self := v.good() // before this caller's own verdicts change it
	used := func(region string) bool {
		n := usedBy[region]
		if self && v.state.regions[region] {
			n-- // its own use does not count
		}
		return n > 0 || region == v.class.resourceRegion
	}
	for k, e := range v.state.evidence {
		if k.kind != IndicatorResourceAbuse {
			continue
		}
		// Map order is random; label() sorts the indicators afterwards.
		if used(k.region) {
			v.add(e.indicator(IndicatorResourceAbuse, runbook.SeverityInfo, v.caller.ID,
				fmt.Sprintf("Compute launched in %s, a region the legitimate callers use: %s", k.region, e.describe())),
				e.verb("launched", "compute in "+k.region))
			continue
		}
		v.add(e.indicator(IndicatorResourceAbuse, runbook.SeverityCritical, v.caller.ID,
			fmt.Sprintf("Resource abuse: compute launched in %s, a region no legitimate caller uses: %s", k.region, e.describe())),
			e.verb("launched", "compute in "+k.region+", a region no legitimate caller uses"))
	}
}

// label turns indicators into the caller's label and reason. Critical
// indicators make any caller suspicious; reconnaissance and denied calls
// only a caller that does not run on this account's infrastructure.
func (v *callerView) label() {
	// Sort indicators and their reasons together, so Why reads in the
	// indicators' order whatever order the evidence map gave.
	order := make([]int, len(v.indicators))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return compareIndicators(v.indicators[x], v.indicators[y]) })
	var reasons, notes []string
	sorted := make([]runbook.Indicator, 0, len(order))
	for _, i := range order {
		ind := v.indicators[i]
		sorted = append(sorted, ind)
		switch {
		case v.labels(ind):
			reasons = append(reasons, v.reasons[i])
		case ind.Severity == runbook.SeverityWarning:
			notes = append(notes, v.reasons[i])
		}
	}
	v.indicators = sorted
	v.caller.Why = v.class.why
	if len(reasons) > 0 {
		v.caller.Label, v.caller.Undecided = runbook.LabelSuspicious, ""
		v.caller.Why = "Suspicious: it " + strings.Join(reasons, "; it ") + ". " + v.class.why
	}
	if len(notes) > 0 {
		v.caller.Why += " Note: it " + strings.Join(notes, "; it ") + "."
	}
}

// labels reports whether an indicator makes this caller suspicious.
func (v *callerView) labels(ind runbook.Indicator) bool {
	return ind.Severity == runbook.SeverityCritical ||
		(ind.Severity == runbook.SeverityWarning && !v.class.onAccount)
}

// verb says "attempted to …" when every call behind the evidence failed:
// a failed attempt is evidence of intent, not of a change to clean up.
func (e *evidence) verb(did, what string) string {
	for _, a := range e.names {
		if a.ok > 0 {
			return did + " " + what
		}
	}
	return "attempted (and failed) to " + presentTense[did] + " " + what
}

var presentTense = map[string]string{
	"created or changed":    "create or change",
	"turned off or changed": "turn off or change",
	"launched":              "launch",
	"read":                  "read",
	"shared":                "share",
	"destroyed or hijacked": "destroy or hijack",
	"ran":                   "run",
}
