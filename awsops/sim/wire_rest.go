package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// REST protocols (restJson1: Lambda, GuardDuty; restXml: S3) choose the
// operation by HTTP method and path, not by an Action parameter or an
// X-Amz-Target header: "GET /2015-03-31/functions/{FunctionName}" is
// GetFunction. A service declares its routes in its table (restTable) and
// restJSONCodec.decode finds the route of a request. Operations run as
// every other does (s.serve: authentication, the policy check, CloudTrail),
// so only the request's shape and the reply's encoding differ.

// restRoute is one operation of a REST service, as its Smithy model's
// @http trait declares it.
type restRoute struct {
	method string
	// pattern is the path with {Label} segments; a last {Label+} takes the
	// rest of the path, slashes included (an S3 object key).
	pattern string
	// query, when set, is a query key the request must carry: S3 tells
	// GetBucketPolicy (GET /{Bucket}?policy) from ListObjects by it.
	query string
	// action is the operation's CloudTrail event name, versioned where the
	// service versions it ("GetFunction20150331v2").
	action string
	op     op
	// status is the success status; zero means 200.
	status int
}

// restTable orders a service's routes most specific first within a
// method: a route with a query key before the same path without one.
func restTable(routes ...restRoute) []restRoute {
	var out []restRoute
	for _, rt := range routes {
		if rt.query != "" {
			out = append([]restRoute{rt}, out...)
			continue
		}
		out = append(out, rt)
	}
	return out
}

// matchREST finds the route of a request and the values of its labels. A
// path with a trailing slash matches as the path without it, as AWS's REST
// services route it: older clients list Lambda's functions at
// "/2015-03-31/functions/".
func matchREST(routes []restRoute, method string, u *url.URL) (*restRoute, map[string]string, bool) {
	path := u.EscapedPath()
	if rt, labels, ok := matchRESTPath(routes, method, path, u.Query()); ok {
		return rt, labels, ok
	}
	if trimmed := strings.TrimSuffix(path, "/"); trimmed != path && trimmed != "" {
		return matchRESTPath(routes, method, trimmed, u.Query())
	}
	return nil, nil, false
}

func matchRESTPath(routes []restRoute, method, path string, q url.Values) (*restRoute, map[string]string, bool) {
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || (rt.query != "" && !q.Has(rt.query)) {
			continue
		}
		if labels, ok := matchPath(rt.pattern, path); ok {
			return rt, labels, true
		}
	}
	return nil, nil, false
}

// matchPath matches an escaped request path against a pattern, returning
// the unescaped label values.
func matchPath(pattern, path string) (map[string]string, bool) {
	pp := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	rp := strings.Split(strings.TrimPrefix(path, "/"), "/")
	labels := map[string]string{}
	for i, seg := range pp {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}") {
			if i >= len(rp) {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(rp[i:], "/"))
			if err != nil || v == "" {
				return nil, false
			}
			labels[seg[1:len(seg)-2]] = v
			return labels, true
		}
		if i >= len(rp) {
			return nil, false
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			v, err := url.PathUnescape(rp[i])
			if err != nil || v == "" {
				return nil, false
			}
			labels[seg[1:len(seg)-1]] = v
			continue
		}
		if seg != rp[i] {
			return nil, false
		}
	}
	return labels, len(rp) == len(pp)
}

// decode finds the route of a request of a REST-routed service; its
// parameters are the query string's and the path's labels, its members
// in the body (restJSONInput).
func (restJSONCodec) decode(r *http.Request, body []byte, cat catalog, service string) (request, *apiError) {
	routes := cat.routes(service)
	if len(routes) == 0 {
		return request{service: service, action: actionOf(r, body)}, errUnknownService(wireREST, service)
	}
	rt, labels, found := matchREST(routes, r.Method, r.URL)
	if !found {
		return request{service: service, mutating: r.Method != http.MethodGet && r.Method != http.MethodHead},
			errUnknownRoute(protocolOf(service), r.Method, r.URL.Path)
	}
	params := r.URL.Query()
	params.Del("X-Amz-Credential")
	for k, v := range labels {
		params.Set(k, v)
	}
	return request{service: service, action: rt.action, op: rt.op, params: params, status: rt.status,
		mutating: !rt.op.readOnly}, nil
}

func (restJSONCodec) unsigned() *apiError { return errMissingRESTAuth(protoREST) }

func errUnknownRoute(proto, method, path string) *apiError {
	if proto == protoS3 {
		return &apiError{code: "NotImplemented", message: "A header or query you provided implies functionality that is not implemented: " + method + " " + path, status: http.StatusNotImplemented}
	}
	return &apiError{code: "UnknownOperationException", message: "Unknown operation " + method + " " + path, status: http.StatusNotFound}
}

func errMissingRESTAuth(proto string) *apiError {
	if proto == protoS3 {
		return &apiError{code: "AccessDenied", message: "Anonymous access is not allowed by the simulated account.", status: http.StatusForbidden}
	}
	return &apiError{code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: http.StatusForbidden}
}

// restJSONCodec is restJson1 (Lambda, GuardDuty, Security Hub): the
// result as a JSON body, errors with the code in X-Amzn-ErrorType and
// "Type" User or Service in the body.
type restJSONCodec struct{}

func (restJSONCodec) result(w http.ResponseWriter, m replyMeta, out any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	status := orStatus(m.status)
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (restJSONCodec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	typ := "User"
	if e.status >= 500 {
		typ = "Service"
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": typ, "Message": e.message})
}

// restXMLCodec is restXml (S3): an object's bytes as they are, other
// results as XML documents whose structs name their root element, errors
// as an <Error> document. S3 names its request ID x-amz-request-id.
type restXMLCodec struct{}

// decode names the operation of a path-style S3 request (s3Action) and
// binds its bucket, key and query to it (s3Op); the caller's key is
// checked before an operation the sim does not serve is refused.
func (restXMLCodec) decode(r *http.Request, _ []byte, _ catalog, service string) (request, *apiError) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	action := s3Action(r.Method, bucket, key, q)
	req := request{service: service, action: action, op: s3Op(action, bucket, key, q)}
	if action == "" {
		req.action, req.mutating = r.Method+" "+r.URL.Path, r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	return req, nil
}

func (restXMLCodec) unsigned() *apiError { return errMissingRESTAuth(protoS3) }

func (restXMLCodec) result(w http.ResponseWriter, m replyMeta, out any) {
	h := w.Header()
	h.Set("x-amz-request-id", m.requestID)
	status := orStatus(m.status)
	switch b := out.(type) {
	case nil:
		w.WriteHeader(status)
	case []byte: // an object: the trail's gzipped log files
		sum := sha256.Sum256(b)
		h.Set("Content-Type", "application/x-gzip")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		w.WriteHeader(status)
		_, _ = w.Write(b)
	default:
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(out)
	}
}

func (restXMLCodec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	h := w.Header()
	h.Set("x-amz-request-id", m.requestID)
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName    xml.Name `xml:"Error"`
		Code       string   `xml:"Code"`
		Message    string   `xml:"Message"`
		Resource   string   `xml:"Resource,omitempty"`
		BucketName string   `xml:"BucketName,omitempty"`
		RequestID  string   `xml:"RequestId"`
	}{Code: e.code, Message: e.message, Resource: e.resource, BucketName: e.bucket, RequestID: m.requestID})
}

// restJSONInput decodes a restJson1 request body into v; an empty body is
// an empty input.
func restJSONInput(c *call, v any) *apiError {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errInvalid(c.service, fmt.Sprintf("The request body is not a valid %s request: %v", c.action, err))
	}
	return nil
}
