package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// iam:SimulateCustomPolicy, which keyrunbook's proof replays a proposal's
// calls through (issue 11). It decides with the same evaluator that answers
// AccessDenied (policy.go: evaluateIn and statement.matches), so a
// simulation here says exactly what a call would meet. Conditions are
// modelled as there: aws:TokenIssueTime (DateLessThan) from ContextEntries,
// no other; a conditional Allow grants nothing, a conditional Deny applies.
// The keys of a matched statement's condition that the context did not
// give are listed as missing context values, as IAM lists them.
//
// The reply has the shape IAM documents today: one EvaluationResult per
// action whatever the number of resources, its decision the most
// restrictive over them (explicitDeny, then implicitDeny, then allowed),
// and a ResourceSpecificResult per resource when ResourceArns is given.

// Decision words of the IAM API (PolicyEvaluationDecisionType).
const (
	decisionAllowed      = "allowed"
	decisionImplicitDeny = "implicitDeny"
	decisionExplicitDeny = "explicitDeny"
)

type xmlPosition struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type xmlStatement struct {
	SourcePolicyID   string      `xml:"SourcePolicyId"`
	SourcePolicyType string      `xml:"SourcePolicyType"`
	StartPosition    xmlPosition `xml:"StartPosition"`
	EndPosition      xmlPosition `xml:"EndPosition"`
}

type xmlResourceResult struct {
	EvalResourceName     string         `xml:"EvalResourceName"`
	EvalResourceDecision string         `xml:"EvalResourceDecision"`
	MatchedStatements    []xmlStatement `xml:"MatchedStatements>member"`
	MissingContextValues []string       `xml:"MissingContextValues>member"`
}

type xmlEvaluation struct {
	EvalActionName          string              `xml:"EvalActionName"`
	EvalResourceName        string              `xml:"EvalResourceName"`
	EvalDecision            string              `xml:"EvalDecision"`
	MatchedStatements       []xmlStatement      `xml:"MatchedStatements>member"`
	MissingContextValues    []string            `xml:"MissingContextValues>member"`
	ResourceSpecificResults []xmlResourceResult `xml:"ResourceSpecificResults>member"`
}

// simPolicy is one input policy: what the evaluator reads, and where each
// statement sits in the text, for MatchedStatements.
type simPolicy struct {
	id     string // PolicyInputList.N, as IAM names input policies
	parsed *policy
	spans  [][2]xmlPosition
	keys   [][]string // condition keys per statement
}

func errMalformed(msg string) *apiError {
	return &apiError{code: "MalformedPolicyDocument", message: msg, status: http.StatusBadRequest}
}

func errInvalidInput(msg string) *apiError {
	return &apiError{code: "InvalidInput", message: msg, status: http.StatusBadRequest}
}

func opSimulateCustomPolicy(s *Sim, c *call) (any, *apiError) {
	docs := listParam(c.params, "PolicyInputList.member")
	actions := listParam(c.params, "ActionNames.member")
	resources := listParam(c.params, "ResourceArns.member")
	if len(docs) == 0 {
		return nil, errInvalid("iam", "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	if len(actions) == 0 {
		return nil, errInvalid("iam", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	var policies []simPolicy
	for i, doc := range docs {
		p, err := parseSimPolicy(doc)
		if err != nil {
			return nil, errMalformed("PolicyInputList." + strconv.Itoa(i+1) + ": " + err.Error())
		}
		p.id = "PolicyInputList." + strconv.Itoa(i+1)
		policies = append(policies, p)
	}
	for _, a := range actions {
		if !strings.Contains(a, ":") || strings.HasPrefix(a, ":") || strings.HasSuffix(a, ":") {
			return nil, errInvalidInput("Invalid action name: " + a + " (expected service:Action)")
		}
	}
	rc, e := simContext(c)
	if e != nil {
		return nil, e
	}
	var results []xmlEvaluation
	for _, a := range actions {
		results = append(results, simulateAction(policies, a, resources, rc))
	}
	lo, hi, marker, e := paginate(c, len(results))
	if e != nil {
		return nil, e
	}
	return &struct {
		EvaluationResults []xmlEvaluation `xml:"EvaluationResults>member"`
		IsTruncated       bool            `xml:"IsTruncated"`
		Marker            string          `xml:"Marker,omitempty"`
	}{results[lo:hi], marker != "", marker}, nil
}

// simulateAction evaluates one action on each resource (on "*" when none
// is given) and folds the per-resource decisions into the action's.
func simulateAction(policies []simPolicy, action string, resources []string, rc requestContext) xmlEvaluation {
	given := len(resources) > 0
	if !given {
		resources = []string{"*"}
	}
	out := xmlEvaluation{EvalActionName: action, EvalResourceName: "*"}
	if len(resources) == 1 {
		out.EvalResourceName = resources[0]
	}
	rank := map[string]int{decisionAllowed: 0, decisionImplicitDeny: 1, decisionExplicitDeny: 2}
	out.EvalDecision = decisionAllowed
	var perResource []xmlResourceResult
	for _, r := range resources {
		rr := simulateOn(policies, action, r, rc)
		perResource = append(perResource, rr)
		if rank[rr.EvalResourceDecision] > rank[out.EvalDecision] {
			out.EvalDecision = rr.EvalResourceDecision
		}
	}
	for _, rr := range perResource {
		if rr.EvalResourceDecision == out.EvalDecision {
			out.MatchedStatements = appendStatements(out.MatchedStatements, rr.MatchedStatements)
		}
		out.MissingContextValues = appendStrings(out.MissingContextValues, rr.MissingContextValues)
	}
	if given {
		out.ResourceSpecificResults = perResource
	}
	return out
}

// simulateOn decides action on one resource with the evaluator behind
// AccessDenied, then names the statements behind the decision: the
// matching Deny statements of an explicit deny (IAM lists only those), the
// matching unconditional Allow statements of an allow, none otherwise.
func simulateOn(policies []simPolicy, action, resource string, rc requestContext) xmlResourceResult {
	parsed := make([]*policy, len(policies))
	for i, p := range policies {
		parsed[i] = p.parsed
	}
	rr := xmlResourceResult{EvalResourceName: resource}
	d := evaluateIn(parsed, action, resource, rc)
	lower := strings.ToLower(action)
	for _, p := range policies {
		for i, st := range p.parsed.statements {
			if !st.matches(lower, resource) {
				continue
			}
			if !st.issuedBefore.IsZero() && rc.tokenIssued.IsZero() {
				rr.MissingContextValues = appendStrings(rr.MissingContextValues, p.keys[i])
			}
			if !st.conditionHolds(rc) {
				continue
			}
			switch {
			case st.allow && st.conditional:
				rr.MissingContextValues = appendStrings(rr.MissingContextValues, p.keys[i])
			case d == explicitDeny && !st.allow, d == allowed && st.allow:
				rr.MatchedStatements = append(rr.MatchedStatements, xmlStatement{SourcePolicyID: p.id,
					SourcePolicyType: "none", StartPosition: p.spans[i][0], EndPosition: p.spans[i][1]})
			}
		}
	}
	switch d {
	case allowed:
		rr.EvalResourceDecision = decisionAllowed
	case explicitDeny:
		rr.EvalResourceDecision = decisionExplicitDeny
	default:
		rr.EvalResourceDecision = decisionImplicitDeny
	}
	return rr
}

// parseSimPolicy parses a policy as the evaluator does, and reads where
// each statement starts and ends and the condition keys it names.
func parseSimPolicy(doc string) (simPolicy, error) {
	parsed, err := parsePolicy([]byte(doc))
	if err != nil {
		return simPolicy{}, err
	}
	spans, keys := statementSpans([]byte(doc))
	if len(spans) != len(parsed.statements) {
		// A shape parsePolicy accepts but the scanner does not follow:
		// positions are then unknown, the decisions still exact.
		spans, keys = make([][2]xmlPosition, len(parsed.statements)), make([][]string, len(parsed.statements))
	}
	return simPolicy{parsed: parsed, spans: spans, keys: keys}, nil
}

// statementSpans finds the Statement element's statements in a policy's
// text: each one's first and last character as line and column (1-based),
// and the keys of its Condition block.
func statementSpans(doc []byte) ([][2]xmlPosition, [][]string) {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return nil, nil
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, nil
	}
	base := bytes.Index(doc, raw) // the value's text appears in the document as it is
	if base < 0 {
		return nil, nil
	}
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		elems = []json.RawMessage{raw}
	}
	var spans [][2]xmlPosition
	var keys [][]string
	from := base
	for _, el := range elems {
		at := bytes.Index(doc[from:], el)
		if at < 0 {
			return nil, nil
		}
		start := from + at
		end := start + len(el) - 1
		spans = append(spans, [2]xmlPosition{position(doc, start), position(doc, end)})
		keys = append(keys, conditionKeys(el))
		from = end + 1
	}
	return spans, keys
}

func position(doc []byte, offset int) xmlPosition {
	line := 1 + bytes.Count(doc[:offset], []byte("\n"))
	col := offset + 1
	if nl := bytes.LastIndexByte(doc[:offset], '\n'); nl >= 0 {
		col = offset - nl
	}
	return xmlPosition{Line: line, Column: col}
}

// conditionKeys lists the context keys a statement's Condition tests.
func conditionKeys(stmt json.RawMessage) []string {
	var st struct {
		Condition map[string]map[string]json.RawMessage `json:"Condition"`
	}
	if json.Unmarshal(stmt, &st) != nil {
		return nil
	}
	var out []string
	for _, op := range sortedKeys(st.Condition) {
		out = appendStrings(out, sortedKeys(st.Condition[op]))
	}
	return out
}

func appendStrings(list, more []string) []string {
	for _, s := range more {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

func appendStatements(list, more []xmlStatement) []xmlStatement {
	for _, st := range more {
		if !slices.Contains(list, st) {
			list = append(list, st)
		}
	}
	return list
}

// simContext reads the ContextEntries the evaluator knows: aws:TokenIssueTime,
// a date. Other keys are accepted and left out, as the evaluator ignores
// their conditions.
func simContext(c *call) (requestContext, *apiError) {
	var rc requestContext
	for i := 1; ; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i) + "."
		name := c.params.Get(prefix + "ContextKeyName")
		if name == "" {
			return rc, nil
		}
		if !strings.EqualFold(name, "aws:TokenIssueTime") {
			continue
		}
		values := listParam(c.params, prefix+"ContextKeyValues.member")
		if len(values) != 1 {
			return rc, errInvalidInput("aws:TokenIssueTime takes one date")
		}
		t, err := time.Parse(time.RFC3339, values[0])
		if err != nil {
			return rc, errInvalidInput("aws:TokenIssueTime is not a date: " + values[0])
		}
		rc.tokenIssued = t
	}
}
