package sim

import (
	"encoding/xml"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// decodeForm reads a query-protocol request (awsQuery, ec2Query): its
// parameters from the query string and a form-encoded body, the operation
// from Action.
func decodeForm(wire string, r *http.Request, body []byte, cat catalog, service string) (request, *apiError) {
	params := r.URL.Query()
	params.Del("X-Amz-Credential")
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return request{service: service}, &apiError{code: "MalformedQueryString", message: "The request body is not a valid form-encoded query.", status: http.StatusBadRequest}
		}
		for k, v := range form {
			params[k] = v
		}
	}
	return cat.decodeRPC(wire, request{service: service, action: params.Get("Action"), params: params})
}

// errMissingQueryAuth is the query protocols' error for an unsigned request.
func errMissingQueryAuth() *apiError {
	return &apiError{code: "MissingAuthenticationToken", message: "Request is missing Authentication Token", status: http.StatusForbidden}
}

// queryCodec is awsQuery (IAM, STS, CloudWatch): XML in <ActionResponse>,
// the result in <ActionResult>, errors in <ErrorResponse>.
type queryCodec struct{}

func (queryCodec) decode(r *http.Request, body []byte, cat catalog, service string) (request, *apiError) {
	return decodeForm(wireQuery, r, body, cat, service)
}

func (queryCodec) unsigned() *apiError { return errMissingQueryAuth() }

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

func (ec2Codec) decode(r *http.Request, body []byte, cat catalog, service string) (request, *apiError) {
	return decodeForm(wireEC2, r, body, cat, service)
}

func (ec2Codec) unsigned() *apiError { return errMissingQueryAuth() }

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
