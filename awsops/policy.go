package awsops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// PolicyVersion is the IAM policy language version every document uses.
const PolicyVersion = "2012-10-17"

// dataEventsWarning is said of every policy built from event history
// (issue 5): management events only, so data-plane use is invisible.
const dataEventsWarning = "Event history holds management events only: S3 object reads and writes and Lambda Invoke calls (data events) are not in it, so this policy may miss them. The watch step catches what it misses: an AccessDenied from the new identity."

// PolicyResult is a least-privilege policy built from what one caller was
// seen to do.
type PolicyResult struct {
	// Document is the IAM policy JSON, or "" when no call of the caller
	// needs a permission (it only called sts:GetCallerIdentity).
	Document string
	// Actions are the granted IAM actions, sorted.
	Actions []string
	// Attempted are IAM actions of calls that always failed: attempted,
	// not granted.
	Attempted []string
	// Warnings say where the policy is wider than the calls seen, or may
	// be narrower than the work needs.
	Warnings []string
}

// PolicyStatement is one statement of an IAM policy document.
type PolicyStatement struct {
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// BuildPolicy builds the least-privilege policy of one caller from its own
// actions only: each call mapped to the IAM actions it needs (actionmap.go),
// granted on the resources its successful calls named, grouped into one
// statement per resource scope; iam:PassRole where it handed roles to a
// service; calls that never succeeded listed apart. The document is the
// same for the same caller, whatever order its actions come in.
func BuildPolicy(c runbook.UsageCaller) PolicyResult {
	return buildPolicy(c.Actions, nil)
}

// extraGrant is a permission the replacement needs that the key's calls
// cannot show (a Lambda execution role writes the function's logs).
type extraGrant struct {
	actions   []string
	resources []string
	why       string
}

func buildPolicy(uses []runbook.ActionUse, extras []extraGrant) PolicyResult {
	granted := map[string]map[string]bool{}   // IAM action → resources
	passRoles := map[string]map[string]bool{} // service → role ARNs
	attempted := map[string]bool{}
	var warnings, profiles []string
	grant := func(action string, resources []string) {
		if granted[action] == nil {
			granted[action] = map[string]bool{}
		}
		for _, r := range resources {
			granted[action][r] = true
		}
	}
	for _, u := range uses {
		actions := judge.IAMActions(u.Source, u.Name)
		if len(actions) == 0 {
			continue
		}
		if u.Errors >= u.Count {
			for _, a := range actions {
				attempted[a] = true
			}
			continue
		}
		prefix := judge.IAMPrefix(u.Source)
		var own []string
		for _, r := range u.Resources {
			if !judge.PassedRoleARN(prefix, r) {
				own = append(own, r)
				continue
			}
			role := r
			if i := strings.Index(r, ":instance-profile/"); i >= 0 {
				// The event names the profile, not the role inside it.
				role = r[:i] + ":role/*"
				profiles = append(profiles, r)
			}
			service := judge.PassRoleService[prefix]
			if passRoles[service] == nil {
				passRoles[service] = map[string]bool{}
			}
			passRoles[service][role] = true
		}
		if len(own) == 0 {
			own = []string{"*"}
		}
		for _, a := range actions {
			grant(a, own)
		}
	}
	for _, x := range extras {
		for _, a := range x.actions {
			grant(a, x.resources)
		}
		warnings = append(warnings, x.why)
	}

	// One statement per resource scope: actions granted on the same set of
	// resources share it; "*" swallows any narrower grant of the action.
	scopes := map[string][]string{}
	for action, res := range granted {
		list := []string{"*"}
		if !res["*"] {
			list = slices.Sorted(maps.Keys(res))
		}
		key := strings.Join(list, "\n")
		scopes[key] = append(scopes[key], action)
	}
	var doc PolicyDocument
	doc.Version = PolicyVersion
	keys := slices.Sorted(maps.Keys(scopes))
	for _, key := range keys {
		if key != "*" {
			doc.Statement = append(doc.Statement, allow(scopes[key], strings.Split(key, "\n")))
		}
	}
	for _, service := range slices.Sorted(maps.Keys(passRoles)) {
		st := allow([]string{"iam:PassRole"}, slices.Sorted(maps.Keys(passRoles[service])))
		if service != "" {
			st.Condition = map[string]map[string]string{"StringEquals": {"iam:PassedToService": service}}
		}
		doc.Statement = append(doc.Statement, st)
	}
	if wide := scopes["*"]; len(wide) > 0 {
		doc.Statement = append(doc.Statement, allow(wide, []string{"*"}))
		slices.Sort(wide)
		warnings = append(warnings, fmt.Sprintf("Resource \"*\" for %s: the events named no resource to narrow them to, or the action takes none (Describe and List calls).", listSome(wide, 8)))
	}
	if hasS3ObjectScope(granted) {
		warnings = append(warnings, "S3 object actions are granted on whole buckets (bucket/*): the calls name single objects, and a policy listing each would grow with the bucket.")
	}
	for _, p := range slices.Compact(slices.Sorted(slices.Values(profiles))) {
		warnings = append(warnings, fmt.Sprintf("iam:PassRole is granted on every role of the account: the calls name instance profile %s, not the role inside it; narrow it to that role.", p))
	}

	res := PolicyResult{Actions: slices.Sorted(maps.Keys(granted))}
	if len(passRoles) > 0 {
		res.Actions = append(res.Actions, "iam:PassRole")
		slices.Sort(res.Actions)
		res.Actions = slices.Compact(res.Actions)
	}
	for a := range attempted {
		if granted[a] == nil {
			res.Attempted = append(res.Attempted, a)
		}
	}
	slices.Sort(res.Attempted)
	if len(doc.Statement) == 0 {
		res.Warnings = append(warnings, "No call of this caller needs a permission: there is no policy to attach.", dataEventsWarning)
		return res
	}
	res.Document = marshalPolicy(doc)
	res.Warnings = append(warnings, dataEventsWarning)
	return res
}

func allow(actions, resources []string) PolicyStatement {
	a := slices.Clone(actions)
	slices.Sort(a)
	return PolicyStatement{Effect: "Allow", Action: slices.Compact(a), Resource: resources}
}

func hasS3ObjectScope(granted map[string]map[string]bool) bool {
	for action, res := range granted {
		if !strings.HasPrefix(action, "s3:") {
			continue
		}
		for r := range res {
			if strings.Contains(r, ":s3:::") && strings.HasSuffix(r, "/*") {
				return true
			}
		}
	}
	return false
}

// marshalPolicy writes a document indented, without HTML escaping (IAM
// reads "<" as is; escaped it would confuse a reviewer).
func marshalPolicy(doc any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		// Only strings, slices and maps of strings: cannot fail.
		panic(fmt.Sprintf("encode IAM policy: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// compactPolicySize is a document's length as IAM counts it against its
// quotas: without whitespace.
func compactPolicySize(doc string) int {
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) != nil {
		return len(doc)
	}
	return b.Len()
}

func listSome(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
