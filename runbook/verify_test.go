package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

// memFile is a journalFile in memory.
type memFile struct{ bytes.Buffer }

func (*memFile) Sync() error  { return nil }
func (*memFile) Close() error { return nil }

// buildLog returns an intact log of n records and the journal that wrote it.
func buildLog(t *testing.T, n int) ([]byte, *Journal, *memFile) {
	t.Helper()
	f := &memFile{}
	j := newJournal(f, "live", "arn:aws:iam::123456789012:user/responder", stepClock(), 0, "")
	for i := 1; i <= n; i++ {
		mustAppend(t, j, RecordEvent, "Investigate", fmt.Sprintf("Event%d", i), map[string]any{"i": i, "text": "a < b & c"})
	}
	return bytes.Clone(f.Bytes()), j, f
}

// splitLines splits a log into lines, each keeping its newline.
func splitLines(b []byte) [][]byte {
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func TestVerifyIntactLog(t *testing.T) {
	log, j, _ := buildLog(t, 5)
	res := VerifyJournal(bytes.NewReader(log))
	want := VerifyResult{Records: 5, OK: true, Head: j.prev, GoodBytes: int64(len(log))}
	if res != want {
		t.Errorf("VerifyJournal = %+v, want %+v", res, want)
	}
	if res := VerifyJournal(strings.NewReader("")); !res.OK || res.Records != 0 {
		t.Errorf("empty log: %+v, want OK with no records", res)
	}
}

func TestVerifyDetectsAnyChangedByte(t *testing.T) {
	log, _, _ := buildLog(t, 4)
	lines := splitLines(log)
	start := 0
	for li, line := range lines {
		for off := range line {
			for _, flip := range []byte{0x01, 0x20} {
				damaged := bytes.Clone(log)
				damaged[start+off] ^= flip
				res := VerifyJournal(bytes.NewReader(damaged))
				if res.OK || res.BadLine != li+1 || res.Records != li {
					t.Fatalf("line %d byte %d (%q^%#x): %+v, want the line reported", li+1, off, line[off], flip, res)
				}
			}
		}
		start += len(line)
	}
}

func TestVerifyDetectsDamage(t *testing.T) {
	log, j, f := buildLog(t, 6)
	lines := splitLines(log)
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }

	// A record with a valid hash but a skipped seq: only a faulty writer
	// makes one, which is why the chain checks seq at all.
	j.seq++
	mustAppend(t, j, RecordEvent, "Investigate", "Skipped", nil)
	withGap := bytes.Clone(f.Bytes())

	unknownType := Record{Seq: 7, Type: "would-call", Prev: hashOfLine(lines[5]), Mode: "live"}
	badTypeLine, err := encodeRecord(&unknownType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		log         []byte
		wantLine    int
		wantTorn    bool
		wantReason  string
		wantRecords int
	}{
		{"line removed", join(lines[0], lines[1], lines[3], lines[4], lines[5]), 3, false,
			"line 3: prev does not match line 2's hash (a line was removed or reordered)", 2},
		{"first line removed", join(lines[1:]...), 1, false, "start of the log was removed", 0},
		{"two lines swapped", join(lines[0], lines[2], lines[1], lines[3], lines[4], lines[5]), 2, false,
			"line 2: prev does not match line 1's hash (a line was removed or reordered)", 1},
		{"line duplicated", join(lines[0], lines[1], lines[1], lines[2]), 3, false, "prev does not match", 2},
		{"content edited", bytes.Replace(log, []byte("Event4"), []byte("Event9"), 1), 4, false,
			"line 4: hash does not match its content (edited?)", 3},
		{"hash edited", bytes.Replace(log, lines[2][len(lines[2])-10:], []byte("0000000\"}\n"), 1), 3, false,
			"line 3: hash does not match its content (edited?)", 2},
		{"hash field removed", join(lines[0], []byte("{\"seq\":2}\n"), lines[2]), 2, false, "hash field missing or malformed", 1},
		{"not JSON in the middle", join(lines[0], []byte("garbage\n"), lines[1]), 2, false, "line 2: not valid JSON (edited?)", 1},
		{"empty line in the middle", join(lines[0], []byte("\n"), lines[1]), 2, false, "line 2: empty line", 1},
		{"seq gap", withGap, 7, false, "line 7: seq 8 expected 7", 6},
		{"unknown type", join(join(lines...), badTypeLine), 7, false, `line 7: unknown record type "would-call"`, 6},
		{"torn mid-line", log[:len(log)-40], 6, true, "line 6: torn last line", 5},
		{"torn: only the newline missing", log[:len(log)-1], 6, true, "no newline at the end", 5},
		{"torn: zeros after a crash", join(join(lines[:5]...), make([]byte, 30)), 6, true, "line 6: torn last line", 5},
		{"torn: garbage with a newline", join(join(lines[:5]...), []byte("{\"seq\":6,\"ti\n")), 6, true, "not complete JSON", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, res := ReadJournal(bytes.NewReader(tt.log))
			if res.OK || res.BadLine != tt.wantLine || res.Torn != tt.wantTorn || !strings.Contains(res.Reason, tt.wantReason) {
				t.Fatalf("ReadJournal = %+v\nwant bad line %d, torn %v, reason containing %q", res, tt.wantLine, tt.wantTorn, tt.wantReason)
			}
			if res.Records != tt.wantRecords || len(recs) != tt.wantRecords {
				t.Errorf("good prefix: %d records (%d returned), want %d", res.Records, len(recs), tt.wantRecords)
			}
			if prefix := join(lines[:tt.wantRecords]...); res.GoodBytes != int64(len(prefix)) {
				t.Errorf("GoodBytes = %d, want %d", res.GoodBytes, len(prefix))
			}
		})
	}
}

// hashOfLine returns the hash value a written line ends with.
func hashOfLine(line []byte) string {
	h, _ := splitHash(bytes.TrimSuffix(line, []byte("\n")))
	return h
}

func TestTornReasonGivesTheCut(t *testing.T) {
	log, _, _ := buildLog(t, 3)
	good := len(log) - len(splitLines(log)[2])
	res := VerifyJournal(bytes.NewReader(log[:len(log)-5]))
	if want := fmt.Sprintf("truncate -s %d LOG", good); !strings.Contains(res.Reason, want) {
		t.Errorf("reason %q does not say %q", res.Reason, want)
	}
	if res := VerifyJournal(bytes.NewReader(log[:good])); !res.OK {
		t.Errorf("log cut as the reason says does not verify: %+v", res)
	}
}

func TestVerifyCannotSeeRecordsCutFromTheEnd(t *testing.T) {
	log, _, _ := buildLog(t, 3)
	lines := splitLines(log)
	full := VerifyJournal(bytes.NewReader(log))
	cut := VerifyJournal(bytes.NewReader(bytes.Join(lines[:2], nil)))
	// This is why Head exists: the chain alone accepts the shorter log.
	if !cut.OK || cut.Head == full.Head {
		t.Errorf("cut log %+v, full log %+v: want both OK with different heads", cut, full)
	}
}

func TestReadJournalLongLines(t *testing.T) {
	f := &memFile{}
	j := newJournal(f, "live", "", stepClock(), 0, "")
	big := strings.Repeat("GetObject us-east-1 203.0.113.7 ", 100_000) // 3.2 MB
	mustAppend(t, j, RecordResult, "Investigate", "SweepCloudTrail", map[string]string{"events": big})
	mustAppend(t, j, RecordEvent, "Investigate", "SweepFinished", nil)
	recs, res := ReadJournal(bytes.NewReader(f.Bytes()))
	if !res.OK || len(recs) != 2 || len(recs[0].Data) < len(big) {
		t.Fatalf("ReadJournal of a %d-byte line: %+v, %d records", len(big), res, len(recs))
	}
}

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestVerifyReportsReadErrors(t *testing.T) {
	log, _, _ := buildLog(t, 2)
	res := VerifyJournal(failingReader{bytes.NewReader(log)})
	if res.OK || res.BadLine != 3 || !strings.Contains(res.Reason, "disk on fire") {
		t.Errorf("VerifyJournal over a failing reader = %+v", res)
	}
}

// TestDocumentedHashRule recomputes every hash the way the README tells a
// reader to, without this package's code: replace the 64 hex digits that end
// the line with nothing, SHA-256 the result, compare.
func TestDocumentedHashRule(t *testing.T) {
	log, _, _ := buildLog(t, 4)
	tail := regexp.MustCompile(`"hash":"([0-9a-f]{64})"\}$`)
	prev := ""
	for i, line := range strings.Split(strings.TrimSuffix(string(log), "\n"), "\n") {
		m := tail.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d does not end with the hash field: %s", i+1, line)
		}
		sum := sha256.Sum256([]byte(tail.ReplaceAllString(line, `"hash":""}`)))
		if got := hex.EncodeToString(sum[:]); got != m[1] {
			t.Errorf("line %d: documented rule gives %s, line says %s", i+1, got, m[1])
		}
		if !strings.Contains(line, `"prev":"`+prev+`"`) {
			t.Errorf("line %d does not carry prev %q", i+1, prev)
		}
		prev = m[1]
	}
}

// FuzzVerifyJournal checks that verification never panics and that its
// figures agree with each other on any input.
func FuzzVerifyJournal(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("\n\n"))
	f.Add([]byte(`{"seq":1,"hash":"` + strings.Repeat("a", 64) + `"}` + "\n"))
	j := newJournal(&memFile{}, "live", "", stepClock(), 0, "")
	for i := range 3 {
		if _, err := j.Append(RecordEvent, "Intake", fmt.Sprint("E", i), map[string]int{"i": i}); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(j.f.(*memFile).Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, res := ReadJournal(bytes.NewReader(in))
		if res.Records != len(recs) || res.GoodBytes > int64(len(in)) || res.OK == (res.BadLine != 0) {
			t.Fatalf("inconsistent result %+v with %d records for %q", res, len(recs), in)
		}
		if !res.OK && !VerifyJournal(bytes.NewReader(in[:res.GoodBytes])).OK {
			t.Fatalf("the good prefix of %q does not verify on its own", in)
		}
	})
}
