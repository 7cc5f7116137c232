package runbook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestSecondWriterIsRefusedAndToldWhoHoldsTheLog: two resumes of one log
// used to both append, interleaving records and breaking the chain.
func TestSecondWriterIsRefusedAndToldWhoHoldsTheLog(t *testing.T) {
	j, path := newTestJournal(t)
	mustAppend(t, j, RecordEvent, "Intake", "Configured", nil)

	_, _, err := OpenJournal(path, nil)
	if !errors.Is(err, ErrJournalLocked) {
		t.Fatalf("second open while the first writes: err = %v, want ErrJournalLocked", err)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("process %d on %s", os.Getpid(), host); !strings.Contains(err.Error(), want) {
		t.Errorf("the refusal does not name the holder (%q): %v", want, err)
	}
	if _, err := CreateJournal(path, "live", "", nil); err == nil {
		t.Error("CreateJournal over a log in use succeeded")
	}

	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(LockPath(path)); err == nil {
		t.Error("the lock sidecar outlived Close")
	}
	j2, _, err := OpenJournal(path, nil)
	if err != nil {
		t.Fatalf("open after the first writer closed: %v", err)
	}
	j2.Close()
}

// TestResumeRepairsATornLastLine: the cut is shown, approved, made, and
// journaled; refused, the log is left as it was.
func TestResumeRepairsATornLastLine(t *testing.T) {
	j, path := newTestJournal(t)
	for i := range 3 {
		mustAppend(t, j, RecordEvent, "Investigate", fmt.Sprintf("E%d", i), map[string]string{"note": "SecretAccessKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
	}
	j.Close()
	whole := readFile(t, path)
	torn := whole[:len(whole)-25]
	os.WriteFile(path, torn, 0o600)

	var shown TornTail
	if _, _, err := OpenJournalRepair(path, nil, func(tt TornTail) bool { shown = tt; return false }); !errors.Is(err, ErrJournalBroken) {
		t.Fatalf("a declined repair: err = %v", err)
	}
	if !bytes.Equal(readFile(t, path), torn) {
		t.Fatal("a declined repair changed the log")
	}
	if shown.Line != 3 || shown.Bytes == 0 || strings.Contains(shown.Preview, "wJalrXUtnFEMI") {
		t.Fatalf("shown %+v: want line 3, its size, and no secret", shown)
	}

	j2, recs, err := OpenJournalRepair(path, nil, func(TornTail) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	j2.Close()
	if len(recs) != 2 {
		t.Fatalf("records after the repair: %d, want 2", len(recs))
	}
	after, vr := ReadJournal(bytes.NewReader(readFile(t, path)))
	if !vr.OK || len(after) != 3 || after[2].Name != "Repaired" || !strings.Contains(string(after[2].Data), shown.SHA256) {
		t.Fatalf("log after the repair: %+v, records %d, last %s %s", vr, len(after), after[len(after)-1].Name, after[len(after)-1].Data)
	}
}

// TestReplayRefusesOtherFormatsAndUnknownFields: a log of another format
// version, or with a field this version does not know, used to resume
// silently.
func TestReplayRefusesOtherFormatsAndUnknownFields(t *testing.T) {
	write := func(t *testing.T, cfg any, extra func(*Journal)) []Record {
		t.Helper()
		j, path := newTestJournal(t)
		mustAppend(t, j, RecordEvent, "Intake", "Configured", cfg)
		if extra != nil {
			extra(j)
		}
		j.Close()
		recs, vr := ReadJournal(bytes.NewReader(readFile(t, path)))
		if !vr.OK {
			t.Fatal(vr.Reason)
		}
		return recs
	}
	tests := []struct {
		name string
		recs func(t *testing.T) []Record
		want string // "" accepted
	}{
		{"this format", func(t *testing.T) []Record { return write(t, New(Config{Mode: ModeLive}).Config(), nil) }, ""},
		{"another format", func(t *testing.T) []Record {
			return write(t, Config{Format: "keyrunbook.log/v9", Mode: ModeLive}, nil)
		}, `format "keyrunbook.log/v9"`},
		{"no format", func(t *testing.T) []Record { return write(t, Config{Mode: ModeLive}, nil) }, `format "-"`},
		{"not starting with the configuration", func(t *testing.T) []Record {
			j, path := newTestJournal(t)
			mustAppend(t, j, RecordEvent, "Intake", "SubmitKey", SubmitKey{KeyID: testKey})
			j.Close()
			recs, _ := ReadJournal(bytes.NewReader(readFile(t, path)))
			return recs
		}, "not the configuration record"},
		{"unknown field", func(t *testing.T) []Record {
			return write(t, New(Config{Mode: ModeLive}).Config(), func(j *Journal) {
				mustAppend(t, j, RecordEvent, "Intake", "SubmitKey", map[string]string{"keyId": testKey, "keyAlias": "prod"})
			})
		}, `unknown field "keyAlias"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReplayRecords(tt.recs(t))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
