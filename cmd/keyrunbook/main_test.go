package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// call runs the command line and returns its exit status and outputs.
func call(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, streams{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

// writeLog leaves an incident whose identification was asked for and never
// answered, as a crash would.
func writeLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	j, err := runbook.CreateJournal(path, "live", "", func() time.Time { now = now.Add(time.Second); return now })
	if err != nil {
		t.Fatal(err)
	}
	en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeLive}, j)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := en.Submit(runbook.SubmitKey{KeyID: "AKIAIOSFODNN7EXAMPLE"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	return path
}

func TestVerify(t *testing.T) {
	good := writeLog(t)
	raw, _ := os.ReadFile(good)
	lines := bytes.SplitAfter(raw, []byte("\n"))
	variant := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(lines[0])+40] ^= 1 // one byte in line 2
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantOut  string
	}{
		{"intact", good, 0, "intact, 3 records"},
		{"one byte changed", variant("flip", flipped), 1, "line 2"},
		{"line removed", variant("removed", append(append([]byte(nil), lines[0]...), lines[2]...)), 1, "line 2"},
		{"torn last line", variant("torn", raw[:len(raw)-10]), 1, "torn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(t, "verify", tt.path)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantOut) {
				t.Fatalf("exit %d (want %d), output %q %q, want %q", code, tt.wantCode, out, errOut, tt.wantOut)
			}
		})
	}
}

func TestResumeShowsStepAndPendingIntent(t *testing.T) {
	code, out, errOut := call(t, "resume", writeLog(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Step:       Identify", "Key:        AKIAIOSFODNN7EXAMPLE", "Pending:    IdentifyKey", "reconciled"} {
		if !strings.Contains(out, want) {
			t.Errorf("resume output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"verify without log", []string{"verify"}, "missing action log path"},
		{"verify with two logs", []string{"verify", "a", "b"}, "expected one action log path"},
		{"unknown flag", []string{"verify", "--nope", "x"}, "flag provided but not defined"},
		{"resume without log", []string{"resume"}, "missing action log path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := call(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			last := strings.TrimSpace(errOut)
			if i := strings.LastIndex(last, "\n"); i >= 0 {
				last = last[i+1:]
			}
			if !strings.HasPrefix(last, "keyrunbook: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("stderr's last line %q, want one clear line containing %q", last, tt.want)
			}
		})
	}
}

func TestMissingLogIsAClearError(t *testing.T) {
	code, _, errOut := call(t, "verify", filepath.Join(t.TempDir(), "nope.jsonl"))
	if code != 1 || !strings.Contains(errOut, "no action log at") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	for _, c := range []string{"verify", "resume", "report", "respond", "train"} {
		code, out, _ := call(t, c, "--help")
		if code != 0 || !strings.Contains(out, "Example") {
			t.Errorf("%s --help: exit %d, output %q", c, code, out)
		}
		// The flag package prints the usage itself on -help; printing it
		// again made every command's help appear twice.
		if n := strings.Count(out, "Example"); n != 1 {
			t.Errorf("%s --help prints its text %d times, want once", c, n)
		}
	}
	if code, out, _ := call(t, "version"); code != 0 || !strings.HasPrefix(out, "keyrunbook ") {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func TestReportFormats(t *testing.T) {
	log := writeLog(t)
	for _, tt := range []struct{ format, want string }{
		{"md", "# Incident report: leaked access key AKIAIOSFODNN7EXAMPLE"},
		{"json", `"schema": "keyrunbook.report/v1"`},
		{"csv", "id,label,kind,source_ip"},
	} {
		code, out, errOut := call(t, "report", log, "--format", tt.format)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("report --format %s: exit %d, stderr %q, output lacks %q", tt.format, code, errOut, tt.want)
		}
	}
	if code, _, errOut := call(t, "report", log, "--format", "pdf"); code != 2 || !strings.Contains(errOut, "md, json or csv") {
		t.Errorf("bad format: exit %d %q", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "r.md")
	if code, _, _ := call(t, "report", "--out", out, log); code != 0 {
		t.Fatalf("report --out: exit %d", code)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("report file: %v %v", st, err)
	}
}

func TestSimServeRefusesBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sim"}, "expected 'sim serve'"},
		{[]string{"sim", "serve", "--addr", "10.0.0.1:4566"}, "must be a loopback address"},
		{[]string{"sim", "serve", "--addr", "nonsense"}, "not host:port"},
		{[]string{"sim", "serve", "--scenario", "nope"}, "no such scenario"},
		{[]string{"sim", "serve", "--speed", "-1"}, "must not be negative"},
	}
	for _, tt := range tests {
		code, _, errOut := call(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestDrillsNameOnlyTheLeakedKeysCallers(t *testing.T) {
	for _, info := range sim.Scenarios() {
		sc, err := sim.LoadScenario(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		d := drillFor(sc)
		if len(d.Legitimate) != len(sc.LegitimateCallers()) {
			t.Errorf("%s: drill names %d legitimate callers %v, the scenario has %d on the leaked key", info.Name, len(d.Legitimate), d.Legitimate, len(sc.LegitimateCallers()))
		}
		for _, ip := range d.Legitimate {
			if ip == "" {
				t.Errorf("%s: a legitimate caller without an address", info.Name)
			}
		}
	}
}
