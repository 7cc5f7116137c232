package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// orgNow: the organization's clock decides which keys look unused, so it
// is the simulated one when keyrunbook holds it, else the server's, and
// this machine's only when the server sent no Date.
func TestOrgNowIsTheOrganizationsClock(t *testing.T) {
	local := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	simulated := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	server := time.Date(2025, 6, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		clock    func() time.Time
		server   time.Time
		want     time.Time
		wantFrom string
	}{
		{"simulated organization held here", func() time.Time { return simulated }, server, simulated, "the simulated organization's clock"},
		{"a server's Date", nil, server, server, "the server's clock"},
		{"no Date: this machine's", nil, time.Time{}, local, "this machine's clock (the server's answer had no Date)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := orgOptions{clock: tt.clock, deps: deps{Now: func() time.Time { return local }}}
			got, from := o.orgNow(awsops.OrgAuditResult{ServerTime: tt.server})
			if !got.Equal(tt.want) || from != tt.wantFrom {
				t.Errorf("now %s from %q, want %s from %q", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}

// NEXT names the command of each account's next move, as the campaign
// makes it, with this run's flags.
func TestOrgNextNamesTheCommand(t *testing.T) {
	now := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	window := 90 * 24 * time.Hour
	key := func(id string, used time.Time, known bool) runbook.RootKey {
		return runbook.RootKey{ID: id, Status: "Active", LastUsed: used, LastUsedKnown: known}
	}
	assumed := func(keys ...runbook.RootKey) runbook.RootAudit {
		return runbook.RootAudit{Account: "410000000101", Source: runbook.SourceAssumeRoot, HasKeys: runbook.Yes, Keys: keys}
	}
	o := orgOptions{profile: "org-management", endpoint: "http://127.0.0.1:4566"}
	tests := []struct {
		name string
		o    orgOptions
		a    runbook.RootAudit
		want []string
	}{
		{"unused: bulk deletion", o, assumed(key("AKIAUNUSED", time.Time{}, true)),
			[]string{"unused: delete through AssumeRoot: keyrunbook org --profile org-management --endpoint-url http://127.0.0.1:4566 --retire-unused --log org.jsonl"}},
		{"unused, retiring now", orgOptions{retire: true}, assumed(key("AKIAUNUSED", now.Add(-400*24*time.Hour), true)),
			[]string{"the review below"}},
		{"in use: its runbook", o, assumed(key("AKIAINUSE", now.Add(-20*time.Minute), true)),
			[]string{"in use: contain with an SCP, replace the caller, delete through AssumeRoot: keyrunbook respond --key AKIAINUSE --profile MEMBER-PROFILE --org-admin-profile org-management --endpoint-url http://127.0.0.1:4566"}},
		{"in use, no profile", orgOptions{}, assumed(key("AKIAINUSE", now.Add(-time.Hour), true)),
			[]string{"--org-admin-profile MANAGEMENT-PROFILE"}},
		{"in use, simulated: the TUI", orgOptions{scenario: "org-iam4"}, assumed(key("AKIAINUSE", now.Add(-time.Hour), true)),
			[]string{"enter on it in keyrunbook org --scenario org-iam4"}},
		{"last use unknown: its runbook reads it", o, assumed(key("AKIAUNKNOWN", time.Time{}, false)),
			[]string{"last use unknown:", "respond --key AKIAUNKNOWN"}},
		{"management account", o, runbook.RootAudit{Management: true, Source: "account summary", HasKeys: runbook.Yes},
			[]string{"sign in as the management account's root user"}},
		{"Security Hub only", o, runbook.RootAudit{Source: runbook.SourceSecurityHub, HasKeys: runbook.Yes},
			[]string{"enable centralized root access", "--log NEW.jsonl"}},
		{"unread", o, runbook.RootAudit{HasKeys: runbook.Unknown, Why: "unknown, because sts:AssumeRoot was denied"},
			[]string{"unknown, because sts:AssumeRoot was denied; then keyrunbook org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.o.nextStep("org.jsonl", now, window, awsops.RootFeatures{})(tt.a)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("next %q, want it to say %q", got, w)
				}
			}
			if strings.HasSuffix(got, "(keyrunbook respond)") {
				t.Errorf("next %q is the old catch-all", got)
			}
		})
	}
}

// In a terminal, org shows the audit in its TUI, run by the injected
// program runner, on the simulated organization's clock.
func TestOrgRunOpensTheTableInATerminal(t *testing.T) {
	isolateAWS(t)
	var out, errb bytes.Buffer
	var screens []string
	o := orgOptions{IO: streams{in: strings.NewReader(""), out: &out, err: &errb},
		scenario: "org-iam4", logPath: filepath.Join(t.TempDir(), "org.jsonl"),
		days: 90, parallel: awsops.DefaultOrgWorkers, rate: awsops.DefaultAssumeRootRate,
		deps: deps{IsTerminal: func() bool { return true },
			RunProgram: func(_ context.Context, m tea.Model) (tea.Model, error) {
				om, ok := m.(tui.OrgModel)
				if !ok {
					t.Fatalf("the program runs a %T, want tui.OrgModel", m)
				}
				mm, _ := om.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
				screens = append(screens, ansi.Strip(mm.(tui.OrgModel).View().Content))
				return m, nil // quit without choosing an account
			}}}
	if err := orgRun(context.Background(), o); err != nil {
		t.Fatalf("org: %v\n%s", err, errb.String())
	}
	if len(screens) != 1 || !strings.Contains(screens[0], "sandbox-7") || !strings.Contains(screens[0], "TRAINING") {
		t.Fatalf("the TUI ran %d times; screen:\n%s", len(screens), strings.Join(screens, "\n---\n"))
	}
	if out.Len() != 0 || !strings.Contains(errb.String(), "now 2025-06-02 09:30 UTC, from the simulated organization's clock") {
		t.Errorf("stdout %q (want nothing: the table is the TUI's), stderr:\n%s", out.String(), errb.String())
	}
}
