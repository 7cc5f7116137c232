package awsops

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// splitAll runs the splitter over data, through readers that hand out one
// byte or half a buffer at a time, so every record and string crosses a
// read boundary somewhere.
func splitAll(t *testing.T, data string, structural bool, wrap func(io.Reader) io.Reader) ([]string, error) {
	t.Helper()
	sp := newLogSplitter(wrap(strings.NewReader(data)), nil, structural)
	var out []string
	err := sp.each(func(raw []byte) error {
		if err := sp.checkRecord(raw); err != nil {
			return err
		}
		out = append(out, string(raw))
		return nil
	})
	return out, err
}

var readers = map[string]func(io.Reader) io.Reader{
	"whole":    func(r io.Reader) io.Reader { return r },
	"one byte": iotest.OneByteReader,
	"half":     iotest.HalfReader,
}

func TestLogSplitterRecords(t *testing.T) {
	rec1 := `{"eventVersion":"1.09","userIdentity":{"accessKeyId":"AKIAX"},"requestParameters":{"s":"}{\"],[\\","t":"\\"}}`
	rec2 := `{"eventVersion":"1.09","resources":[{"ARN":"a"},{"ARN":"b"}],"x":"{\"eventVersion\":1}"}`
	tests := []struct {
		name string
		data string
		want []string
	}{
		{name: "as CloudTrail writes them", data: `{"Records":[` + rec1 + "," + rec2 + `]}`, want: []string{rec1, rec2}},
		{name: "one record", data: `{"Records":[` + rec2 + `]}` + "\n", want: []string{rec2}},
		{name: "empty", data: `{"Records":[]}`},
		{name: "pretty printed", data: "{\n  \"Records\" : [\n    " + rec1 + " ,\n    " + rec2 + "\n  ]\n}\n", want: []string{rec1, rec2}},
		{name: "other field order", data: `{"Records":[{"eventTime":"t","eventVersion":"1"},{"a":"]"}]}`,
			want: []string{`{"eventTime":"t","eventVersion":"1"}`, `{"a":"]"}`}},
		{name: "other top-level fields", data: `{"x":{"Records":[{"no":1}]},"Records":[` + rec1 + `],"y":[1]}`, want: []string{rec1}},
		{name: "a record larger than the buffer", data: `{"Records":[{"eventVersion":"1","big":"` + strings.Repeat("x", 3*logBufSize) + `"}]}`,
			want: []string{`{"eventVersion":"1","big":"` + strings.Repeat("x", 3*logBufSize) + `"}`}},
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			for _, structural := range []bool{false, true} {
				t.Run(tt.name+"/"+rname+map[bool]string{true: "/structural"}[structural], func(t *testing.T) {
					if rname == "one byte" && len(tt.data) > logBufSize {
						t.Skip("too slow a byte at a time")
					}
					got, err := splitAll(t, tt.data, structural, wrap)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, tt.want) {
						t.Fatalf("records:\n%q\nwant\n%q", got, tt.want)
					}
				})
			}
		}
	}
}

func TestLogSplitterRefusesWhatIsNotATrailLog(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "not a CloudTrail log file"},
		{"an array", `[{"eventVersion":"1"}]`, "not a CloudTrail log file"},
		{"truncated in a record", `{"Records":[{"eventVersion":"1","a":"b"},{"eventVersion":"1","a`, "truncated"},
		{"truncated between records", `{"Records":[{"eventVersion":"1"},`, "truncated"},
		{"trailing data", `{"Records":[]} {"Records":[]}`, "data after the end"},
	}
	for _, tt := range tests {
		for _, structural := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := splitAll(t, tt.data, structural, readers["whole"])
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			})
		}
	}
}

func TestMarkerModeDoubtsANestedRecordMarker(t *testing.T) {
	// A record holding an object that also starts with eventVersion: the
	// marker cuts it in two, and the check refuses the piece with the key.
	nested := `{"eventVersion":"1","requestParameters":{"event":{"eventVersion":"2","k":"AKIAX"}},"z":1}`
	data := `{"Records":[` + nested + `,{"eventVersion":"1","k":"other"}]}`
	if _, err := splitAll(t, data, false, readers["whole"]); !errors.Is(err, errRescan) {
		t.Fatalf("marker mode: err = %v, want a rescan", err)
	}
	got, err := splitAll(t, data, true, readers["whole"])
	if err != nil || len(got) != 2 || got[0] != nested {
		t.Fatalf("structural: %q %v", got, err)
	}
}

func TestBalancedObject(t *testing.T) {
	for in, want := range map[string]bool{
		`{}`: true, `{"a":"}"}`: true, `{"a":"\"}"}`: true, `{"a":[{"b":1}]}`: true,
		`{"a":1}}`: false, `{"a":1},`: false, `{"a":`: false, `[1]`: false, ``: false, `{"a":"\\"}`: true,
	} {
		if got := balancedObject([]byte(in)); got != want {
			t.Errorf("balancedObject(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestRawIsData(t *testing.T) {
	tests := []struct {
		raw  string
		name string
		want bool
	}{
		{`{"eventName":"GetObject","eventCategory":"Data"}`, "GetObject", true},
		{`{"eventName":"PutEventSelectors","requestParameters":{"advancedEventSelectors":[{"field":"eventCategory","equals":["Data"]}]},"eventCategory":"Management"}`, "PutEventSelectors", false},
		{`{"eventName":"Invoke","managementEvent":false}`, "Invoke", true},
		{`{"eventName":"GetObject"}`, "GetObject", true}, // older records: known by name
		{`{"eventName":"ListBuckets"}`, "ListBuckets", false},
		{`{"eventName":"GetObject", "eventCategory" : "Management" }`, "GetObject", false},
	}
	for _, tt := range tests {
		r := TrailRecord{EventSource: "s3.amazonaws.com", EventName: tt.name}
		if got := rawIsData([]byte(tt.raw), r); got != tt.want {
			t.Errorf("rawIsData(%s) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

func TestDataBlast(t *testing.T) {
	rec := func(src, name, params, code string) *TrailRecord {
		return &TrailRecord{EventSource: src, EventName: name, AWSRegion: "eu-west-1", RequestParameters: []byte(params), ErrorCode: code}
	}
	tests := []struct {
		name   string
		r      *TrailRecord
		typ    string
		id     string
		wantOK bool
	}{
		{"object read", rec("s3.amazonaws.com", "GetObject", `{"bucketName":"invoices","key":"a.pdf"}`, ""), BlastS3Read, "invoices", true},
		{"object written", rec("s3.amazonaws.com", "PutObject", `{"bucketName":"invoices","key":"a.pdf"}`, ""), BlastS3Written, "invoices", true},
		{"function by ARN", rec("lambda.amazonaws.com", "Invoke", `{"functionName":"arn:aws:lambda:eu-west-1:1:function:export:prod"}`, ""), BlastInvoked, "export", true},
		{"function by name", rec("lambda.amazonaws.com", "Invoke", `{"functionName":"export"}`, ""), BlastInvoked, "export", true},
		{"denied read touched nothing", rec("s3.amazonaws.com", "GetObject", `{"bucketName":"invoices"}`, "AccessDenied"), "", "", false},
		{"management event", rec("s3.amazonaws.com", "ListBuckets", `null`, ""), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ok := dataBlast(tt.r)
			if ok != tt.wantOK || res.Type != tt.typ || res.ID != tt.id {
				t.Fatalf("dataBlast = %+v %v, want %s %s %v", res, ok, tt.typ, tt.id, tt.wantOK)
			}
		})
	}
}

func BenchmarkLogSplitter(b *testing.B) {
	rec := `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/x","accessKeyId":"AKIAOTHER"},` +
		`"eventTime":"2025-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k"},` +
		`"userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2","eventCategory":"Data"}`
	data := []byte(`{"Records":[` + strings.Repeat(rec+",", 2000) + rec + `]}`)
	key := []byte("AKIATARGET")
	for _, structural := range []bool{false, true} {
		b.Run(map[bool]string{false: "marker", true: "structural"}[structural], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				sp := newLogSplitter(bytes.NewReader(data), nil, structural)
				if err := sp.each(func(raw []byte) error {
					if bytes.Contains(raw, key) {
						b.Fatal("no record holds the key")
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestKeyFinder(t *testing.T) {
	const key = "AKIAQ5W3INZP2XMJ5SY5"
	k := newKeyFinder(key)
	if k.c != 'Q' {
		t.Errorf("searches %q, want the rarest byte Q", k.c)
	}
	tests := map[string]bool{
		key: true, `{"accessKeyId":"` + key + `"}`: true, "xx" + key: true, key[:19]: false, "": false,
		`{"a":"AKIAQ5W3INZP2XMJ5SY4","b":"QQQQ"}`: false, `QQ` + key + `Q`: true, strings.Repeat("Q", 40): false,
	}
	for in, want := range tests {
		if got := k.in([]byte(in)); got != want || bytes.Contains([]byte(in), []byte(key)) != want {
			t.Errorf("in(%q) = %v, want %v", in, got, want)
		}
	}
	if (keyFinder{}).in([]byte("x")) {
		t.Error("an empty key matched")
	}
}
