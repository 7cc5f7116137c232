package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/awsops"
)

// TestResumeRun calls resume without flags: it prints where the incident
// stands, and continues it in the TUI only in a terminal, with the
// credentials given, unless --print.
func TestResumeRun(t *testing.T) {
	tests := []struct {
		name            string
		terminal, print bool
		cfgErr          error
		want            string // in the error, "" for none
		loaded, ran     bool
	}{
		{"a terminal continues the incident in the TUI", true, false, nil, "", true, true},
		{"no terminal: the state only", false, false, nil, "", false, false},
		{"--print: the state only", true, true, nil, "", false, false},
		{"no credentials: refused, naming --profile", true, false, errors.New("no credentials"), "--profile", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t)
			var out bytes.Buffer
			var targets []awsops.Target
			var screens []string
			o := resumeOptions{path: path, printOnly: tt.print, respondOptions: respondOptions{
				IO: streams{in: strings.NewReader(""), out: &out, err: &out}, profile: "incident", region: "eu-west-1",
				deps: deps{IsTerminal: func() bool { return tt.terminal },
					LoadConfig: func(_ context.Context, tg awsops.Target) (aws.Config, error) {
						targets = append(targets, tg)
						return aws.Config{Region: tg.Region}, tt.cfgErr
					},
					RunProgram: recordScreens(t, &screens)}}}
			err := resumeRun(context.Background(), o)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if !strings.Contains(out.String(), "Pending:    IdentifyKey") {
				t.Errorf("resume did not show the state:\n%s", out.String())
			}
			if tt.loaded != (len(targets) == 1) || tt.loaded && (targets[0].Profile != "incident" || targets[0].Region != "eu-west-1") {
				t.Errorf("configuration asked for %+v, want loaded %v with the flags' profile and region", targets, tt.loaded)
			}
			if tt.ran != (len(screens) == 1) || tt.ran && !strings.Contains(screens[0], "AKIAIOSFODNN7EXAMPLE") {
				t.Errorf("the TUI ran %d times (want ran %v): %v", len(screens), tt.ran, screens)
			}
		})
	}
}

// verify and report run without flags too.
func TestVerifyAndReportRun(t *testing.T) {
	path := writeLog(t)
	var out bytes.Buffer
	if err := verifyRun(verifyOptions{IO: streams{out: &out, err: &out}, path: path}); err != nil || !strings.Contains(out.String(), "intact") {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	dest := filepath.Join(t.TempDir(), "report.json")
	out.Reset()
	if err := reportRun(reportOptions{IO: streams{out: &out, err: &out}, logPath: path, format: "json", out: dest}); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	body, err := os.ReadFile(dest)
	if err != nil || !bytes.Contains(body, []byte("AKIAIOSFODNN7EXAMPLE")) {
		t.Fatalf("report file: %v\n%s", err, body)
	}
	if err := reportRun(reportOptions{IO: streams{out: &out, err: &out}, logPath: path, format: "json", out: path, force: true}); err == nil {
		t.Fatal("report wrote over the action log")
	}
}
