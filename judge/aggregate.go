package judge

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// maxCallers bounds the distinct callers kept. Past it, events fold into
// one catch-all caller: an attacker rotating addresses cannot exhaust memory,
// and the responder is told (Notes).
const maxCallers = 10000

// uaCacheMax bounds the user agents whose stable form is remembered.
const uaCacheMax = 4096

// overflowCaller is the catch-all caller's key.
var overflowCaller = callerKey{ip: "(other addresses)", ua: "(more callers than keyrunbook keeps apart)"}

// globalSources are services whose events name us-east-1 whatever the
// caller's home: they say nothing about the regions a caller works in.
var globalSources = map[string]bool{
	"iam": true, "sts": true, "signin": true, "organizations": true, "route53": true,
	"cloudfront": true, "account": true, "budgets": true, "ce": true, "support": true, "health": true,
}

// ipOwner is what of the account holds an address.
type ipOwner struct {
	instance *Instance
	address  *ElasticIP
	private  bool
	region   string
}

func indexInventory(inv Inventory) map[string][]ipOwner {
	idx := map[string][]ipOwner{}
	for i := range inv.Instances {
		in := &inv.Instances[i]
		for _, ip := range in.PublicIPs {
			idx[ip] = append(idx[ip], ipOwner{instance: in, region: in.Region})
		}
		for _, ip := range in.PrivateIPs {
			idx[ip] = append(idx[ip], ipOwner{instance: in, private: true, region: in.Region})
		}
	}
	for i := range inv.Addresses {
		a := &inv.Addresses[i]
		idx[a.PublicIP] = append(idx[a.PublicIP], ipOwner{address: a, region: a.Region})
	}
	return idx
}

// Aggregator folds CloudTrail records, one at a time, into callers,
// indicators and the blast radius. Its memory grows with distinct callers,
// actions and resources, never with events. Add and Result are safe to call
// from several goroutines (the sweep reads regions in parallel).
type Aggregator struct {
	mu      sync.Mutex
	keyID   string
	inv     Inventory
	idx     map[string][]ipOwner
	callers map[callerKey]*callerState
	blast   map[blastKey]*blastEntry
	uaCache map[string]string // raw user agent → stable form
	events  int
	// What the bounds cut, for Notes.
	overflowEvents int
	blastDropped   int
	// minted are the temporary credentials the key minted (minted.go).
	minted mintedLedger
	// exposedAt is when the key was exposed, if known (exposure.go).
	exposedAt time.Time
	// omitted counts the records CloudTrail cut for size (omitted.go).
	omitted omissions
}

type callerKey struct{ ip, ua string }

type blastKey struct{ typ, id, region string }

// blastEntry is one resource created or changed, and every caller that
// did: it is the attacker's only when one of them is not legitimate
// (issue 14: a CI's deploy of its own function is no attacker's change).
type blastEntry struct {
	res     runbook.Resource // the earliest call's, by time then action
	callers map[callerKey]time.Time
}

type callerState struct {
	first, last time.Time
	firstRef    runbook.EventRef // the earliest event, by time then ID
	firstRecon  bool             // whether that event was a reconnaissance call
	events      int
	errors      int
	denied      int
	minted      int             // calls signed with credentials other than the key: ones it minted
	mintedKeys  map[string]bool // which (bounded): the session's own key IDs
	regions     map[string]bool // region → a regional (not global) service was called there
	vpce        string
	when        timeUse // hours and days it called on (kinds_cluster.go)
	actions     map[actionKey]*actionState
	evidence    map[evidenceKey]*evidence
}

type actionKey struct{ source, name string }

// evidenceKey groups a caller's evidence into indicators: by kind and the
// severity of the rows behind it, and for resource abuse by region.
type evidenceKey struct {
	kind, region string
	sev          runbook.Severity
}

type actionState struct {
	prefix, action string // IAM prefix and normalised event name
	call           string // "prefix:Action", the key of the tables in actionmap.go
	passes         bool   // the call can hand a role to a service
	use            runbook.ActionUse
	multiRegion    bool
	errAt          time.Time
	own            map[string]bool // ARNs the successful calls' permission is checked on
	wildcard       bool            // some call named no resource, or too many: "*"
	passed         map[string]bool // roles or instance profiles handed to a service
}

// NewAggregator starts a fold for the key's events. The inventory tells
// which source addresses are this account's instances. Records signed with
// another key ID may be added too: the sweep follows the temporary
// credentials the key minted (issue 11), and their calls count as the key's.
func NewAggregator(keyID string, inv Inventory) *Aggregator {
	return &Aggregator{
		keyID:   keyID,
		inv:     inv,
		idx:     indexInventory(inv),
		callers: map[callerKey]*callerState{},
		blast:   map[blastKey]*blastEntry{},
		uaCache: map[string]string{},
	}
}

// Events returns how many records were added so far.
func (a *Aggregator) Events() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.events
}

// Add folds one record in. The record is not kept.
func (a *Aggregator) Add(r TrailRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events++
	if r.EventType == "AwsServiceEvent" {
		return // AWS's own events (not calls signed with the key)
	}
	a.minted.note(&r, a.keyID)
	key := callerKey{r.SourceIPAddress, a.userAgent(r.UserAgent)}
	c := a.callers[key]
	if c == nil {
		if len(a.callers) >= maxCallers {
			key, a.overflowEvents = overflowCaller, a.overflowEvents+1
			c = a.callers[key]
		}
		if c == nil {
			c = &callerState{regions: map[string]bool{}, actions: map[actionKey]*actionState{},
				evidence: map[evidenceKey]*evidence{}}
			a.callers[key] = c
		}
	}
	ak := actionKey{r.EventSource, r.EventName}
	act := c.actions[ak]
	if act == nil {
		prefix, action := IAMPrefix(r.EventSource), NormalizeEventName(r.EventName)
		call := prefix + ":" + action
		act = &actionState{prefix: prefix, action: action, call: call,
			passes: passRoleParams[call] != nil,
			use:    runbook.ActionUse{Source: r.EventSource, Name: r.EventName, Action: call, Region: r.AWSRegion}}
		c.actions[ak] = act
	}
	rows := Match(&r)
	recon := slices.ContainsFunc(rows, func(t *Technique) bool { return t.Kind == IndicatorRecon })

	ref := runbook.EventRef{ID: r.EventID, Time: r.EventTime, Region: r.AWSRegion, Name: r.EventName}
	if c.events == 0 || compareRefs(ref, c.firstRef) < 0 {
		c.first, c.firstRef, c.firstRecon = r.EventTime, ref, recon
	}
	if r.EventTime.After(c.last) {
		c.last = r.EventTime
	}
	c.events++
	c.when.note(r.EventTime)
	c.regions[r.AWSRegion] = c.regions[r.AWSRegion] || !globalSources[act.prefix]
	if r.VPCEndpointID != "" && (c.vpce == "" || r.VPCEndpointID < c.vpce) {
		c.vpce = r.VPCEndpointID // the least, so the same whatever the order
	}
	if id := r.UserIdentity.AccessKeyID; id != "" && id != a.keyID {
		c.minted++
		if c.mintedKeys == nil {
			c.mintedKeys = map[string]bool{}
		}
		if len(c.mintedKeys) < mintedKeysKept {
			c.mintedKeys[id] = true
		}
	}
	a.foldAction(act, &r)

	if len(rows) > 0 {
		req, resp := Params{raw: r.RequestParameters}, Params{raw: r.ResponseElements}
		// One event feeds each indicator once, however many rows it matched.
		fed := map[evidenceKey]bool{}
		for _, t := range rows {
			k := evidenceKey{kind: t.Kind, sev: t.Severity}
			if t.Kind == IndicatorResourceAbuse {
				k.region = r.AWSRegion
			}
			e := c.evidenceFor(k)
			if !fed[k] {
				e.add(&r)
				fed[k] = true
			}
			e.addRow(t, &r, &req, &resp)
		}
	}
	if r.Failed() {
		c.errors++
		if trailDenied(r.ErrorCode) {
			c.denied++
			c.evidenceFor(evidenceKey{kind: IndicatorDenied, sev: runbook.SeverityWarning}).add(&r)
		}
		return
	}
	a.foldBlast(act, &r, key)
}

// userAgent returns the stable form of a user agent, remembering a bounded
// number of them: the same few agents repeat in millions of events.
func (a *Aggregator) userAgent(ua string) string {
	if s, ok := a.uaCache[ua]; ok {
		return s
	}
	s := StableUserAgent(ua)
	if len(a.uaCache) < uaCacheMax {
		a.uaCache[ua] = s
	}
	return s
}

func (c *callerState) evidenceFor(k evidenceKey) *evidence {
	e := c.evidence[k]
	if e == nil {
		e = &evidence{}
		c.evidence[k] = e
	}
	return e
}

func (a *Aggregator) foldAction(act *actionState, r *TrailRecord) {
	u := &act.use
	// Read-only only if every call was: the same whatever the order of Adds.
	u.ReadOnly = r.ReadOnly && (u.Count == 0 || u.ReadOnly)
	u.Count++
	if r.EventTime.After(u.LastSeen) {
		u.LastSeen = r.EventTime
	}
	if u.Region != r.AWSRegion {
		act.multiRegion = true
	}
	if r.Failed() {
		u.Errors++
		if !r.EventTime.Before(act.errAt) {
			u.ErrorCode, act.errAt = r.ErrorCode, r.EventTime
		}
		return // failed calls were not granted: they name no resource to grant
	}
	if act.wildcard && !act.passes {
		return // nothing more to learn: the action is granted on "*" already
	}
	own, passed := callResources(act.prefix, act.action, act.call, r)
	if len(own) == 0 {
		act.wildcard, act.own = true, nil
	}
	for _, arn := range own {
		if act.wildcard {
			break
		}
		if act.own == nil {
			act.own = map[string]bool{}
		}
		act.own[arn] = true
		if len(act.own) > resourcesPerAct {
			act.wildcard, act.own = true, nil
		}
	}
	for _, arn := range passed {
		if act.passed == nil {
			act.passed = map[string]bool{}
		}
		if len(act.passed) < resourcesPerAct {
			act.passed[arn] = true
		}
	}
}

// Notes says what the memory bounds left out, for the coverage statement.
func (a *Aggregator) Notes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var notes []string
	if a.overflowEvents > 0 {
		notes = append(notes, fmt.Sprintf("More than %d distinct callers: %d events of the rest are grouped as one caller.", maxCallers, a.overflowEvents))
	}
	if s := a.omitted.sentence(); s != "" {
		notes = append(notes, s)
	}
	if a.blastDropped > 0 {
		notes = append(notes, fmt.Sprintf("The blast radius lists the first %d resources; %d more were created or changed.", blastRadiusCap, a.blastDropped))
	}
	return notes
}

// Result returns the callers, indicators and blast radius folded so far,
// sorted, and the same for the same records whatever order they came in.
// It may be called while Adds go on (progress) and again at the end.
func (a *Aggregator) Result() (callers []runbook.UsageCaller, indicators []runbook.Indicator, blast []runbook.Resource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	views := a.judge()
	clusterCallers(views)
	for _, v := range views {
		callers = append(callers, v.caller)
		indicators = append(indicators, v.indicators...)
	}
	slices.SortFunc(callers, func(x, y runbook.UsageCaller) int {
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	slices.SortFunc(indicators, compareIndicators)
	blast = attribute(a.blast, views)
	return callers, indicators, blast
}

func severityRank(s runbook.Severity) int {
	switch s {
	case runbook.SeverityCritical:
		return 0
	case runbook.SeverityWarning:
		return 1
	}
	return 2
}

func compareIndicators(x, y runbook.Indicator) int {
	if c := severityRank(x.Severity) - severityRank(y.Severity); c != 0 {
		return c
	}
	var tx, ty time.Time
	if len(x.Events) > 0 {
		tx = x.Events[0].Time
	}
	if len(y.Events) > 0 {
		ty = y.Events[0].Time
	}
	if c := tx.Compare(ty); c != 0 {
		return c
	}
	return strings.Compare(x.Kind+x.CallerID+x.Summary, y.Kind+y.CallerID+y.Summary)
}

// callerIDs names callers by a short hash of source IP and user agent, so an
// ID is the same for the same caller in every run and every order of Adds.
func callerIDs(keys []callerKey) map[callerKey]string {
	slices.SortFunc(keys, func(x, y callerKey) int { return strings.Compare(x.ip+"\x00"+x.ua, y.ip+"\x00"+y.ua) })
	ids := make(map[callerKey]string, len(keys))
	taken := map[string]bool{}
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k.ip + "\x00" + k.ua))
		id := "c" + hex.EncodeToString(sum[:4])
		if taken[id] { // a 32-bit collision: the later key (in sorted order) takes the long form
			id = "c" + hex.EncodeToString(sum[:12])
		}
		taken[id] = true
		ids[k] = id
	}
	return ids
}
