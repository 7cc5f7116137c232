package awsops

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

const scanKey = "AKIAQ5W3INZP2XMJ5SY5"

var scanDay = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// rec is one trail record as CloudTrail writes it.
func rec(id, key, region string, at time.Time, name, category, params string) string {
	src := map[string]string{"GetObject": "s3.amazonaws.com", "DescribeInstances": "ec2.amazonaws.com",
		"UpdateAccessKey": "iam.amazonaws.com", "CreateUser": "iam.amazonaws.com"}[name]
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333","accessKeyId":"%s"},`+
		`"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.17.0",`+
		`"requestParameters":%s,"responseElements":null,"eventID":"%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":%v,"recipientAccountId":"111122223333","eventCategory":"%s"}`,
		key, at.Format(time.RFC3339), src, name, region, params, id, category != "Data", category)
}

// writeLog writes records as a log file named as CloudTrail names them.
func writeLog(t *testing.T, dir, region string, delivered time.Time, zip bool, records ...string) string {
	t.Helper()
	data := []byte(`{"Records":[` + strings.Join(records, ",") + `]}`)
	name := fmt.Sprintf("111122223333_CloudTrail_%s_%s_abcdEFGH12345678.json", region, delivered.Format("20060102T1504Z"))
	if zip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data, name = b.Bytes(), name+".gz"
	}
	path := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", region, delivered.Format("2006/01/02"), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func scanFixture(t *testing.T) (string, TrailScanOptions) {
	t.Helper()
	dir := t.TempDir()
	at := func(h int) time.Time { return scanDay.Add(time.Duration(h) * time.Hour) }
	swept := rec("e-swept", scanKey, "us-east-1", at(2), "DescribeInstances", "Management", "null")
	writeLog(t, dir, "us-east-1", at(2).Add(5*time.Minute), true,
		swept,
		rec("e-unswept", scanKey, "ap-south-1", at(3), "DescribeInstances", "Management", "null"),
		rec("e-read", scanKey, "us-east-1", at(4), "GetObject", "Data", `{"bucketName":"invoices","key":"a.pdf"}`),
		rec("e-other", "AKIAOTHEROTHEROTHER2", "us-east-1", at(4), "GetObject", "Data", `{"bucketName":"b"}`),
		rec("e-names", "AKIAOTHEROTHEROTHER2", "us-east-1", at(4), "UpdateAccessKey", "Management", `{"accessKeyId":"`+scanKey+`"}`),
		rec("e-late", scanKey, "us-east-1", at(30), "CreateUser", "Management", `{"userName":"x"}`),
	)
	// A plain file delivering e-swept again, and a read a trail source had.
	writeLog(t, dir, "us-east-1", at(5), false, swept,
		rec("e-known", scanKey, "us-east-1", at(5), "GetObject", "Data", `{"bucketName":"invoices"}`))
	// Not a log file, a digest, and a day folder outside the window.
	bad := writeLog(t, dir, "eu-west-1", at(6), true, swept)
	os.WriteFile(bad, []byte("\x1f\x8bnot gzip at all"), 0o644)
	digest := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "2025", "06", "01",
		"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250601T0100Z.json.gz")
	os.MkdirAll(filepath.Dir(digest), 0o755)
	os.WriteFile(digest, []byte("{}"), 0o644)
	writeLog(t, dir, "us-east-1", scanDay.AddDate(0, 0, -10), true, rec("e-old", scanKey, "us-east-1", scanDay.AddDate(0, 0, -10), "CreateUser", "Management", `{"userName":"y"}`))

	return dir, TrailScanOptions{KeyID: scanKey, From: scanDay, To: at(24),
		Covered: runbook.TrailCoverage{From: scanDay, To: at(24), Regions: []string{"us-east-1"},
			Trails: []runbook.TrailWindow{{From: at(5), To: at(6)}}}, Label: "fixture"}
}

func TestScanTrailFilesFoldsOnce(t *testing.T) {
	dir, opt := scanFixture(t)
	files, err := LocalTrailFiles(dir, opt.From, opt.To)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("listed %d files, want 3 (digest and the old day left out)", len(files))
	}
	res, err := ScanTrailFiles(context.Background(), files, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := runbook.TrailScanStats{Files: 3, FilesTotal: 3, Matched: 4, DataEvents: 2, Covered: 2, Duplicates: 1, Failed: 1}
	got := res.Stats
	got.Bytes, got.Uncompressed, got.Records = 0, 0, 0
	if got != want {
		t.Fatalf("stats %+v\nwant  %+v", got, want)
	}
	if res.Stats.Records != 8 {
		t.Errorf("records seen = %d, want 8", res.Stats.Records)
	}
	if res.AddedEvents != 2 || res.Found.Events != 4 {
		t.Errorf("added %d of %d events, want 2 of 4 (the unswept region's call and the new read)", res.AddedEvents, res.Found.Events)
	}
	if len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "1 of 3 log files could not be read") {
		t.Errorf("findings %+v", res.Findings)
	}
	var read bool
	for _, r := range res.Found.BlastRadius {
		read = read || (r.Type == BlastS3Read && r.ID == "invoices" && r.Action == "GetObject")
	}
	if !read {
		t.Errorf("blast radius %+v lacks the bucket read", res.Found.BlastRadius)
	}
	for _, c := range res.Found.Coverage {
		if strings.Contains(c, "AKIA") {
			t.Errorf("coverage names a key: %q", c)
		}
	}
}

func TestScanTrailFilesSameWhateverTheWorkers(t *testing.T) {
	dir, opt := scanFixture(t)
	files, _ := LocalTrailFiles(dir, opt.From, opt.To)
	var results []TrailScanResult
	for _, w := range []int{1, 2, 8} {
		opt.Workers = w
		res, err := ScanTrailFiles(context.Background(), files, opt)
		if err != nil {
			t.Fatal(err)
		}
		res.Findings = nil // names the bad file, the same; order of failures may differ
		results = append(results, res)
	}
	for _, r := range results[1:] {
		if !reflect.DeepEqual(r, results[0]) {
			t.Fatalf("results differ with the number of workers:\n%+v\n%+v", r.Stats, results[0].Stats)
		}
	}
}

func TestScanTrailFilesStopsWithTheContext(t *testing.T) {
	dir, opt := scanFixture(t)
	files, _ := LocalTrailFiles(dir, opt.From, opt.To)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ScanTrailFiles(ctx, files, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the context's", err)
	}
}

func TestWantLogFile(t *testing.T) {
	from, to := scanDay, scanDay.Add(24*time.Hour)
	tests := []struct {
		name string
		want bool
	}{
		{"111122223333_CloudTrail_us-east-1_20250601T0105Z_abcdEFGH12345678.json.gz", true},
		{"111122223333_CloudTrail_us-east-1_20250602T0030Z_abcdEFGH12345678.json.gz", true}, // delivered after midnight
		{"111122223333_CloudTrail_us-east-1_20250602T0200Z_abcdEFGH12345678.json.gz", false},
		{"111122223333_CloudTrail_us-east-1_20250531T2355Z_abcdEFGH12345678.json.gz", false},
		{"111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20250601T0100Z.json.gz", false},
		{"exported-by-hand.json", true},
		{"notes.txt", false},
	}
	for _, tt := range tests {
		if got := wantLogFile(tt.name, from, to); got != tt.want {
			t.Errorf("wantLogFile(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLocalTrailFilesRefusesWhatIsNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.json.gz")
	os.WriteFile(f, nil, 0o644)
	for _, dir := range []string{f, filepath.Join(t.TempDir(), "missing")} {
		if _, err := LocalTrailFiles(dir, time.Time{}, time.Time{}); err == nil {
			t.Errorf("LocalTrailFiles(%s) succeeded", dir)
		}
	}
}
