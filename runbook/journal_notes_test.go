package runbook

import (
	"bytes"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestNotesAreWrittenAtOnceAndSyncedInBatches: a note is in the file when
// Note returns (a killed process loses none) but waits for the disk only
// with the next record write-ahead needs, or NoteSyncDelay later, or Close;
// records of both kinds chain in the order they were made.
func TestNotesAreWrittenAtOnceAndSyncedInBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFile{}
		j := newJournal(f, "live", "", stepClock(), 0, "")
		ops := func() string { // under the journal's lock, as its timer writes
			j.mu.Lock()
			defer j.mu.Unlock()
			return strings.Join(f.ops, " ")
		}
		note := func() Record {
			t.Helper()
			c := APICall{Service: "cloudtrail", Operation: "LookupEvents", Region: "eu-west-1"}
			rec, err := j.Note("", "Investigate", c.EventName(), c)
			if err != nil {
				t.Fatal(err)
			}
			return rec
		}
		steps := []struct {
			name string
			do   func()
			want string
		}{
			{"three notes: written, not synced", func() { note(); note(); note() }, "write write write"},
			{"an intent syncs itself and the notes before it", func() { mustAppend(t, j, RecordIntent, "Deactivate", "DeactivateKey", nil) }, "write write write write sync"},
			{"a note after it", func() { note() }, "write write write write sync write"},
			{"nothing before the delay", func() { time.Sleep(NoteSyncDelay - time.Millisecond); synctest.Wait() }, "write write write write sync write"},
			{"the batch synced at the delay", func() { time.Sleep(time.Millisecond); synctest.Wait() }, "write write write write sync write sync"},
			{"no sync without a note", func() { time.Sleep(10 * NoteSyncDelay); synctest.Wait() }, "write write write write sync write sync"},
			{"Close syncs the last notes", func() {
				note()
				if err := j.Close(); err != nil {
					t.Fatal(err)
				}
			}, "write write write write sync write sync write sync close"},
		}
		for _, st := range steps {
			st.do()
			if got := ops(); got != st.want {
				t.Fatalf("%s: the calls were %q, want %q", st.name, got, st.want)
			}
		}
		res := VerifyJournal(bytes.NewReader(bytes.Join(f.writes, nil)))
		if !res.OK || res.Records != 6 {
			t.Fatalf("notes and records do not verify as one chain of 6: %+v", res)
		}
		if j.Syncs() != 3 {
			t.Errorf("Syncs() = %d, want 3", j.Syncs())
		}
	})
}
