package sim

import (
	"encoding/json"
	"encoding/xml"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// codec writes one wire protocol's replies and errors, as the protocol's
// specification (smithy.io, "AWS protocols") lays them out and the SDK's
// deserializers read them. Every path that answers a request (serveRPC,
// serveREST, serveRPCv2, serveS3, refuse) writes through codecOf(wire).
//
// An operation served over several protocols (CloudWatch) builds its reply
// once, as a cbor.Value, and each codec renders it: CBOR as it is, JSON
// with timestamps as epoch seconds, query XML with lists as <member>
// elements and ISO 8601 times.
type codec interface {
	// result writes out, the operation's result (nil for none).
	result(w http.ResponseWriter, m replyMeta, out any)
	// fail writes e.
	fail(w http.ResponseWriter, m replyMeta, e *apiError)
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
		return jsonCodec{contentType: "application/x-amz-json-1.0"}
	case wireJSON11:
		return jsonCodec{contentType: "application/x-amz-json-1.1"}
	case wireREST:
		return restJSONCodec{}
	case wireS3:
		return restXMLCodec{}
	case wireCBOR:
		return cborCodec{}
	}
	return queryCodec{}
}

// answer writes the reply in the request's protocol and logs the request.
func (s *Sim) answer(w http.ResponseWriter, wire string, rec *RequestRecord, m replyMeta, out any, e *apiError) {
	status := m.status
	m = s.services.replyMeta(rec.Service, rec.Action, m.requestID)
	m.status = status
	if e != nil {
		rec.ErrorCode, rec.Status = e.code, e.status
		codecOf(wire).fail(w, m, e)
	} else {
		rec.Status = orStatus(m.status)
		codecOf(wire).result(w, m, out)
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

// queryCodec is awsQuery (IAM, STS, CloudWatch): XML in <ActionResponse>,
// the result in <ActionResult>, errors in <ErrorResponse>.
type queryCodec struct{}

func (queryCodec) result(w http.ResponseWriter, m replyMeta, out any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Content-Type", "text/xml")
	if v, ok := out.(cbor.Value); ok {
		out = cborXML{v}
	}
	enc := xml.NewEncoder(w)
	start := xml.StartElement{Name: xml.Name{Local: m.action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: m.xmlns}}}
	_ = enc.EncodeToken(start)
	if out != nil {
		_ = enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: m.action + "Result"}})
	}
	_ = enc.EncodeElement(struct {
		RequestID string `xml:"RequestId"`
	}{m.requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	_ = enc.EncodeToken(start.End())
	_ = enc.Flush()
}

func (queryCodec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr,omitempty"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}{Xmlns: m.xmlns, Type: faultOf(e), Code: e.code, Message: e.message, RequestID: m.requestID})
}

// ec2Codec is ec2Query: XML in <ActionResponse> with requestId inline,
// errors in <Response><Errors>.
type ec2Codec struct{}

// ec2Result is embedded by EC2 replies, which carry requestId inline.
type ec2Result struct {
	RequestID string `xml:"requestId"`
}

func (r *ec2Result) setRequestID(id string) { r.RequestID = id }

func (ec2Codec) result(w http.ResponseWriter, m replyMeta, out any) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	if out == nil {
		out = &ec2Result{}
	}
	if r, ok := out.(interface{ setRequestID(string) }); ok {
		r.setRequestID(m.requestID)
	}
	start := xml.StartElement{Name: xml.Name{Local: m.action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	enc := xml.NewEncoder(w)
	_ = enc.EncodeElement(out, start)
	_ = enc.Flush()
}

func (ec2Codec) fail(w http.ResponseWriter, m replyMeta, e *apiError) {
	h := w.Header()
	h.Set("x-amzn-RequestId", m.requestID)
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Response"`
		Code      string   `xml:"Errors>Error>Code"`
		Message   string   `xml:"Errors>Error>Message"`
		RequestID string   `xml:"RequestID"`
	}{Code: e.code, Message: e.message, RequestID: m.requestID})
}

// jsonCodec is awsJson1_0 and awsJson1_1 (CloudTrail, Athena, ECS,
// Organizations, CloudWatch): the result as a JSON object, errors with
// __type. A query-compatible service adds its query code.
type jsonCodec struct{ contentType string }

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

// cborXML renders a reply for the query protocol: a structure's members as
// elements, a list's items as <member>, timestamps in ISO 8601.
type cborXML struct{ v cbor.Value }

// MarshalXML implements xml.Marshaler.
func (c cborXML) MarshalXML(enc *xml.Encoder, start xml.StartElement) error {
	if t, ok := tagOf(c.v); ok && t.ID == epochTag {
		secs, _ := cbor.AsFloat64(t.Value)
		at := time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
		return enc.EncodeElement(at.Format("2006-01-02T15:04:05.000Z"), start)
	}
	switch x := c.v.(type) {
	case cbor.Map:
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := enc.EncodeElement(cborXML{x[k]}, xml.StartElement{Name: xml.Name{Local: k}}); err != nil {
				return err
			}
		}
		return enc.EncodeToken(start.End())
	case cbor.List:
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		for _, e := range x {
			if err := enc.EncodeElement(cborXML{e}, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
				return err
			}
		}
		return enc.EncodeToken(start.End())
	case cbor.String:
		return enc.EncodeElement(string(x), start)
	case cbor.Uint:
		return enc.EncodeElement(strconv.FormatUint(uint64(x), 10), start)
	case cbor.Float64:
		return enc.EncodeElement(strconv.FormatFloat(float64(x), 'f', -1, 64), start)
	case cbor.Bool:
		return enc.EncodeElement(strconv.FormatBool(bool(x)), start)
	}
	return nil // an absent member
}
