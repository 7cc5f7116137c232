package sim

import (
	"encoding/json"
	"encoding/xml"
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

// Namespaces of the XML replies.
var xmlNamespaces = map[string]string{
	"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
	"ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
}

const maxBody = 1 << 20

// ServeHTTP answers one AWS API request in the protocol of the service its
// signature names. It never panics: a failure inside an operation answers
// InternalFailure.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scope, signed := parseScope(r)
	if signed && scope.service == "s3" && s.serveTrailBucket(w, r, scope) {
		return // the trail's log files: ext_s3.go
	}
	service := scope.service
	if !signed {
		service = guessService(r)
	}
	// Smithy RPC v2 CBOR (CloudWatch) routes by path: ext_cloudwatch_rpc.go.
	if s.serveRPCv2(w, r, scope, signed) {
		return
	}
	// REST protocols (Lambda, GuardDuty, S3) route by method and path:
	// ext_rest.go's route table serves them.
	if s.serveREST(w, r, service, scope, signed) {
		return
	}
	proto := protocolOf(service)
	if _, served := ops[service]; !served {
		proto = protoQuery
	}
	reqID := s.requestIDLocked()
	rec := RequestRecord{Service: service, Region: scope.region, AccessKeyID: scope.keyID}
	defer func() {
		if p := recover(); p != nil {
			e := &apiError{code: "InternalFailure", message: "The simulated account failed to process the request.", status: http.StatusInternalServerError}
			writeError(w, proto, e, reqID)
			rec.ErrorCode, rec.Status = e.code, e.status
			s.logRequest(rec)
		}
	}()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.answer(w, proto, &rec, reqID, nil, errInvalid(service, "The request body is unreadable or larger than 1 MiB."))
		return
	}
	action, params, perr := requestAction(proto, r, body)
	rec.Action = action
	if perr != nil {
		s.answer(w, proto, &rec, reqID, nil, perr)
		return
	}
	if _, served := ops[service]; !served {
		e := &apiError{code: "InvalidAction", status: http.StatusBadRequest,
			message: fmt.Sprintf("The simulated account does not serve the %q service.", service)}
		s.answer(w, proto, &rec, reqID, nil, e)
		return
	}
	o, known := lookupOp(service, action)
	rec.Mutating = known && !o.readOnly || !known && !guessReadOnly(service, action, nil)
	switch {
	case !signed:
		s.answer(w, proto, &rec, reqID, nil, errMissingAuth(proto))
		return
	case !known:
		s.answer(w, proto, &rec, reqID, nil, errUnknownAction(proto, action))
		return
	}
	if (service == "ec2" || service == "cloudtrail") && !s.regionEnabled(scope.region) {
		s.answer(w, proto, &rec, reqID, nil, errAuth(service))
		return
	}
	if service == "cloudtrail" && action == "LookupEvents" {
		if l := s.limiter(scope.region); l != nil && !l.Allow() {
			s.answer(w, proto, &rec, reqID, nil, &apiError{code: "ThrottlingException", message: "Rate exceeded", status: http.StatusBadRequest})
			return
		}
	}
	c := &call{service: service, action: action, region: scope.region, params: params, body: body,
		requestID: reqID}
	out, e := s.serve(c, o, scope.keyID, clientIP(r), r.UserAgent())
	rec.At = c.at
	s.answer(w, proto, &rec, reqID, out, e)
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
	if rs := s.rootSessionOf(k); rs != nil {
		return s.serveRootSession(c, rs) // a member's root, through AssumeRoot (org_member.go)
	}
	if p.account != s.acct.id {
		// Another account's calls land in its own trail, not this one's.
		if e := s.authorize(c, o); e != nil {
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

// guessService names the service of an unsigned request from its shape, so
// the missing-signature error comes in the right protocol.
func guessService(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, "CloudTrail_") || strings.Contains(t, "cloudtrail") {
		return "cloudtrail"
	}
	return "iam"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestAction extracts the action and parameters of a request.
func requestAction(proto string, r *http.Request, body []byte) (string, url.Values, *apiError) {
	if proto == protoJSON {
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

func errMissingAuth(proto string) *apiError {
	if proto == protoJSON {
		return &apiError{code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: http.StatusBadRequest}
	}
	return &apiError{code: "MissingAuthenticationToken", message: "Request is missing Authentication Token", status: http.StatusForbidden}
}

func errUnknownAction(proto, action string) *apiError {
	if proto == protoJSON {
		return &apiError{code: "UnknownOperationException", message: "Unknown operation " + action, status: http.StatusBadRequest}
	}
	if action == "" {
		return &apiError{code: "MissingAction", message: "Missing Action", status: http.StatusBadRequest}
	}
	return &apiError{code: "InvalidAction", message: "The action " + action + " is not valid for this web service.", status: http.StatusBadRequest}
}

// answer writes the reply and logs the request.
func (s *Sim) answer(w http.ResponseWriter, proto string, rec *RequestRecord, reqID string, out any, e *apiError) {
	if e != nil {
		rec.ErrorCode, rec.Status = e.code, e.status
		writeError(w, proto, e, reqID)
	} else {
		rec.Status = http.StatusOK
		writeResult(w, proto, rec.Service, rec.Action, out, reqID)
	}
	s.logRequest(*rec)
}

func writeError(w http.ResponseWriter, proto string, e *apiError, reqID string) {
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	switch proto {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-ErrorType", e.code)
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
	case protoEC2:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(e.status)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"Response"`
			Code      string   `xml:"Errors>Error>Code"`
			Message   string   `xml:"Errors>Error>Message"`
			RequestID string   `xml:"RequestID"`
		}{Code: e.code, Message: e.message, RequestID: reqID})
	default:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(e.status)
		typ := "Sender"
		if e.status >= 500 {
			typ = "Receiver"
		}
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Xmlns     string   `xml:"xmlns,attr"`
			Type      string   `xml:"Error>Type"`
			Code      string   `xml:"Error>Code"`
			Message   string   `xml:"Error>Message"`
			RequestID string   `xml:"RequestId"`
		}{Xmlns: xmlNamespaces["iam"], Type: typ, Code: e.code, Message: e.message, RequestID: reqID})
	}
}

// ec2Result is embedded by EC2 replies, which carry requestId inline.
type ec2Result struct {
	RequestID string `xml:"requestId"`
}

func (r *ec2Result) setRequestID(id string) { r.RequestID = id }

func writeResult(w http.ResponseWriter, proto, service, action string, out any, reqID string) {
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	switch proto {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		if out == nil {
			out = struct{}{}
		}
		_ = json.NewEncoder(w).Encode(out)
	case protoEC2:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		if out == nil {
			out = &ec2Result{}
		}
		if r, ok := out.(interface{ setRequestID(string) }); ok {
			r.setRequestID(reqID)
		}
		start := xml.StartElement{Name: xml.Name{Local: action + "Response"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlNamespaces["ec2"]}}}
		enc := xml.NewEncoder(w)
		_ = enc.EncodeElement(out, start)
		_ = enc.Flush()
	default:
		h.Set("Content-Type", "text/xml")
		enc := xml.NewEncoder(w)
		start := xml.StartElement{Name: xml.Name{Local: action + "Response"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlNamespaces[service]}}}
		_ = enc.EncodeToken(start)
		if out != nil {
			_ = enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
		}
		_ = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
		_ = enc.EncodeToken(start.End())
		_ = enc.Flush()
	}
}
