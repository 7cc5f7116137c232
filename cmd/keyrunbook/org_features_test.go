package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// orgIAM4With is org-iam4 with the two features of centralized root
// access as given.
func orgIAM4With(t *testing.T, credsMgmt, rootSessions bool) *sim.Scenario {
	t.Helper()
	sc, err := sim.LoadScenario("org-iam4")
	if err != nil {
		t.Fatal(err)
	}
	sc.Organization.RootCredentialsManagement, sc.Organization.RootSessions = credsMgmt, rootSessions
	return sc
}

// servedOrg starts the simulated organization of sc with the management
// account's credentials, as keyrunbook org would hold them.
func servedOrg(t *testing.T, sc *sim.Scenario) *campaign {
	t.Helper()
	isolateAWS(t)
	c, stop, err := startCampaign(context.Background(), sc, filepath.Join(t.TempDir(), "campaign.jsonl"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return c
}

// orgOn is org's options against a served organization, on its clock.
func orgOn(c *campaign, log string, out, errb *bytes.Buffer, retire bool) orgOptions {
	return orgOptions{IO: streams{in: strings.NewReader("5\n"), out: out, err: errb}, logPath: log, retire: retire,
		days: 90, parallel: awsops.DefaultOrgWorkers, rate: awsops.DefaultAssumeRootRate, clock: c.sim.Now,
		deps: deps{IsTerminal: func() bool { return false }}}
}

// With RootSessions alone org reads every member through AssumeRoot, and
// --retire-unused refuses before its review, naming the call that enables
// root credentials management, and sends no deletion.
func TestOrgWithRootSessionsAloneReadsMembersAndRefusesToRetire(t *testing.T) {
	c := servedOrg(t, orgIAM4With(t, false, true))
	log := filepath.Join(t.TempDir(), "org.jsonl")
	var out, errb bytes.Buffer
	err := auditOrg(context.Background(), c.mgmt, runbook.ModeTraining, orgOn(c, log, &out, &errb, true))
	if err == nil || !strings.Contains(err.Error(), awsops.EnableRootCredentialsManagementCall) || strings.Contains(err.Error(), awsops.EnableRootSessionsCall) {
		t.Fatalf("org --retire-unused returned %v, want the refusal naming only %q", err, awsops.EnableRootCredentialsManagementCall)
	}
	if s := errb.String(); !strings.Contains(s, "! Root credentials management is not enabled") || strings.Contains(s, "Root keys no caller used") ||
		strings.Contains(s, "Type ") {
		t.Fatalf("stderr shows no advice, or a review and a question despite the refusal:\n%s", s)
	}
	if !strings.Contains(out.String(), "unused: enable root credentials management ("+awsops.EnableRootCredentialsManagementCall+"), then delete through AssumeRoot") {
		t.Fatalf("the table's NEXT does not name the call first:\n%s", out.String())
	}
	audited := 0
	for _, r := range readRecords(t, log) {
		switch r.Name {
		case runbook.RecordRetireRootKey:
			t.Fatalf("a deletion was journaled despite the refusal: %s", r.Data)
		case runbook.RecordRootAudited:
			var a runbook.RootAudit
			if err := json.Unmarshal(r.Data, &a); err != nil {
				t.Fatal(err)
			}
			if !a.Management && a.Source != runbook.SourceAssumeRoot {
				t.Fatalf("%s read from %q (%s), want AssumeRoot", a.Account, a.Source, a.Why)
			}
			audited++
		}
	}
	if audited != 51 {
		t.Fatalf("%d accounts journaled, want 51", audited)
	}
	for _, rq := range c.sim.Requests() {
		if rq.Action == "DeleteAccessKey" || rq.Action == "AssumeRoot" && rq.ErrorCode != "" || rq.Action == "GetFindings" {
			t.Fatalf("%s was called (%s): only the audit's sessions, all allowed, should be", rq.Action, rq.ErrorCode)
		}
	}
}

// Without either feature org falls back to Security Hub, advises both
// calls, and --retire-unused refuses with both.
func TestOrgWithoutRootAccessFallsBackAndRefusesToRetire(t *testing.T) {
	sc := orgIAM4With(t, false, false)
	sc.Organization.SecurityHub = true
	c := servedOrg(t, sc)
	var out, errb bytes.Buffer
	err := auditOrg(context.Background(), c.mgmt, runbook.ModeTraining, orgOn(c, filepath.Join(t.TempDir(), "org.jsonl"), &out, &errb, true))
	both := []string{awsops.EnableRootSessionsCall, awsops.EnableRootCredentialsManagementCall}
	for _, call := range both {
		if err == nil || !strings.Contains(err.Error(), call) || !strings.Contains(errb.String(), call) {
			t.Fatalf("error %v, stderr:\n%s\nwant both the advice and the refusal to name %q", err, errb.String(), call)
		}
	}
	if !strings.Contains(out.String(), "enable centralized root access") {
		t.Fatalf("the table does not send the Security Hub accounts to enabling root access:\n%s", out.String())
	}
}

// In the TUI, r with root credentials management off shows the refusal
// and its call instead of the review.
func TestOrgTUIRefusesToRetireWithoutCredentialsManagement(t *testing.T) {
	c := servedOrg(t, orgIAM4With(t, false, true))
	var out, errb bytes.Buffer
	o := orgOn(c, filepath.Join(t.TempDir(), "org.jsonl"), &out, &errb, false)
	var screen string
	o.IsTerminal = func() bool { return true }
	o.RunProgram = func(_ context.Context, m tea.Model) (tea.Model, error) {
		m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m, _ = m.Update(tea.KeyPressMsg{Code: 'r', Text: "r"})
		screen = ansi.Strip(m.(tui.OrgModel).View().Content)
		return m, nil
	}
	if err := auditOrg(context.Background(), c.mgmt, runbook.ModeTraining, o); err != nil {
		t.Fatalf("org: %v\n%s", err, errb.String())
	}
	if !strings.Contains(screen, "No root key can be deleted") || !strings.Contains(screen, awsops.EnableRootCredentialsManagementCall) ||
		strings.Contains(screen, "Review:") {
		t.Fatalf("after r:\n%s", screen)
	}
}

// The campaign refuses its bulk retirement before the review when root
// credentials management is off.
func TestOrgCampaignRefusesToRetireWithoutCredentialsManagement(t *testing.T) {
	isolateAWS(t)
	dir := t.TempDir()
	t.Chdir(dir)
	var out bytes.Buffer
	err := playCampaign(context.Background(), orgIAM4With(t, false, true), filepath.Join(dir, "org.jsonl"), 30*time.Minute, &out)
	if err == nil || !strings.Contains(err.Error(), awsops.EnableRootCredentialsManagementCall) || strings.Contains(out.String(), "Review") {
		t.Fatalf("campaign: %v\n%s", err, out.String())
	}
	for _, r := range readRecords(t, filepath.Join(dir, "org.jsonl")) {
		if r.Name == runbook.RecordRetireRootKey {
			t.Fatalf("a deletion was journaled despite the refusal: %s", r.Data)
		}
	}
}
