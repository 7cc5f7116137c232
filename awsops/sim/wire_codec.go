package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// codec is one wire protocol, as its specification (smithy.io, "AWS
// protocols") lays out requests, replies and errors and the SDK's
// serializers and deserializers read them: awsQuery and ec2Query
// (wire_query.go), awsJson1_0 and awsJson1_1 (wire_json.go), restJson1
// and restXml (wire_rest.go), rpcv2Cbor (wire_cbor.go). ServeHTTP
// (handler.go) answers every request through the codec of its wire:
// decode, then the same authentication and dispatch for all, then result
// or fail.
//
// An operation served over several protocols (CloudWatch) builds its reply
// once, as a cbor.Value, and each codec renders it: CBOR as it is, JSON
// with timestamps as epoch seconds, query XML with lists as <member>
// elements and ISO 8601 times.
type codec interface {
	// decode reads which operation of which service a request calls
	// (service is the one its signature names) and its input, from the
	// catalog. Its error is answered before the signature's presence is
	// looked at; the request it returns says what the log records even
	// then.
	decode(r *http.Request, body []byte, cat catalog, service string) (request, *apiError)
	// unsigned is the protocol's error for a request without a signature.
	unsigned() *apiError
	// result writes out, the operation's result (nil for none).
	result(w http.ResponseWriter, m replyMeta, out any)
	// fail writes e.
	fail(w http.ResponseWriter, m replyMeta, e *apiError)
}

// request is an API request as its codec decoded it, in the same shape
// for every protocol.
type request struct {
	service, action string // as the request log and CloudTrail name them
	op              op
	// params are the query string's and a form body's parameters, and a
	// REST path's labels; the JSON and CBOR members stay in the body
	// (inputOf).
	params url.Values
	// status is the success status (a REST route's); zero is 200.
	status   int
	mutating bool // for the request log
	// unknown is the error for an operation the sim does not serve, when
	// the protocol looks the operation up only after the signature (query,
	// JSON); nil when op is the operation.
	unknown *apiError
}

// decodeRPC looks up the operation a query or JSON request names.
func (c catalog) decodeRPC(wire string, req request) (request, *apiError) {
	if !c.speaks(req.service, wire) {
		return req, errUnknownService(wire, req.service)
	}
	o, known := c.op(req.service, req.action)
	req.op = o
	req.mutating = known && !o.readOnly || !known && !c.readOnly(req.service, req.action, nil)
	if !known {
		req.unknown = errUnknownAction(wire, req.action)
	}
	return req, nil
}

// actionOf names a request's operation for the request log, before any
// codec has decoded it: its X-Amz-Target, Action parameter or path.
func actionOf(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	if _, op, ok := rpcPath(r.URL.Path); ok {
		return op
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		return form.Get("Action")
	}
	return r.Method + " " + r.URL.Path
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

// replyMeta is what a reply says beside its body.
type replyMeta struct {
	service, action, requestID string
	status                     int // the success status; zero is 200
	// From the service's declaration (catalog.replyMeta).
	xmlns           string
	queryCompatible bool
}

// codecOf is the codec of a wire protocol; the query protocol's for one
// the sim does not know.
func codecOf(wire string) codec {
	switch wire {
	case wireEC2:
		return ec2Codec{}
	case wireJSON10:
		return jsonCodec{wire: wireJSON10, contentType: "application/x-amz-json-1.0"}
	case wireJSON11:
		return jsonCodec{wire: wireJSON11, contentType: "application/x-amz-json-1.1"}
	case wireREST:
		return restJSONCodec{}
	case wireS3:
		return restXMLCodec{}
	case wireCBOR:
		return cborCodec{}
	}
	return queryCodec{}
}

// answer writes the reply through the request's codec and logs the
// request.
func (s *Sim) answer(w http.ResponseWriter, cd codec, rec *RequestRecord, m replyMeta, out any, e *apiError) {
	status := m.status
	m = s.services.replyMeta(rec.Service, rec.Action, m.requestID)
	m.status = status
	if e != nil {
		rec.ErrorCode, rec.Status = e.code, e.status
		cd.fail(w, m, e)
	} else {
		rec.Status = orStatus(m.status)
		cd.result(w, m, out)
	}
	s.logRequest(*rec)
}

func orStatus(status int) int {
	if status == 0 {
		return http.StatusOK
	}
	return status
}

// faultOf is the query protocols' word for whose fault an error is.
func faultOf(e *apiError) string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}
