package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportNeverWritesOverALog: `report LOG --out LOG` used to replace the
// action log with its own report, destroying the evidence.
func TestReportNeverWritesOverALog(t *testing.T) {
	log := writeLog(t)
	before, _ := os.ReadFile(log)
	other := filepath.Join(t.TempDir(), "report.md")
	os.WriteFile(other, []byte("yesterday's report"), 0o600)
	fresh := filepath.Join(t.TempDir(), "fresh.md")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		file     string
		wantBody string // prefix of the file after the run
	}{
		{"over its own log", []string{"report", log, "--out", log}, 1, "is an action log and is never written over", log, string(before)},
		{"over its own log, forced", []string{"report", log, "--out", log, "--force"}, 1, "even with --force", log, string(before)},
		{"over an existing file", []string{"report", log, "--out", other}, 1, "already exists", other, "yesterday's report"},
		{"over an existing file, forced", []string{"report", log, "--out", other, "--force"}, 0, "report written", other, "# Incident report"},
		{"a new file", []string{"report", log, "--out", fresh}, 0, "report written", fresh, "# Incident report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := call(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d), stderr %q, want %q", code, tt.wantCode, errOut, tt.wantErr)
			}
			got, _ := os.ReadFile(tt.file)
			if !strings.HasPrefix(string(got), tt.wantBody) {
				t.Fatalf("%s now starts %q, want %q", tt.file, firstLine(got), firstLine([]byte(tt.wantBody)))
			}
		})
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

// TestVerifyAndReportTellTheTruth: an empty file is not an intact log, a
// tampered log's report exits non-zero after its warning, and both print
// the chain's head so a copy kept elsewhere can show a log cut short.
func TestVerifyAndReportTellTheTruth(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	os.WriteFile(empty, nil, 0o600)
	if code, _, errOut := call(t, "verify", empty); code != 1 || !strings.Contains(errOut, "holds no records") {
		t.Errorf("verify of an empty file: exit %d, stderr %q", code, errOut)
	}

	log := writeLog(t)
	code, out, _ := call(t, "verify", log)
	if code != 0 || !strings.Contains(out, "head: ") {
		t.Fatalf("verify: exit %d, %q", code, out)
	}
	head := strings.Fields(out[strings.Index(out, "head: ")+6:])[0]
	if code, md, _ := call(t, "report", log); code != 0 || !strings.Contains(md, head) {
		t.Errorf("report of an intact log: exit %d, head %s in report: %v", code, head, strings.Contains(md, head))
	}

	raw, _ := os.ReadFile(log)
	raw[len(raw)-100] ^= 1 // a byte of the last record
	tampered := filepath.Join(t.TempDir(), "tampered.jsonl")
	os.WriteFile(tampered, raw, 0o600)
	code, md, errOut := call(t, "report", tampered)
	if code != 1 || !strings.Contains(errOut, "does not verify") || !strings.Contains(md, "did NOT verify") {
		t.Errorf("report of a tampered log: exit %d, stderr %q", code, errOut)
	}
}

// TestResumeCutsATornLineOnlyWhenAgreed: resume used to refuse a torn log
// and print a truncate command for the responder to run by hand.
func TestResumeCutsATornLineOnlyWhenAgreed(t *testing.T) {
	torn := func(t *testing.T) (string, []byte) {
		log := writeLog(t)
		raw, _ := os.ReadFile(log)
		raw = raw[:len(raw)-7]
		os.WriteFile(log, raw, 0o600)
		return log, raw
	}
	log, raw := torn(t)
	code, out, errOut := call(t, "resume", log, "--print")
	if code != 1 || !strings.Contains(out, "line 3 is torn") || !strings.Contains(errOut, "--repair") {
		t.Fatalf("declined: exit %d\n%s\n%s", code, out, errOut)
	}
	if now, _ := os.ReadFile(log); !bytes.Equal(now, raw) {
		t.Fatal("a declined repair changed the log")
	}

	log, _ = torn(t)
	code, out, errOut = call(t, "resume", log, "--print", "--repair")
	if code != 0 || !strings.Contains(out, "cut; the repair is journaled") || !strings.Contains(out, "Pending:    IdentifyKey") {
		t.Fatalf("--repair: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := call(t, "verify", log); code != 0 || !strings.Contains(out, "intact, 3 records") {
		t.Fatalf("verify after the repair: exit %d %s", code, out)
	}
}
