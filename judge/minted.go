package judge

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The leaked key can mint temporary credentials (sts:GetSessionToken,
// sts:GetFederationToken, sts:AssumeRole) whose calls CloudTrail records
// under their own ASIA key ID: a sweep by the leaked key's ID alone never
// sees them. CloudTrail names the minted key in the minting event's
// responseElements.credentials.accessKeyId; the ledger below collects
// those from the records the aggregator folds, and the sweep then looks
// each minted key up too (mintedsweep.go), folding its calls into the same
// callers, indicators and blast radius.

// mintingCalls are the STS calls that answer with temporary credentials.
var mintingCalls = map[string]bool{
	runbook.ViaGetSessionToken: true, runbook.ViaGetFederationToken: true, runbook.ViaAssumeRole: true,
}

// MaxMintDepth bounds how many hops the sweep follows: the leaked key's
// sessions, the sessions those minted, and one more. A role assumed from a
// role session lasts at most an hour, so deeper chains are rare.
const MaxMintDepth = 3

// mintedLedger is what the records told of minted credentials. The
// aggregator holds it under its lock.
type mintedLedger struct {
	creds map[string]*mintedCred // by minted key ID
	uses  map[string]int         // calls signed with each temporary key seen
}

type mintedCred struct {
	runbook.MintedCredential
	depth int
	// swept are the regions whose event history was read for this key.
	swept map[string]bool
	// unread are the regions where reading it failed (after the SDK's
	// retries); a later hop tries them again, and success clears them.
	unread map[string]bool
}

// note reads one record: a successful minting call by the key (or by a
// credential it minted) adds to the ledger; a call signed with a temporary
// key counts as that key's use.
func (l *mintedLedger) note(r *TrailRecord, leakedKey string) {
	signer := r.UserIdentity.AccessKeyID
	if strings.HasPrefix(signer, "ASIA") {
		if l.uses == nil {
			l.uses = map[string]int{}
		}
		l.uses[signer]++
	}
	if r.EventSource != "sts.amazonaws.com" || !mintingCalls[r.EventName] || r.Failed() {
		return
	}
	depth := 1
	if signer != leakedKey {
		parent, ok := l.creds[signer]
		if !ok {
			return // minted by someone else: not the leak's
		}
		depth = parent.depth + 1
	}
	resp, req := Params{raw: r.ResponseElements}, Params{raw: r.RequestParameters}
	id := resp.str("credentials.accessKeyId")
	if id == "" && omitted(&resp) {
		// CloudTrail cut the response for size: the event's resources
		// still name the minted key (omitted.go).
		for _, res := range r.Resources {
			if res.Type == "AWS::IAM::AccessKey" && strings.HasPrefix(lastSegment(res.ARN), "ASIA") {
				id = lastSegment(res.ARN)
			}
		}
	}
	if !strings.HasPrefix(id, "ASIA") {
		return
	}
	c := runbook.MintedCredential{KeyID: id, Via: r.EventName, MintedBy: signer, IssuedAt: r.EventTime,
		Region: r.AWSRegion, SourceIP: r.SourceIPAddress, RoleARN: req.str("roleArn"), FederatedUser: req.str("name")}
	if acct := roleAccount(c.RoleARN); acct != "" && acct != r.Account() {
		c.CrossAccount = true
	}
	c.ExpiresAt, c.ExpiryBasis = mintedExpiry(r, &req, &resp)
	if l.creds == nil {
		l.creds = map[string]*mintedCred{}
	}
	if old, ok := l.creds[id]; ok && !old.IssuedAt.After(c.IssuedAt) {
		return // the same event seen twice (a resumed sweep, a trail source)
	}
	l.creds[id] = &mintedCred{MintedCredential: c, depth: depth, swept: map[string]bool{}, unread: map[string]bool{}}
}

// roleAccount is the account in a role ARN, "" when it is none.
func roleAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "iam" {
		return ""
	}
	return parts[4]
}

// expirationLayouts are how CloudTrail writes credentials.expiration: "Jun
// 3, 2025 2:32:00 PM", newer records "Jun 3, 2025, 2:32:00 PM", some RFC
// 3339.
var expirationLayouts = []string{"Jan 2, 2006 3:04:05 PM", "Jan 2, 2006, 3:04:05 PM", time.RFC3339}

// mintedExpiry is the latest the credential may be valid until: the
// expiration STS returned, else the duration asked for, else the longest
// STS allows for the call (STS API reference).
func mintedExpiry(r *TrailRecord, req, resp *Params) (time.Time, string) {
	if s := resp.str("credentials.expiration"); s != "" {
		for _, layout := range expirationLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), runbook.ExpiryFromResponse
			}
		}
	}
	if req.load() {
		if n, err := strconv.Atoi(strings.Trim(string(req.top["durationSeconds"]), `"`)); err == nil && n > 0 {
			return r.EventTime.Add(time.Duration(n) * time.Second), runbook.ExpiryFromRequested
		}
	}
	longest := runbook.MaxUserSession
	switch {
	case r.EventName == runbook.ViaAssumeRole && r.UserIdentity.Type == "AssumedRole":
		longest = runbook.MaxChainedSession
	case r.EventName == runbook.ViaAssumeRole:
		longest = runbook.MaxRoleSession
	case r.UserIdentity.Type == "Root":
		longest = runbook.MaxRootSession
	}
	return r.EventTime.Add(longest), runbook.ExpiryFromMaximum
}

// toSweep lists the minted keys whose event history is still unread in
// some of the regions, shallowest first. Another account's keys are left
// out: their calls are in that account's CloudTrail.
func (l *mintedLedger) toSweep(regions []string) []MintedTarget {
	var out []MintedTarget
	for _, c := range l.creds {
		if c.CrossAccount || c.depth > MaxMintDepth {
			continue
		}
		var todo []string
		for _, r := range regions {
			if !c.swept[r] {
				todo = append(todo, r)
			}
		}
		if len(todo) > 0 {
			out = append(out, MintedTarget{c.MintedCredential, todo})
		}
	}
	slices.SortFunc(out, func(a, b MintedTarget) int { return a.Cred.IssuedAt.Compare(b.Cred.IssuedAt) })
	return out
}

// MintedTarget is one minted key and the regions still to read for it.
type MintedTarget struct {
	Cred    runbook.MintedCredential
	Regions []string
}

func (l *mintedLedger) markSwept(keyID, region string) {
	if c, ok := l.creds[keyID]; ok {
		c.swept[region] = true
		delete(c.unread, region)
	}
}

// markUnread notes that the key's events in the region could not be read:
// the investigation names it as a gap instead of counting it as swept.
func (l *mintedLedger) markUnread(keyID, region string) {
	if c, ok := l.creds[keyID]; ok && !c.swept[region] {
		c.unread[region] = true
	}
}

// list is the ledger as the investigation carries it, oldest first.
func (l *mintedLedger) list() []runbook.MintedCredential {
	var out []runbook.MintedCredential
	for _, c := range l.creds {
		m := c.MintedCredential
		m.Events = l.uses[m.KeyID]
		m.Swept = len(c.swept) > 0
		m.Unread = slices.Sorted(maps.Keys(c.unread))
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b runbook.MintedCredential) int {
		if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
			return c
		}
		return strings.Compare(a.KeyID, b.KeyID)
	})
	return out
}

// Minted returns the temporary credentials the key minted, as folded so far.
func (a *Aggregator) Minted() []runbook.MintedCredential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.minted.list()
}

func (a *Aggregator) MintedToSweep(regions []string) []MintedTarget {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.minted.toSweep(regions)
}

func (a *Aggregator) MarkMintedSwept(keyID, region string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.minted.markSwept(keyID, region)
}

// mintedKeysKept bounds the session keys remembered per caller.
const mintedKeysKept = 16

// judgeSessions labels the callers that act only through sessions the key
// minted as the callers that minted them are labelled: such a caller is the
// minting caller's own tooling (issue 14: the attacker's session from the
// address of its GetSessionToken must not pass for a workload and be
// offered a replacement user). A session whose minting call is among no
// caller is for the responder to decide.
func (a *Aggregator) judgeSessions(views []*callerView) {
	for _, v := range views {
		st := v.state
		if st.minted == 0 || st.minted < st.events || v.caller.Label != runbook.LabelLegitimate || v.class.kind == runbook.CallerAWSService {
			continue
		}
		var by *callerView
		for key := range st.mintedKeys {
			cred, ok := a.minted.creds[key]
			if !ok {
				continue
			}
			for _, m := range views {
				if m != v && m.key.ip == cred.SourceIP && (by == nil || m.caller.Label != runbook.LabelLegitimate) {
					by = m
				}
			}
		}
		switch {
		case by == nil:
			reason := "it acts only through temporary credentials the key minted, and no caller of the key minted them in this window"
			v.caller.Label, v.caller.Undecided = runbook.LabelUnknown, reason
			v.caller.Why = "Unknown: " + reason + ". " + v.caller.Why
		case by.caller.Label != runbook.LabelLegitimate:
			v.caller.Label, v.caller.Undecided = by.caller.Label, ""
			v.caller.Why = fmt.Sprintf("%s: it acts only through temporary credentials that caller %s (%s) minted. %s",
				strings.ToUpper(string(by.caller.Label[:1]))+string(by.caller.Label[1:]), by.caller.ID, by.caller.Label, v.caller.Why)
		default:
			v.caller.Why += fmt.Sprintf(" It acts only through temporary credentials that caller %s minted.", by.caller.ID)
		}
	}
}

// MarkMintedUnread notes that a minted key's calls in a region could not be
// read: the investigation is incomplete there, not quiet.
func (a *Aggregator) MarkMintedUnread(keyID, region string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.minted.markUnread(keyID, region)
}
