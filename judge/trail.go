package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// UserIdentity is the principal of a CloudTrail record.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// InvokedBy names the AWS service that made the call on the principal's
	// behalf, such as ec2.amazonaws.com.
	InvokedBy string `json:"invokedBy,omitempty"`
}

// TrailResource is one entry of a record's resources list, which KMS, STS
// and S3 data events fill with the ARNs the call touched.
type TrailResource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

// TrailRecord is one CloudTrail event: the fields keyrunbook reads, as
// LookupEvents returns them in CloudTrailEvent and as trail log files hold
// them in their Records array. ParseTrailRecord blanks secrets, so a parsed
// record is safe to print.
type TrailRecord struct {
	UserIdentity       UserIdentity    `json:"userIdentity"`
	EventID            string          `json:"eventID"`
	EventTime          time.Time       `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	EventType          string          `json:"eventType,omitempty"` // AwsApiCall, AwsServiceEvent…
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	ReadOnly           bool            `json:"readOnly"`
	RequestParameters  json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements   json.RawMessage `json:"responseElements,omitempty"`
	Resources          []TrailResource `json:"resources,omitempty"`
	VPCEndpointID      string          `json:"vpcEndpointId,omitempty"`
	RecipientAccountID string          `json:"recipientAccountId,omitempty"`
}

// Failed reports whether the call failed: CloudTrail sets errorCode then.
func (r TrailRecord) Failed() bool { return r.ErrorCode != "" }

// Account is the account the call went to, for building ARNs.
func (r TrailRecord) Account() string {
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}

// UnmarshalJSON accepts readOnly as a boolean or as the string "true" or
// "false": both occur in the wild (older records and some services quote it).
func (r *TrailRecord) UnmarshalJSON(data []byte) error {
	var w trailWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*r = w.record()
	return nil
}

// trailWire is TrailRecord as it arrives, readOnly in either spelling.
// ParseTrailRecord decodes into it directly: going through
// TrailRecord.UnmarshalJSON would scan every record twice.
type trailWire struct {
	plainTrailRecord
	ReadOnly flexBool `json:"readOnly"`
}

type plainTrailRecord TrailRecord

func (w *trailWire) record() TrailRecord {
	r := TrailRecord(w.plainTrailRecord)
	r.ReadOnly = bool(w.ReadOnly)
	return r
}

// flexBool is a JSON boolean that may also come as a quoted string.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "null", "false", `"false"`, `"False"`, `"FALSE"`:
		*b = false
	case "true", `"true"`, `"True"`, `"TRUE"`:
		*b = true
	default:
		return errReadOnly
	}
	return nil
}

// errReadOnly says readOnly held something other than a boolean.
var errReadOnly = errors.New(`readOnly is neither a boolean nor "true"/"false"`)

// ParseTrailRecord decodes one record, as LookupEvents returns it in the
// CloudTrailEvent string. Secret values (secret access keys, session tokens,
// passwords) are blanked in requestParameters and responseElements, so no
// later print, log or journal entry of the record can leak them.
func ParseTrailRecord(cloudTrailEventJSON []byte) (TrailRecord, error) {
	var w trailWire
	if err := json.Unmarshal(cloudTrailEventJSON, &w); err != nil {
		return TrailRecord{}, fmt.Errorf("parse CloudTrail record: %w", valueFreeError(err))
	}
	r := w.record()
	var err error
	if r.RequestParameters, err = scrubTrailSecrets(r.RequestParameters); err != nil {
		return TrailRecord{}, fmt.Errorf("parse requestParameters of event %s: %w", r.EventID, err)
	}
	if r.ResponseElements, err = scrubTrailSecrets(r.ResponseElements); err != nil {
		return TrailRecord{}, fmt.Errorf("parse responseElements of event %s: %w", r.EventID, err)
	}
	return r, nil
}

// valueFreeError keeps what a decoding error says about where and what
// type, and drops any value it quotes: time.ParseError quotes its input,
// and a record may hold a secret the scrub has not reached yet.
func valueFreeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	switch {
	case errors.Is(err, errReadOnly):
		return err
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("field %s holds a JSON %s, not a %s", typ.Field, typ.Value, typ.Type)
	case errors.As(err, &tm):
		return errors.New("eventTime is not an RFC 3339 time")
	}
	return errors.New("malformed record")
}

// DecodeTrailLog streams the records of a trail log file ({"Records":[…]})
// to fn one at a time, so a large file never sits in memory as a whole.
// It stops at the first error fn returns.
func DecodeTrailLog(r io.Reader, fn func(TrailRecord) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("read trail log: %w", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read trail log: %w", err)
		}
		if tok != "Records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("read trail log field %v: %w", tok, err)
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return fmt.Errorf("read trail log Records: %w", err)
		}
		for n := 0; dec.More(); n++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("read trail log record %d: %w", n, err)
			}
			rec, err := ParseTrailRecord(raw)
			if err != nil {
				return fmt.Errorf("trail log record %d: %w", n, err)
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return fmt.Errorf("read trail log Records: %w", err)
		}
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

// secretFieldNames are the JSON keys whose values are secrets. CloudTrail
// already hides most of them, but a simulated account or an older record
// may not: keyrunbook never holds one past parsing.
var secretFieldNames = map[string]bool{
	"secretAccessKey": true,
	"SecretAccessKey": true,
	"sessionToken":    true,
	"SessionToken":    true,
	"password":        true,
	"Password":        true,
	"newPassword":     true,
	"oldPassword":     true,
	"secretString":    true,
	"SecretString":    true,
	"secretBinary":    true,
	"privateKey":      true,
	"keyMaterial":     true, // ec2:CreateKeyPair returns the private key
}

// redactedValue replaces a secret; CloudTrail itself writes
// HIDDEN_DUE_TO_SECURITY_REASONS in the same places.
const redactedValue = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretMarkers gate the scrub: re-encoding every record would cost more
// than the whole fold, and almost no record carries a secret field.
var secretMarkers = [][]byte{
	[]byte("ecretAccessKey"), []byte("essionToken"), []byte("assword"),
	[]byte("ecretString"), []byte("ecretBinary"), []byte("rivateKey"), []byte("keyMaterial"),
}

func scrubTrailSecrets(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	found := false
	for _, m := range secretMarkers {
		if bytes.Contains(raw, m) {
			found = true
			break
		}
	}
	if !found {
		return raw, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("not valid JSON")
	}
	out, err := json.Marshal(redactSecrets(v))
	if err != nil {
		return nil, fmt.Errorf("re-encode after redaction: %w", err)
	}
	return out, nil
}

func redactSecrets(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretFieldNames[k] {
				if val != nil {
					t[k] = redactedValue
				}
				continue
			}
			t[k] = redactSecrets(val)
		}
	case []any:
		for i := range t {
			t[i] = redactSecrets(t[i])
		}
	}
	return v
}

// Param returns the first string at a dotted path of a record's
// requestParameters or responseElements ("accessKey.userName"), or "".
func Param(raw json.RawMessage, path string) string {
	p := Params{raw: raw}
	return p.str(path)
}

// Params reads requestParameters lazily: most calls need one or two
// fields, and decoding the top level once is the whole cost.
type Params struct {
	raw []byte
	top map[string]json.RawMessage
	ok  bool
}

func (p *Params) load() bool {
	if p.top == nil && !p.ok {
		p.ok = true
		if len(p.raw) > 0 && json.Unmarshal(p.raw, &p.top) != nil {
			p.top = nil
		}
	}
	return p.top != nil
}

// strs returns the string values at a dotted path; a segment ending in
// "[]" walks every element of an array ("instancesSet.items[].instanceId").
func (p *Params) strs(path string) []string {
	if !p.load() {
		return nil
	}
	return jsonStrings(p.top, strings.Split(path, "."))
}

// str returns the first string value at a dotted path, or "".
func (p *Params) str(path string) string {
	if v := p.strs(path); len(v) > 0 {
		return v[0]
	}
	return ""
}

func jsonStrings(obj map[string]json.RawMessage, segs []string) []string {
	name, each := strings.CutSuffix(segs[0], "[]")
	raw, ok := obj[name]
	if !ok {
		return nil
	}
	var values []json.RawMessage
	if each {
		if json.Unmarshal(raw, &values) != nil {
			return nil
		}
	} else {
		values = []json.RawMessage{raw}
	}
	var out []string
	for _, v := range values {
		if len(segs) == 1 {
			var s string
			if json.Unmarshal(v, &s) == nil && s != "" {
				out = append(out, s)
			}
			continue
		}
		var next map[string]json.RawMessage
		if json.Unmarshal(v, &next) == nil {
			out = append(out, jsonStrings(next, segs[1:])...)
		}
	}
	return out
}
