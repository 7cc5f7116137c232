package judge

import (
	"encoding/json"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Technique is one row of the technique table (techniques.go): an attacker
// technique as it shows in CloudTrail, what it says of the caller, and what
// the responder does about it. The classifier evaluates every record
// against the table; no other list of attacker calls exists.
type Technique struct {
	// ID names the row for tests, the README and the follow-ups.
	ID string
	// Source is the eventSource (iam.amazonaws.com); Names its eventNames,
	// without the version suffix some services add (Lambda's 20150331v2).
	Source string
	Names  []string
	// When holds conditions on the record's parameters, all of which must
	// hold: "ModifySnapshotAttribute that adds a permission", not any.
	When []Condition
	// Kind is the indicator kind the row feeds (Indicator* constants).
	Kind string
	// Severity decides the caller's label: critical makes any caller
	// suspicious, warning one that does not run on the account, info none
	// (it is listed, and its follow-up applies to attacker and unknown
	// callers only: a workload reading its own secret is no leak).
	Severity runbook.Severity
	// ATTACK is the MITRE ATT&CK technique ID (T1537, T1562.008).
	ATTACK string
	// Why is the one line the responder reads.
	Why string
	// Do is what to do about it, for the report and the checklist.
	Do string
	// FollowUp is the kind of action Do asks for (FollowUp* constants), or
	// "" when there is nothing to undo.
	FollowUp string
	// Target is the path (as in Condition) of what the call acted on, for
	// the follow-up's list: the secret read, the snapshot shared.
	Target string
}

// Condition is a test on one value of a record. Path is a dotted path into
// requestParameters ("workflow.status", "ipPermissions.items[].ipRanges.items[].cidrIp");
// "response." reads responseElements instead. Alternatives are separated
// by "|": CloudTrail's nested form and the flat form of a query API.
type Condition struct {
	Path string
	// In lists the values that match, compared without case; empty means
	// any value that is present and not empty.
	In []string
}

// Follow-up kinds: what cleaning up after a technique means.
const (
	FollowUpRotate    = "rotate"    // secrets, parameters, passwords read: rotate them
	FollowUpUnshare   = "unshare"   // snapshots, images, layers shared out: unshare
	FollowUpTerminate = "terminate" // compute launched: terminate it
	FollowUpRevoke    = "revoke"    // model access, sessions, access granted: revoke
	FollowUpDelete    = "delete"    // identities, keys, senders created: delete
	FollowUpRestore   = "restore"   // logging, detection, settings changed: restore
)

// Indicator kinds, as runbook.Indicator.Kind carries them.
const (
	IndicatorPersistence      = "persistence"
	IndicatorDefenseEvasion   = "defense-evasion"
	IndicatorResourceAbuse    = "resource-abuse"
	IndicatorRecon            = "recon"
	IndicatorDenied           = "denied"
	IndicatorCredentialAccess = "credential-access"
	IndicatorExfiltration     = "exfiltration"
	IndicatorImpact           = "impact"
	IndicatorExecution        = "execution"
)

// kindTitles open an indicator's summary, by kind.
var kindTitles = map[string]string{
	IndicatorPersistence:      "Persistence (identities, keys, policies, functions or access paths created or changed)",
	IndicatorDefenseEvasion:   "Defense evasion (logging, detection or protections turned off or changed)",
	IndicatorCredentialAccess: "Credential access (secrets, parameters, passwords or tokens read)",
	IndicatorExfiltration:     "Exfiltration (data shared out of the account or made public)",
	IndicatorImpact:           "Impact (data destroyed, held or resources hijacked)",
	IndicatorExecution:        "Execution (commands or code run on the account's compute)",
}

// kindVerbs say what an indicator of a kind says of its caller, for Why.
var kindVerbs = map[string][2]string{
	IndicatorPersistence:      {"created or changed", "identities, keys, policies or access paths"},
	IndicatorDefenseEvasion:   {"turned off or changed", "logging, detection or protections"},
	IndicatorCredentialAccess: {"read", "secrets, parameters or credentials"},
	IndicatorExfiltration:     {"shared", "data out of the account"},
	IndicatorImpact:           {"destroyed or hijacked", "data or services"},
	IndicatorExecution:        {"ran", "commands or code on the account's compute"},
	IndicatorResourceAbuse:    {"launched", "compute"},
}

// techniqueIndex finds the rows of an event by "eventSource eventName".
var techniqueIndex = func() map[string][]*Technique {
	idx := map[string][]*Technique{}
	for i := range Techniques {
		t := &Techniques[i]
		for _, n := range t.Names {
			k := t.Source + " " + n
			idx[k] = append(idx[k], t)
		}
	}
	return idx
}()

// techniquesFor returns the rows that name an event.
func techniquesFor(source, name string) []*Technique {
	return techniqueIndex[source+" "+NormalizeEventName(name)]
}

// Match returns the rows a record matches, in table order.
func Match(r *TrailRecord) []*Technique {
	var out []*Technique
	req, resp := Params{raw: r.RequestParameters}, Params{raw: r.ResponseElements}
	for _, t := range techniquesFor(r.EventSource, r.EventName) {
		if t.holds(&req, &resp) {
			out = append(out, t)
		}
	}
	return out
}

func (t *Technique) holds(req, resp *Params) bool {
	for _, c := range t.When {
		if !c.holds(req, resp) {
			return false
		}
	}
	return true
}

func (c Condition) holds(req, resp *Params) bool {
	for _, path := range strings.Split(c.Path, "|") {
		p := req
		if rest, ok := strings.CutPrefix(path, "response."); ok {
			p, path = resp, rest
		}
		for _, v := range p.scalars(path) {
			if len(c.In) == 0 && v != "" {
				return true
			}
			for _, want := range c.In {
				if strings.EqualFold(v, want) {
					return true
				}
			}
		}
	}
	return false
}

// scalars returns the values at a dotted path as text: strings as they
// are, booleans and numbers as JSON writes them, objects and arrays as
// "{…}" (present, not empty) so a condition can test that a block exists.
func (p *Params) scalars(path string) []string {
	if !p.load() {
		return nil
	}
	var out []string
	for _, raw := range jsonValues(p.top, strings.Split(path, ".")) {
		var s string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			out = append(out, s)
		case len(raw) > 0 && (raw[0] == '{' || raw[0] == '['):
			if string(raw) != "{}" && string(raw) != "[]" {
				out = append(out, "{…}")
			}
		case string(raw) != "null":
			out = append(out, string(raw))
		}
	}
	return out
}

func jsonValues(obj map[string]json.RawMessage, segs []string) []json.RawMessage {
	name, each := strings.CutSuffix(segs[0], "[]")
	raw, ok := obj[name]
	if !ok {
		return nil
	}
	values := []json.RawMessage{raw}
	if each && json.Unmarshal(raw, &values) != nil {
		return nil
	}
	if len(segs) == 1 {
		return values
	}
	var out []json.RawMessage
	for _, v := range values {
		var next map[string]json.RawMessage
		if json.Unmarshal(v, &next) == nil {
			out = append(out, jsonValues(next, segs[1:])...)
		}
	}
	return out
}

// targets returns what a call acted on, by the row's Target paths.
func (t *Technique) targets(req, resp *Params) []string {
	if t.Target == "" {
		return nil
	}
	var out []string
	for _, path := range strings.Split(t.Target, "|") {
		p := req
		if rest, ok := strings.CutPrefix(path, "response."); ok {
			p, path = resp, rest
		}
		for _, v := range p.scalars(path) {
			if v != "" && v != "{…}" {
				out = append(out, v)
			}
		}
	}
	return out
}

// ATTACKIDs returns the distinct ATT&CK technique IDs of the table.
func ATTACKIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Techniques {
		if !seen[t.ATTACK] {
			seen[t.ATTACK] = true
			out = append(out, t.ATTACK)
		}
	}
	return out
}
