package sim

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// jsonCodec is awsJson1_0 and awsJson1_1 (CloudTrail, Athena, ECS,
// Organizations, CloudWatch): the result as a JSON object, errors with
// __type. A query-compatible service adds its query code.
type jsonCodec struct{ wire, contentType string }

// decode reads the operation from X-Amz-Target ("Prefix.Operation"); the
// members stay in the body, which the operation decodes (inputOf).
func (c jsonCodec) decode(r *http.Request, _ []byte, cat catalog, service string) (request, *apiError) {
	target := r.Header.Get("X-Amz-Target")
	return cat.decodeRPC(c.wire, request{service: service, action: target[strings.LastIndexByte(target, '.')+1:]})
}

func (jsonCodec) unsigned() *apiError {
	return &apiError{code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: http.StatusBadRequest}
}

func (c jsonCodec) result(w http.ResponseWriter, m replyMeta, out any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Content-Type", c.contentType)
	switch v := out.(type) {
	case nil:
		out = struct{}{}
	case cbor.Value:
		out = cborJSON(v)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (c jsonCodec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	shape := e.code
	if m.queryCompatible {
		h.Set("X-Amzn-Query-Error", e.code+";"+faultOf(e))
		if s, ok := rpcErrorShapes[e.code]; ok {
			shape = s
		}
	}
	h.Set("Content-Type", c.contentType)
	h.Set("X-Amzn-ErrorType", shape)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": shape, "message": e.message})
}

// epochTag is CBOR's tag for a timestamp in epoch seconds (RFC 8949 §3.4.2).
const epochTag = 1

func tagOf(v cbor.Value) (*cbor.Tag, bool) {
	switch t := v.(type) {
	case cbor.Tag:
		return &t, true
	case *cbor.Tag:
		return t, t != nil
	}
	return nil, false
}

// cborJSON renders a reply for the AWS JSON protocols: timestamps as epoch
// seconds.
func cborJSON(v cbor.Value) any {
	if t, ok := tagOf(v); ok {
		return cborJSON(t.Value)
	}
	switch x := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cborJSON(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cborJSON(e)
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return uint64(x)
	case cbor.NegInt:
		return -int64(x) // NegInt(n) is -n (the codec applies CBOR's -1 bias)
	case cbor.Float64:
		return float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case cbor.Slice:
		return []byte(x) // encoding/json writes base64, as the protocols do for blobs
	}
	return nil
}

// jsonCBOR turns a JSON request body into the members an operation reads:
// numbers become integers where they are whole.
func jsonCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range x {
			m[k] = jsonCBOR(e)
		}
		return m
	case []any:
		l := cbor.List{}
		for _, e := range x {
			l = append(l, jsonCBOR(e))
		}
		return l
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case float64:
		if x == math.Trunc(x) && x >= 0 && x < 1<<53 {
			return cbor.Uint(uint64(x))
		}
		if x == math.Trunc(x) && x < 0 && x > -(1<<53) {
			return cbor.NegInt(uint64(-x))
		}
		return cbor.Float64(x)
	}
	return &cbor.Nil{}
}
