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
				deps: deps{Now: func() time.Time { return now },
					IsTerminal: func() bool { return tt.terminal },
					LoadConfig: func(ctx context.Context, tg awsops.Target) (aws.Config, error) {
						targets = append(targets, tg)
						if tt.cfgErr != nil {
							return aws.Config{}, tt.cfgErr
						}
						tg.Profile = "" // the simulated account's credentials are in the environment
						return awsops.LoadConfig(ctx, tg)
					},
					RunProgram: recordScreens(t, &ran)},
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

// TestTrainRun plays a drill as a test calls a command: no flags, a fake
// terminal and a program that quits at once. The TUI gets the training
// incident, the log is named by the injected clock, and the debrief of a
// drill that did nothing is printed and scores it low.
func TestTrainRun(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Date(2026, 11, 23, 2, 10, 0, 0, time.UTC)
	var out bytes.Buffer
	var screens []string
	o := trainOptions{
		IO:       streams{out: &out, err: &out},
		scenario: "root-key-ec2-onprem", speed: 60, watch: runbook.DefaultWatchWindow,
		deps: deps{Now: func() time.Time { return now }, IsTerminal: func() bool { return true },
			RunProgram: recordScreens(t, &screens)},
	}
	if err := trainRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if len(screens) != 1 || !strings.Contains(screens[0], "TRAINING") {
		t.Fatalf("the TUI ran %d times, first screen:\n%v", len(screens), screens)
	}
	if !strings.Contains(out.String(), "Debrief — root-key-ec2-onprem:") || strings.Contains(out.String(), "100/100") {
		t.Errorf("want the debrief of an idle drill, got:\n%s", out.String())
	}
	if _, err := readLog(defaultLogName("training-root-key-ec2-onprem", now)); err != nil {
		t.Errorf("the action log named by the clock: %v", err)
	}

	o.IsTerminal = func() bool { return false }
	o.scenario = ""
	if err := trainRun(context.Background(), o); err == nil || !strings.Contains(err.Error(), "--scenario") {
		t.Errorf("without a terminal or a scenario: err = %v, want one pointing at --scenario", err)
	}
	if len(screens) != 1 {
		t.Error("the menu ran without a terminal")
	}
}

// recordScreens is a RunProgram that runs nothing: it checks the command
// opened the runbook's TUI and keeps its first screen, as the responder
// would see it.
func recordScreens(t *testing.T, screens *[]string) func(context.Context, tea.Model) (tea.Model, error) {
	return func(_ context.Context, m tea.Model) (tea.Model, error) {
		tm, ok := m.(tui.Model)
		if !ok {
			t.Fatalf("the program runs a %T, want tui.Model", m)
		}
		*screens = append(*screens, ansi.Strip(tm.View().Content))
		return m, nil
	}
}
