package sim

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Who may assume a role: the role ARN AssumeRole names and the role's trust
// policy, read as simply as sts_mint.go says.

var reRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)

func parseRoleARN(arn string) (account, name string, ok bool) {
	m := reRoleARN.FindStringSubmatch(arn)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// trusts reports whether the role's trust policy lets p assume it.
func trusts(doc string, p *principal) bool {
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(doc), &raw) != nil {
		return false
	}
	var stmts []rawStatement
	if json.Unmarshal(raw.Statement, &stmts) != nil {
		var one rawStatement
		if json.Unmarshal(raw.Statement, &one) != nil {
			return false
		}
		stmts = []rawStatement{one}
	}
	names := []string{"*", p.account, "arn:aws:iam::" + p.account + ":root", p.arn}
	if p.kind == typeAssumedRole {
		names = append(names, "arn:aws:iam::"+p.account+":role/"+p.name)
	}
	for _, st := range stmts {
		if st.Effect != "Allow" || len(st.Condition) > 0 && string(st.Condition) != "null" {
			continue
		}
		if !actionListed(st.Action, "sts:assumerole") {
			continue
		}
		if principalListed(st.Principal, names) {
			return true
		}
	}
	return false
}

func actionListed(actions []string, want string) bool {
	for _, a := range actions {
		if wildcardMatch(strings.ToLower(a), want) {
			return true
		}
	}
	return false
}

// principalListed reads a trust statement's Principal: "*" or
// {"AWS": "…" or […]}.
func principalListed(raw json.RawMessage, names []string) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var m map[string]stringOrList
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, v := range m["AWS"] {
		for _, n := range names {
			if v == n {
				return true
			}
		}
	}
	return false
}
