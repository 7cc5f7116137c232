package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// What a minted key may do, checked before the identity policies: expiry,
// the APIs a session of each kind cannot call, its session policies, and
// the one condition the evaluator models, aws:TokenIssueTime.

// errExpired is each protocol's answer to an expired session token.
func errExpired(service string) *apiError {
	switch protocolOf(service) {
	case protoEC2:
		return &apiError{code: "RequestExpired", message: "Request has expired.", status: http.StatusBadRequest, trailCode: "Client.RequestExpired"}
	case protoS3:
		return &apiError{code: "ExpiredToken", message: "The provided token has expired.", status: http.StatusBadRequest}
	case protoJSON, protoREST:
		return &apiError{code: "ExpiredTokenException", message: "The security token included in the request is expired", status: http.StatusForbidden}
	}
	return &apiError{code: "ExpiredToken", message: "The security token included in the request is expired", status: http.StatusForbidden}
}

// sessionLimits checks what a minted key may call, before its identity
// policies are read (STS API reference, GetSessionToken and
// GetFederationToken "Permissions"):
//   - an expired key fails, whatever the call;
//   - a GetSessionToken session calls no IAM API unless it was
//     MFA-authenticated, and no STS API but AssumeRole and
//     GetCallerIdentity;
//   - a GetFederationToken session calls no IAM API and no STS API but
//     GetCallerIdentity;
//   - a session with session policies is allowed only what they allow too,
//     and a federated session without one nothing.
func (s *Sim) sessionLimits(c *call, o op) *apiError {
	if c.key == nil || c.key.mint == nil {
		return nil
	}
	m := c.key.mint
	at := c.at
	if at.IsZero() {
		at = s.now // a periodic call checks at its segment's time
	}
	if !at.Before(m.expires) {
		return errExpired(c.service)
	}
	if o.noAuth || c.action == "PassRole" {
		return nil // PassRole is a permission checked inside a call, not a call
	}
	switch {
	case m.via == viaSessionToken && c.service == "iam" && !m.mfa,
		m.via == viaFederation && c.service == "iam":
		// IAM answers as for a token it does not accept.
		return errAuth("iam")
	case m.via == viaSessionToken && c.service == "sts" && c.action != viaAssumeRole,
		m.via == viaFederation && c.service == "sts":
		return &apiError{code: "AccessDenied", message: "Cannot call " + c.action + " with session credentials", status: http.StatusForbidden}
	}
	if len(m.sessionPolicies) == 0 && !m.federated {
		return nil
	}
	action := iamAction(c.service, c.action)
	resource := "*"
	if o.resource != nil {
		resource = o.resource(s, c)
	}
	if evaluateIn(m.sessionPolicies, action, resource, s.requestContext(c)) == allowed {
		return nil
	}
	e := errDenied(c.service, c.who, action, resource, false)
	e.message = strings.Replace(e.message, "no identity-based policy", "no session policy", 1)
	return e
}

// requestContext is what the evaluator knows of a request beyond its
// action and resource.
type requestContext struct {
	// tokenIssued is aws:TokenIssueTime: when the temporary credential
	// signing the request was issued. Long-term keys have none.
	tokenIssued time.Time
}

// requestContext reads the request's condition keys.
func (s *Sim) requestContext(c *call) requestContext {
	if c.key == nil || c.key.session == nil || !strings.HasPrefix(c.key.id, "ASIA") {
		return requestContext{}
	}
	return requestContext{tokenIssued: c.key.session.since}
}

// tokenIssueCondition reads the one condition the evaluator models:
// {"DateLessThan": {"aws:TokenIssueTime": "<time>"}}, the condition of the
// session-revocation deny (IAM user guide, "Revoking IAM role temporary
// security credentials"). Any other condition is not understood.
func tokenIssueCondition(raw json.RawMessage) (time.Time, bool) {
	var cond map[string]map[string]stringOrList
	if len(raw) == 0 || json.Unmarshal(raw, &cond) != nil || len(cond) != 1 {
		return time.Time{}, false
	}
	keys, ok := cond["DateLessThan"]
	if !ok || len(keys) != 1 {
		return time.Time{}, false
	}
	for k, v := range keys {
		if !strings.EqualFold(k, "aws:TokenIssueTime") || len(v) != 1 {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339, v[0])
		if err != nil {
			return time.Time{}, false
		}
		return t, true
	}
	return time.Time{}, false
}

// conditionHolds evaluates a statement's modelled condition: DateLessThan
// aws:TokenIssueTime holds for a credential issued before the time, and
// not for a long-term key, which has no issue time (a condition on a key
// absent from the request does not match).
func (st statement) conditionHolds(rc requestContext) bool {
	if st.issuedBefore.IsZero() {
		return true
	}
	return !rc.tokenIssued.IsZero() && rc.tokenIssued.Before(st.issuedBefore)
}

// sessionIdentity completes the CloudTrail identity of a minted key's
// calls: a GetSessionToken session has a sessionContext with no issuer, a
// federated user's names the IAM user that called GetFederationToken.
func (s *Sim) sessionIdentity(a *actor, keyID string) {
	k := s.acct.keys[keyID]
	if k == nil || k.mint == nil || a.issuer != nil {
		return
	}
	switch k.mint.via {
	case viaSessionToken:
		a.issuer = &sessionIssuer{}
	case viaFederation:
		a.issuer = &sessionIssuer{kind: "Root", principalID: s.acct.id, arn: "arn:aws:iam::" + s.acct.id + ":root"}
		if u := s.acct.users[k.session.name]; u != nil {
			a.issuer = &sessionIssuer{kind: "IAMUser", principalID: u.id, arn: s.acct.userARN(u), userName: u.name}
		}
	}
}
