package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepClock returns a clock that starts at a fixed instant and advances one
// second per reading, so records have distinct, predictable times.
func stepClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func newTestJournal(t *testing.T) (*Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := CreateJournal(path, "training", "", stepClock())
	if err != nil {
		t.Fatalf("CreateJournal: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j, path
}

func mustAppend(t *testing.T, j *Journal, typ RecordType, step, name string, data any) Record {
	t.Helper()
	rec, err := j.Append(typ, step, name, data)
	if err != nil {
		t.Fatalf("Append(%s, %s): %v", typ, name, err)
	}
	return rec
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendReadRoundTrip(t *testing.T) {
	j, path := newTestJournal(t)
	type keyRef struct {
		AccessKeyID string `json:"accessKeyId"`
		UserName    string `json:"userName"`
	}
	var written []Record
	written = append(written, mustAppend(t, j, RecordEvent, "Intake", "SubmitKey", keyRef{"AKIAIOSFODNN7EXAMPLE", ""}))
	j.SetActor("arn:aws:iam::123456789012:user/responder")
	written = append(written, mustAppend(t, j, RecordIntent, "Deactivate", "DeactivateKey", keyRef{"AKIAIOSFODNN7EXAMPLE", "ci-bot"}))
	written = append(written, mustAppend(t, j, RecordResult, "Deactivate", "DeactivateKey", map[string]any{"would-call": "iam:UpdateAccessKey", "status": "Inactive"}))
	written = append(written, mustAppend(t, j, RecordEvent, "Watch", "ConfirmDelete", nil))
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, res := ReadJournal(f)
	if !res.OK || res.Records != len(written) || res.Head != written[len(written)-1].Hash {
		t.Fatalf("ReadJournal result = %+v, want OK with %d records and head %s", res, len(written), written[len(written)-1].Hash)
	}
	for i := range written {
		w, g := written[i], got[i]
		if g.Seq != int64(i+1) || !g.Time.Equal(w.Time) || g.Time.Location() != time.UTC ||
			g.Mode != "training" || g.Actor != w.Actor || g.Type != w.Type || g.Step != w.Step ||
			g.Name != w.Name || !bytes.Equal(g.Data, w.Data) || g.Prev != w.Prev || g.Hash != w.Hash {
			t.Errorf("record %d read back as %+v, written as %+v", i+1, g, w)
		}
		if i > 0 && g.Prev != got[i-1].Hash {
			t.Errorf("record %d prev %s, want previous hash %s", i+1, g.Prev, got[i-1].Hash)
		}
	}
	if got[0].Prev != "" || got[0].Actor != "" || got[1].Actor != "arn:aws:iam::123456789012:user/responder" {
		t.Errorf("first prev %q, actors %q then %q", got[0].Prev, got[0].Actor, got[1].Actor)
	}
	if got[3].Data != nil {
		t.Errorf("nil data read back as %s, want omitted", got[3].Data)
	}
	if !strings.HasSuffix(string(readFile(t, path)), "\n") {
		t.Error("log does not end with a newline")
	}
}

func TestCreateJournalRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	if err := os.WriteFile(path, []byte("evidence\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := CreateJournal(path, "live", "", nil)
	if err == nil || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("CreateJournal on an existing file: err = %v, want fs.ErrExist naming resume", err)
	}
	if got := readFile(t, path); string(got) != "evidence\n" {
		t.Errorf("existing file changed to %q", got)
	}
}

func TestCreateJournalPermissionsAndMode(t *testing.T) {
	if _, err := CreateJournal(filepath.Join(t.TempDir(), "x.jsonl"), "", "", nil); err == nil {
		t.Error("CreateJournal with an empty mode succeeded")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	_, path := newTestJournal(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("log permissions %v, want no access for group or others", perm)
	}
}

func TestAppendRefusesUnknownType(t *testing.T) {
	j, path := newTestJournal(t)
	if _, err := j.Append("would-call", "Deactivate", "DeactivateKey", nil); err == nil {
		t.Error("Append of an unknown record type succeeded")
	}
	if b := readFile(t, path); len(b) != 0 {
		t.Errorf("refused append wrote %q", b)
	}
}

// fakeFile records the calls the journal makes, in order.
type fakeFile struct {
	ops      []string
	writes   [][]byte
	writeErr error
	syncErr  error
}

func (f *fakeFile) Write(p []byte) (int, error) {
	f.ops = append(f.ops, "write")
	f.writes = append(f.writes, append([]byte(nil), p...))
	if f.writeErr != nil {
		return len(p) / 2, f.writeErr
	}
	return len(p), nil
}

func (f *fakeFile) Sync() error {
	f.ops = append(f.ops, "sync")
	return f.syncErr
}

func (f *fakeFile) Close() error { f.ops = append(f.ops, "close"); return nil }

func TestAppendWritesWholeLineThenSyncsBeforeReturning(t *testing.T) {
	f := &fakeFile{}
	j := newJournal(f, "live", "", stepClock(), 0, "")
	for i := 1; i <= 3; i++ {
		rec := mustAppend(t, j, RecordIntent, "Deactivate", "DeactivateKey", map[string]int{"n": i})
		want := strings.Repeat("write sync ", i)
		if got := strings.Join(f.ops, " ") + " "; got != want {
			t.Fatalf("after Append %d the calls were %q, want %q (one write, then fsync, per record)", i, got, want)
		}
		line := f.writes[i-1]
		if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("write %d is not exactly one whole line: %q", i, line)
		}
		if res := VerifyJournal(bytes.NewReader(bytes.Join(f.writes, nil))); !res.OK || res.Head != rec.Hash {
			t.Fatalf("lines written so far do not verify: %+v", res)
		}
	}
}

func TestAppendFailureStopsTheJournal(t *testing.T) {
	tests := []struct {
		name string
		file *fakeFile
	}{
		{"short write", &fakeFile{writeErr: errors.New("no space left on device")}},
		{"fsync fails", &fakeFile{syncErr: errors.New("input/output error")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJournal(tt.file, "live", "", stepClock(), 0, "")
			if _, err := j.Append(RecordIntent, "Delete", "DeleteKey", nil); err == nil {
				t.Fatal("Append succeeded although the file failed")
			}
			tt.file.writeErr, tt.file.syncErr = nil, nil
			calls := len(tt.file.ops)
			_, err := j.Append(RecordIntent, "Delete", "DeleteKey", nil)
			if err == nil || !strings.Contains(err.Error(), "verify") {
				t.Errorf("Append after a failure: err = %v, want a refusal that says to verify", err)
			}
			if len(tt.file.ops) != calls {
				t.Errorf("Append after a failure touched the file: %v", tt.file.ops[calls:])
			}
		})
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	j, _ := newTestJournal(t)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(RecordEvent, "Intake", "SubmitKey", nil); err == nil {
		t.Error("Append after Close succeeded")
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	j, path := newTestJournal(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := j.Append(RecordEvent, "Investigate", "SweepFinished", map[string]int{"worker": w, "i": i}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res := VerifyJournal(bytes.NewReader(readFile(t, path)))
	if !res.OK || res.Records != workers*each {
		t.Fatalf("after concurrent appends: %+v, want OK with %d records", res, workers*each)
	}
}

// TestSecretNeverReachesTheFile feeds a secret access key and a session token
// through every record type, in every shape a caller might hand over, and
// checks the bytes of the log.
func TestSecretNeverReachesTheFile(t *testing.T) {
	type credentials struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
	}
	type wrapped struct {
		Creds  credentials
		Err    string
		Notes  []string
		Nested map[string]any
	}
	shapes := map[string]any{
		"field named secret":        map[string]string{"secret": exampleSecret},
		"SDK-shaped credentials":    credentials{"ASIAIOSFODNN7EXAMPLE", exampleSecret, exampleToken},
		"nested":                    wrapped{Nested: map[string]any{"deeper": map[string]any{"password": exampleSecret, "x": []any{exampleSecret}}}},
		"inside an error string":    wrapped{Err: "operation error STS: GetCallerIdentity, secret " + exampleSecret + " rejected"},
		"inside an array":           []any{"a", exampleSecret, []string{"b " + exampleSecret}},
		"as a map key":              map[string]int{exampleSecret: 1},
		"bare string":               exampleSecret,
		"raw JSON":                  json.RawMessage(`{"Credentials":{"SecretAccessKey":"` + exampleSecret + `","SessionToken":"` + exampleToken + `"}}`),
		"token in text":             "export AWS_SESSION_TOKEN=" + exampleToken,
		"INI line from credentials": "aws_secret_access_key = " + exampleSecret,
	}
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := CreateJournal(path, "training "+exampleSecret, "", stepClock())
	if err != nil {
		t.Fatal(err)
	}
	j.SetActor("arn:aws:iam::123456789012:user/responder " + exampleSecret)
	for _, typ := range []RecordType{RecordEvent, RecordIntent, RecordResult} {
		for shape, data := range shapes {
			mustAppend(t, j, typ, "Identify "+exampleSecret, shape+" "+exampleSecret, data)
		}
	}
	_, err = j.Append(RecordResult, "Identify", "leaky", leakyMarshaler{})
	if err == nil || strings.Contains(err.Error(), exampleSecret) {
		t.Errorf("Append of a value whose encoding fails quoting the secret: err = %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	b := readFile(t, path)
	for _, secret := range []string{exampleSecret, exampleToken, exampleToken[:60]} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the log contains a secret %.12s…", secret)
		}
	}
	if n := bytes.Count(b, []byte("\n")); n != 3*len(shapes) {
		t.Errorf("log has %d lines, want %d", n, 3*len(shapes))
	}
	if res := VerifyJournal(bytes.NewReader(b)); !res.OK {
		t.Errorf("redacted log does not verify: %+v", res)
	}
	for _, marker := range []string{RedactedValue, RedactedSecret, RedactedToken} {
		if !bytes.Contains(b, []byte(marker)) {
			t.Errorf("log never shows %s, so a redaction rule went unexercised", marker)
		}
	}
}

func TestOpenJournalContinuesAGoodLog(t *testing.T) {
	j, path := newTestJournal(t)
	j.SetActor("arn:aws:iam::123456789012:user/responder")
	for i := range 3 {
		mustAppend(t, j, RecordEvent, "Investigate", fmt.Sprintf("E%d", i), nil)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j2, recs, err := OpenJournal(path, stepClock())
	if err != nil {
		t.Fatalf("OpenJournal: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("OpenJournal returned %d records, want 3", len(recs))
	}
	rec := mustAppend(t, j2, RecordIntent, "Deactivate", "DeactivateKey", nil)
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.Seq != 4 || rec.Prev != recs[2].Hash || rec.Mode != "training" || rec.Actor != recs[2].Actor {
		t.Errorf("continued record %+v does not follow %+v", rec, recs[2])
	}
	res := VerifyJournal(bytes.NewReader(readFile(t, path)))
	if !res.OK || res.Records != 4 {
		t.Errorf("continued log: %+v, want OK with 4 records", res)
	}
}

func TestOpenJournalRefusesABrokenLog(t *testing.T) {
	tests := []struct {
		name       string
		damage     func([]byte) []byte
		wantLine   string
		wantHint   string
		wantBroken bool
	}{
		{"byte changed", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"name":"E1"`), []byte(`"name":"E7"`), 1)
		}, "line 2:", "evidence", true},
		{"torn last line", func(b []byte) []byte { return b[:len(b)-10] }, "line 3:", "truncate -s", true},
		{"empty", func([]byte) []byte { return nil }, "no records", "respond", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, path := newTestJournal(t)
			for i := range 3 {
				mustAppend(t, j, RecordEvent, "Investigate", fmt.Sprintf("E%d", i), nil)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			damaged := tt.damage(readFile(t, path))
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := OpenJournal(path, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantLine) || !strings.Contains(err.Error(), tt.wantHint) {
				t.Fatalf("OpenJournal: err = %v, want it to name %q and say %q", err, tt.wantLine, tt.wantHint)
			}
			if got := errors.Is(err, ErrJournalBroken); got != tt.wantBroken {
				t.Errorf("errors.Is(err, ErrJournalBroken) = %v, want %v", got, tt.wantBroken)
			}
			if got := readFile(t, path); !bytes.Equal(got, damaged) {
				t.Error("OpenJournal changed a log it refused")
			}
		})
	}
}

func TestOpenJournalMissingFile(t *testing.T) {
	_, _, err := OpenJournal(filepath.Join(t.TempDir(), "nope.jsonl"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenJournal of a missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	j, err := CreateJournal(filepath.Join(b.TempDir(), "bench.jsonl"), "live", "arn:aws:iam::123456789012:user/responder", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	data := map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "ci-bot", "regions": []string{"us-east-1", "eu-west-1"}}
	for b.Loop() {
		if _, err := j.Append(RecordIntent, "Deactivate", "DeactivateKey", data); err != nil {
			b.Fatal(err)
		}
	}
}

// ReadJournalFile reads and verifies a log by its path, and says when the
// path cannot be opened rather than answering an empty log.
func TestReadJournalFile(t *testing.T) {
	j, path := newTestJournal(t)
	mustAppend(t, j, RecordEvent, "Intake", "SubmitKey", SubmitKey{KeyID: "AKIAIOSFODNN7EXAMPLE"})
	recs, res, err := ReadJournalFile(path)
	if err != nil || !res.OK || len(recs) == 0 || recs[len(recs)-1].Name != "SubmitKey" {
		t.Fatalf("ReadJournalFile = %d records, %+v, %v; want the log ending in SubmitKey", len(recs), res, err)
	}
	if _, _, err := ReadJournalFile(filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Fatal("a missing log read as an empty one")
	}
}
