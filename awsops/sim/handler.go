package sim

import (
	"io"
	"net"
	"net/http"
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

// errInternal answers a request whose operation panicked.
func errInternal() *apiError {
	return &apiError{code: "InternalFailure", message: "The simulated account failed to process the request.", status: http.StatusInternalServerError}
}

// ServeHTTP answers one AWS API request, every protocol by the same path:
// the request's wire protocol (wireOf) picks its codec; the signature is
// checked; the codec decodes which operation the request calls and its
// input (codec.decode); the caller is authenticated and the operation run
// (serve, or serveS3 for S3's data calls); the codec writes the reply or
// the error, and the request is logged (answer). It never panics: a
// failure inside an operation answers InternalFailure.
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
	cd := codecOf(wire)
	rec := RequestRecord{Service: service, Region: scope.region, AccessKeyID: scope.keyID}
	m := replyMeta{requestID: s.requestIDLocked()}
	defer func() {
		if p := recover(); p != nil {
			s.answer(w, cd, &rec, m, nil, errInternal())
		}
	}()
	out, e := s.handle(w, r, cd, wire, scope, signed, &rec, &m)
	s.answer(w, cd, &rec, m, out, e)
}

// handle reads, authenticates and runs one request, filling in what its
// log record and reply say of it as it learns them.
func (s *Sim) handle(w http.ResponseWriter, r *http.Request, cd codec, wire string, scope credentialScope, signed bool, rec *RequestRecord, m *replyMeta) (any, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		rec.Action = actionOf(r, body)
		return nil, errInvalid(rec.Service, "The request body is unreadable or larger than 1 MiB.")
	}
	if signed {
		if e := s.checkSignature(r, body, scope); e != nil {
			rec.Action = actionOf(r, body) // refused before any codec has read the request
			return nil, e
		}
	}
	req, e := cd.decode(r, body, s.services, rec.Service)
	rec.Service, rec.Action, rec.Mutating, m.status = req.service, req.action, req.mutating, req.status
	switch {
	case e != nil:
		return nil, e
	case !signed:
		return nil, cd.unsigned()
	case req.unknown != nil:
		return nil, req.unknown
	case s.services.regional(req.service) && !s.regionEnabled(scope.region):
		// Every regional service, whatever its protocol (service.global).
		return nil, errAuth(req.service)
	case req.service == "cloudtrail" && req.action == "LookupEvents" && !s.lookupAllowed(scope.region):
		return nil, &apiError{code: "ThrottlingException", message: "Rate exceeded", status: http.StatusBadRequest}
	}
	c := &call{service: req.service, action: req.action, region: scope.region, params: req.params, body: body,
		requestID: m.requestID, wire: wire}
	var out any
	if wire == wireS3 {
		out, e = s.serveS3(c, req.op, scope.keyID, clientIP(r), r.UserAgent()) // S3's data calls are in no event history (s3.go)
	} else {
		out, e = s.serve(c, req.op, scope.keyID, clientIP(r), r.UserAgent())
	}
	rec.At = c.at
	return out, e
}

// lookupAllowed takes a token from the region's LookupEvents quota.
func (s *Sim) lookupAllowed(region string) bool {
	l := s.limiter(region)
	return l == nil || l.Allow()
}

// serve authenticates and runs c under the lock.
func (s *Sim) serve(c *call, o op, keyID, ip, userAgent string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.at = s.now
	c.origin = s.originOf(ip, userAgent)
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

// originOf is the origin a request's events carry: a loopback client is
// the responder, at the scenario's responder address. Callers hold s.mu.
func (s *Sim) originOf(ip, userAgent string) uint32 {
	if ip == "127.0.0.1" || ip == "::1" || ip == "" {
		ip = s.responderIP
	}
	return s.trail.origin(origin{ip: ip, userAgent: userAgent})
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
