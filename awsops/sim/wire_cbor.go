package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Smithy RPC v2 CBOR (smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2):
// every operation is "POST /service/{ServiceShape}/operation/{Operation}"
// with the header Smithy-Protocol: rpc-v2-cbor and a CBOR map for body, the
// reply a CBOR map too; an error is a CBOR map with "__type" and "message".
// CloudWatch moved to it from the query protocol with the awsQueryCompatible
// trait, so an error also carries its query code in X-Amzn-Query-Error,
// which the SDK reports as ErrorCode(): the sim's codes stay the query ones
// ("AccessDenied", "InvalidClientTokenId").

// rpcErrorShapes are the modeled error shapes whose name differs from
// their query code, so that the SDK decodes them into their types.
var rpcErrorShapes = map[string]string{
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"InvalidParameterValue":       "InvalidParameterValueException",
}

// rpcPath splits "/service/{svc}/operation/{op}".
func rpcPath(p string) (service, operation string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) != 4 || parts[0] != "service" || parts[2] != "operation" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

// cborCodec is Smithy RPC v2 CBOR (CloudWatch): the result as a CBOR
// map, errors with __type, and the query code in X-Amzn-Query-Error, as
// CloudWatch is awsQueryCompatible.
type cborCodec struct{}

// decode reads the service and operation from the path; the service shape
// names the service, whatever the signature says. The members stay in the
// body, which the operation decodes (inputOf); a body that is not a CBOR
// map is refused here, before the operation is looked up.
func (cborCodec) decode(r *http.Request, body []byte, cat catalog, signedFor string) (request, *apiError) {
	shape, action, isRPC := rpcPath(r.URL.Path)
	if !isRPC {
		action := actionOf(r, body)
		return request{service: signedFor, action: action}, errUnknownAction(wireCBOR, action)
	}
	service, known := cat.byRPCShape(shape)
	if !known {
		service = shape
	}
	o, implemented := cat.op(service, action)
	req := request{service: service, action: action, op: o, params: url.Values{},
		mutating: implemented && !o.readOnly || !implemented && !cat.readOnly(service, action, nil)}
	if _, e := decodeRPCInput(body); e != nil {
		return req, e
	}
	if !known || !implemented || r.Method != http.MethodPost {
		return req, &apiError{code: "UnknownOperationException", status: http.StatusNotFound,
			message: fmt.Sprintf("The simulated account does not serve %s %s.", shape, action)}
	}
	return req, nil
}

func (cborCodec) unsigned() *apiError {
	return &apiError{code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: http.StatusBadRequest}
}

func (cborCodec) result(w http.ResponseWriter, m replyMeta, out any) {
	v, ok := out.(cbor.Value)
	if !ok || v == nil {
		v = cbor.Map{}
	}
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(v))
}

func (cborCodec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	shape := e.code
	if s, ok := rpcErrorShapes[e.code]; ok {
		shape = s
	}
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	h.Set("X-Amzn-Query-Error", e.code+";"+faultOf(e))
	w.WriteHeader(e.status)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(shape), "message": cbor.String(e.message)}))
}

// rpcInput is a request's top-level members, from a CBOR map or query
// params, read by name.
type rpcInput map[string]cbor.Value

// decodeRPCInput decodes a request body: empty, or a CBOR map.
func decodeRPCInput(body []byte) (rpcInput, *apiError) {
	if len(body) == 0 {
		return rpcInput{}, nil
	}
	v, err := cbor.Decode(body)
	m, isMap := v.(cbor.Map)
	if err != nil || !isMap {
		why := "not a CBOR map"
		if err != nil {
			why = err.Error()
		}
		return nil, &apiError{code: "SerializationException", status: http.StatusBadRequest,
			message: "The request body could not be decoded: " + why}
	}
	return rpcInput(m), nil
}

// inputOf reads a request's members in the protocol it came in.
func inputOf(c *call) (rpcInput, *apiError) {
	switch {
	case isJSONWire(c.wire):
		var v any
		if len(c.body) == 0 {
			return rpcInput{}, nil
		}
		if err := json.Unmarshal(c.body, &v); err != nil {
			return nil, &apiError{code: "SerializationException", status: http.StatusBadRequest, message: "The request body is not valid JSON: " + err.Error()}
		}
		m, _ := jsonCBOR(v).(cbor.Map)
		return rpcInput(m), nil
	case c.wire == wireCBOR:
		return decodeRPCInput(c.body)
	}
	return queryInput(c.params), nil
}

// queryInput turns query-style params into members: "Name" to a string,
// "Name.member.N" to a list.
func queryInput(params url.Values) rpcInput {
	in := rpcInput{}
	lists := map[string]map[int]string{}
	for k, vals := range params {
		if len(vals) == 0 {
			continue
		}
		name, idx, isList := strings.Cut(k, ".member.")
		if !isList {
			in[k] = cbor.String(vals[0])
			continue
		}
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 {
			continue
		}
		if lists[name] == nil {
			lists[name] = map[int]string{}
		}
		lists[name][n] = vals[0]
	}
	for name, items := range lists {
		l := cbor.List{}
		for i := 1; i <= len(items); i++ {
			if v, ok := items[i]; ok {
				l = append(l, cbor.String(v))
			}
		}
		in[name] = l
	}
	return in
}

// str is a string member, "" when absent or of another type.
func (in rpcInput) str(name string) string {
	s, _ := in[name].(cbor.String)
	return string(s)
}

// strs is a list-of-strings member.
func (in rpcInput) strs(name string) []string {
	l, _ := in[name].(cbor.List)
	var out []string
	for _, v := range l {
		if s, ok := v.(cbor.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

// int is an integer member: a CBOR integer, or a query param's digits.
func (in rpcInput) int(name string) (int64, bool, *apiError) {
	v, ok := in[name]
	if !ok {
		return 0, false, nil
	}
	if s, isStr := v.(cbor.String); isStr {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, false, &apiError{code: "ValidationError", status: http.StatusBadRequest, message: name + " is not an integer."}
		}
		return n, true, nil
	}
	n, err := cbor.AsInt64(v)
	if err != nil {
		return 0, false, &apiError{code: "SerializationException", status: http.StatusBadRequest, message: name + " is not an integer: " + err.Error()}
	}
	return n, true, nil
}
