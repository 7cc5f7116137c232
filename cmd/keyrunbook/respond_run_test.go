package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// TestRespondRun calls respond as the GitHub CLI's tests call a command:
// options built by hand, no flags, every dependency a fake (the AWS
// configuration points at the simulated account).
func TestRespondRun(t *testing.T) {
	s, url := startServedSim(t, "root-key-ec2-onprem")
	now := time.Date(2026, 11, 23, 2, 10, 0, 0, time.UTC)
	tests := []struct {
		name     string
		terminal bool
		cfgErr   error
		// want is in the error, "" for none; ran says the TUI ran; logged
		// that the action log was started.
		want        string
		ran, logged bool
	}{
		{"a terminal runs the TUI on the incident", true, nil, "", true, true},
		{"no terminal: refused, pointing at --investigate-only", false, nil, "--investigate-only", false, true},
		{"no credentials: refused before any log", true, errors.New("no credentials"), "--profile", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the log's default place
			var out bytes.Buffer
			var targets []awsops.Target
			var ran []string
			o := respondOptions{
				IO:  streams{out: &out, err: &out},
				key: s.LeakedKeyID(), region: "us-east-1", profile: "incident", endpoint: url,
				watch: runbook.DefaultWatchWindow, days: 90,
				Now:        func() time.Time { return now },
				IsTerminal: func() bool { return tt.terminal },
				LoadConfig: func(ctx context.Context, tg awsops.Target) (aws.Config, error) {
					targets = append(targets, tg)
					if tt.cfgErr != nil {
						return aws.Config{}, tt.cfgErr
					}
					tg.Profile = "" // the simulated account's credentials are in the environment
					return awsops.LoadConfig(ctx, tg)
				},
				RunProgram: func(_ context.Context, m tea.Model) (tea.Model, error) {
					tm, ok := m.(tui.Model)
					if !ok {
						t.Fatalf("the program runs a %T, want tui.Model", m)
					}
					ran = append(ran, ansi.Strip(tm.View().Content))
					return m, nil
				},
			}
			err := respondRun(context.Background(), o)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if len(targets) != 1 || targets[0].Region != "us-east-1" || targets[0].Profile != "incident" || targets[0].Endpoint != url || targets[0].Logger == nil {
				t.Errorf("configuration asked for %+v, want the flags' region, profile and endpoint, with a quiet logger", targets)
			}
			if tt.ran != (len(ran) == 1) {
				t.Fatalf("the TUI ran %d times, want ran %v", len(ran), tt.ran)
			}
			if tt.ran && !strings.Contains(ran[0], s.LeakedKeyID()) {
				t.Errorf("the TUI's first screen does not name the key:\n%s", ran[0])
			}
			log := defaultLogName("incident-"+s.LeakedKeyID(), now)
			recs, readErr := readLog(log)
			if tt.logged != (readErr == nil) {
				t.Fatalf("action log %s: %v, want started %v", log, readErr, tt.logged)
			}
			if tt.logged && (len(recs) == 0 || recs[0].Name != "Configured" || recs[0].Mode != string(runbook.ModeLive)) {
				t.Errorf("the log starts %+v, want the live configuration", recs)
			}
		})
	}
}

func readLog(path string) ([]runbook.Record, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, res := runbook.ReadJournal(f)
	if !res.OK {
		return nil, errors.New(res.Reason)
	}
	return recs, nil
}
