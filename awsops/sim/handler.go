package sim

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// credentialScope is what the SigV4 Authorization header (or presigned
// query) says about a request: the key, and the region and service it was
// signed for. The signature itself is not verified; the key must be known.
type credentialScope struct {
	keyID, region, service string
}

// parseScope reads "Credential=AKID/DATE/REGION/SERVICE/aws4_request".
func parseScope(r *http.Request) (credentialScope, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		_, rest, ok := strings.Cut(h, "Credential=")
		if !ok {
			return credentialScope{}, false
		}
		cred, _, _ = strings.Cut(rest, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return credentialScope{}, false
	}
	return credentialScope{keyID: parts[0], region: parts[2], service: parts[3]}, true
}

const maxBody = 1 << 20

// ServeHTTP answers one AWS API request in the protocol it speaks (wireOf)
// for the service its signature names, after checking the signature. It
// never panics: a failure inside an operation answers InternalFailure.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scope, signed := parseScope(r)
	if fm := s.memberSim(scope.keyID); signed && fm != nil {
		fm.ServeHTTP(w, r) // a member simulated whole answers its own keys (org_full.go)
		return
	}
	service := s.services.serviceOf(scope.service)
	if !signed {
		service = s.services.guessService(r)
	}
	wire := wireOf(r, service, s.services.wires(service))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body)) // for the REST, CBOR and S3 routes
	if err != nil {
		s.refuse(w, r, body, wire, service, scope, errInvalid(service, "The request body is unreadable or larger than 1 MiB."))
		return
	}
	if signed {
		if e := s.checkSignature(r, body, scope); e != nil {
			s.refuse(w, r, body, wire, service, scope, e)
			return
		}
	}
	switch {
	case wire == wireS3 && signed:
		s.serveS3(w, r, scope) // s3.go
		return
	case wire == wireCBOR:
		// Smithy RPC v2 CBOR routes by path: wire_cbor.go.
		if !s.serveRPCv2(w, r, scope, signed) {
			s.refuse(w, r, body, wire, service, scope, errUnknownAction(wire, actionOf(r, body)))
		}
		return
	case wire == wireREST:
		// REST protocols route by method and path: wire_rest.go's route table.
		if !s.serveREST(w, r, service, scope, signed) {
			s.refuse(w, r, body, wire, service, scope, errUnknownService(wire, service))
		}
		return
	}
	s.serveRPC(w, r, body, wire, service, scope, signed)
}

// serveRPC answers the protocols that name their operation in the request
// (query's Action, JSON's X-Amz-Target) from the operations table.
func (s *Sim) serveRPC(w http.ResponseWriter, r *http.Request, body []byte, wire, service string, scope credentialScope, signed bool) {
	reqID := s.requestIDLocked()
	rec := RequestRecord{Service: service, Region: scope.region, AccessKeyID: scope.keyID}
	defer func() {
		if p := recover(); p != nil {
			s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, &apiError{code: "InternalFailure",
				message: "The simulated account failed to process the request.", status: http.StatusInternalServerError})
		}
	}()
	action, params, perr := requestAction(wire, r, body)
	rec.Action = action
	if perr != nil {
		s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, perr)
		return
	}
	if !s.services.speaks(service, wire) {
		s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, errUnknownService(wire, service))
		return
	}
	o, known := s.services.op(service, action)
	rec.Mutating = known && !o.readOnly || !known && !s.services.readOnly(service, action, nil)
	switch {
	case !signed:
		s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, errMissingAuth(wire))
		return
	case !known:
		s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, errUnknownAction(wire, action))
		return
	}
	if (service == "ec2" || service == "cloudtrail") && !s.regionEnabled(scope.region) {
		s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, errAuth(service))
		return
	}
	if service == "cloudtrail" && action == "LookupEvents" {
		if l := s.limiter(scope.region); l != nil && !l.Allow() {
			s.answer(w, wire, &rec, replyMeta{requestID: reqID}, nil, &apiError{code: "ThrottlingException", message: "Rate exceeded", status: http.StatusBadRequest})
			return
		}
	}
	c := &call{service: service, action: action, region: scope.region, params: params, body: body,
		requestID: reqID, wire: wire}
	out, e := s.serve(c, o, scope.keyID, clientIP(r), r.UserAgent())
	rec.At = c.at
	s.answer(w, wire, &rec, replyMeta{requestID: reqID}, out, e)
}

// serve authenticates and runs c under the lock.
func (s *Sim) serve(c *call, o op, keyID, ip, userAgent string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.at = s.now
	if ip == "127.0.0.1" || ip == "::1" || ip == "" {
		ip = s.responderIP
	}
	c.origin = s.trail.origin(origin{ip: ip, userAgent: userAgent})
	k, p, e, known := s.callerOf(keyID, c.service)
	if !known {
		return nil, e
	}
	c.key, c.who = k, p
	if e != nil {
		s.record(c, o.readOnly, e)
		return nil, e
	}
	if e := taskDenies(c); e != nil {
		s.record(c, o.readOnly, e) // a root task session's limits (org_full.go)
		return nil, e
	}
	if rs := s.rootSessionOf(k); rs != nil {
		return s.serveRootSession(c, rs) // a member's root, through AssumeRoot (org_member.go)
	}
	if p.account != s.acct.id {
		// Another account's calls land in its own trail, not this one's.
		if e := s.precheck(c, o); e != nil {
			return nil, e
		}
		return o.fn(s, c)
	}
	return s.invoke(c, o)
}

func (s *Sim) regionEnabled(region string) bool {
	for _, r := range s.acct.regions {
		if r == region {
			return true
		}
	}
	return false
}

func (s *Sim) requestIDLocked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRequestID()
}

func (s *Sim) logRequest(rec RequestRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.At.IsZero() {
		rec.At = s.now
	}
	s.requests = append(s.requests, rec)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestAction extracts the action and parameters of a request.
func requestAction(wire string, r *http.Request, body []byte) (string, url.Values, *apiError) {
	if isJSONWire(wire) {
		target := r.Header.Get("X-Amz-Target")
		return target[strings.LastIndexByte(target, '.')+1:], nil, nil
	}
	params := r.URL.Query()
	params.Del("X-Amz-Credential")
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", nil, &apiError{code: "MalformedQueryString", message: "The request body is not a valid form-encoded query.", status: http.StatusBadRequest}
		}
		for k, v := range form {
			params[k] = v
		}
	}
	return params.Get("Action"), params, nil
}

func errMissingAuth(wire string) *apiError {
	if wire != wireQuery && wire != wireEC2 {
		return &apiError{code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: http.StatusBadRequest}
	}
	return &apiError{code: "MissingAuthenticationToken", message: "Request is missing Authentication Token", status: http.StatusForbidden}
}

func errUnknownAction(wire, action string) *apiError {
	if wire != wireQuery && wire != wireEC2 {
		return &apiError{code: "UnknownOperationException", message: "Unknown operation " + action, status: http.StatusBadRequest}
	}
	if action == "" {
		return &apiError{code: "MissingAction", message: "Missing Action", status: http.StatusBadRequest}
	}
	return &apiError{code: "InvalidAction", message: "The action " + action + " is not valid for this web service.", status: http.StatusBadRequest}
}

// errUnknownService answers a service the sim does not serve, or does not
// serve over the request's protocol.
func errUnknownService(wire, service string) *apiError {
	msg := fmt.Sprintf("The simulated account does not serve the %q service over %s.", service, wire)
	if wire == wireQuery || wire == wireEC2 {
		return &apiError{code: "InvalidAction", status: http.StatusBadRequest, message: msg}
	}
	return &apiError{code: "UnknownOperationException", status: http.StatusNotFound, message: msg}
}
