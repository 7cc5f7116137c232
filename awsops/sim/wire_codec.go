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

// The encoders of the RPC protocols' replies. An operation served over
// several protocols (CloudWatch) builds its reply once, as a cbor.Value,
// and each wire renders it: CBOR as it is, JSON with timestamps as epoch
// seconds, query XML with lists as <member> elements and ISO 8601 times,
// as the protocols' specifications (smithy.io, "AWS protocols") lay out.

// answer writes the reply and logs the request.
func (s *Sim) answer(w http.ResponseWriter, wire string, rec *RequestRecord, reqID string, out any, e *apiError) {
	if e != nil {
		rec.ErrorCode, rec.Status = e.code, e.status
		writeError(w, wire, rec.Service, e, reqID)
	} else {
		rec.Status = http.StatusOK
		writeResult(w, wire, rec.Service, rec.Action, out, reqID)
	}
	s.logRequest(*rec)
}

func jsonContentType(wire string) string {
	if wire == wireJSON10 {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

func writeError(w http.ResponseWriter, wire, service string, e *apiError, reqID string) {
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	switch wire {
	case wireJSON10, wireJSON11:
		shape := e.code
		if queryCompatible[service] {
			h.Set("X-Amzn-Query-Error", e.code+";"+fault)
			if s, ok := rpcErrorShapes[e.code]; ok {
				shape = s
			}
		}
		h.Set("Content-Type", jsonContentType(wire))
		h.Set("X-Amzn-ErrorType", shape)
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": shape, "message": e.message})
	case wireEC2:
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
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Xmlns     string   `xml:"xmlns,attr,omitempty"`
			Type      string   `xml:"Error>Type"`
			Code      string   `xml:"Error>Code"`
			Message   string   `xml:"Error>Message"`
			RequestID string   `xml:"RequestId"`
		}{Xmlns: xmlNamespaces[service], Type: fault, Code: e.code, Message: e.message, RequestID: reqID})
	}
}

// ec2Result is embedded by EC2 replies, which carry requestId inline.
type ec2Result struct {
	RequestID string `xml:"requestId"`
}

func (r *ec2Result) setRequestID(id string) { r.RequestID = id }

func writeResult(w http.ResponseWriter, wire, service, action string, out any, reqID string) {
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	switch wire {
	case wireJSON10, wireJSON11:
		h.Set("Content-Type", jsonContentType(wire))
		switch v := out.(type) {
		case nil:
			out = struct{}{}
		case cbor.Value:
			out = cborJSON(v)
		}
		_ = json.NewEncoder(w).Encode(out)
	case wireEC2:
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
		if v, ok := out.(cbor.Value); ok {
			out = cborXML{v}
		}
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
