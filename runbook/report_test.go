package runbook

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
)

func recordsOf(t *testing.T, path string) ([]Record, VerifyResult) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ReadJournal(f)
}

func modelRunRecords(t *testing.T) ([]Record, VerifyResult, []byte) {
	t.Helper()
	en, path := newTestEngine(t)
	playModelResponse(t, en, &scripted{now: t0})
	recs, vr := recordsOf(t, path)
	raw, _ := os.ReadFile(path)
	return recs, vr, raw
}

func TestReportMarkdownGolden(t *testing.T) {
	recs, vr, _ := modelRunRecords(t)
	r, err := BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, r.Markdown())
}

func TestReportContent(t *testing.T) {
	recs, vr, _ := modelRunRecords(t)
	r, err := BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Outcome != "closed" || !r.Verified {
		t.Fatalf("summary = %+v verified %v", r.Summary, r.Verified)
	}
	// Intake is the second record (t0+2s); the scripted executor's clock
	// says the key went inactive at t0+… minutes: both come from the log.
	if r.Metrics.TimeToContainS == nil || *r.Metrics.TimeToContainS <= 0 {
		t.Fatalf("time to contain = %v", r.Metrics.TimeToContainS)
	}
	if r.Metrics.TimeToDetectS == nil || *r.Metrics.TimeToDetectS != int64((time.Hour+2*time.Second)/time.Second) {
		t.Fatalf("time to detect = %v, want 3602", deref(r.Metrics.TimeToDetectS))
	}
	if len(r.ChangePlan) == 0 {
		t.Fatal("the mutations noted as would-call are missing from the change plan")
	}
	md := string(r.Markdown())
	for _, want := range []string{"## Summary", "## Metrics", "### Callers", "### Blast radius", "## Replacements", "```json", "## Hardening checklist", "## Timeline (UTC)", "incident opened for key " + testKey} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestReportJSONAndCSVCarryNoSecret(t *testing.T) {
	recs, vr, raw := modelRunRecords(t)
	r, err := BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil || back["schema"] != ReportSchema {
		t.Fatalf("JSON report does not parse or lacks its schema: %v", err)
	}
	csv, err := r.CallersCSV()
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csv), "\n"); lines != 1+len(fixtureInvestigation().Callers) {
		t.Fatalf("CSV has %d lines, want header + %d callers", lines, len(fixtureInvestigation().Callers))
	}
	for name, out := range map[string][]byte{"log": raw, "markdown": r.Markdown(), "json": js, "csv": csv} {
		if bytes.Contains(out, []byte(testSecret)) {
			t.Errorf("the secret access key appears in the %s", name)
		}
	}
}

func TestReportOfABrokenLogSaysSoAtTheTop(t *testing.T) {
	_, _, raw := modelRunRecords(t)
	lines := bytes.SplitAfter(raw, []byte("\n"))
	broken := bytes.Join(append(lines[:5:5], lines[6:]...), nil) // a line removed
	recs, vr := ReadJournal(bytes.NewReader(broken))
	if vr.OK {
		t.Fatal("a log with a line removed verified")
	}
	r, err := BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown())
	first := strings.SplitN(md, "\n\n", 3)
	if len(first) < 2 || !strings.Contains(first[1], "did NOT verify") {
		t.Fatalf("the warning is not at the top:\n%s", md[:min(len(md), 400)])
	}
}

func TestDebriefScoresModelAndCarelessResponses(t *testing.T) {
	drill := Drill{Scenario: "fixture", Legitimate: []string{"54.1.2.3", "198.51.100.7"}, Planted: []Resource{{Type: "iam-user", ID: "backup-admin"}}}
	recs, _, _ := modelRunRecords(t)
	db, err := Score(drill, recs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if db.Score != 100 {
		t.Fatalf("model response scored %d:\n%s", db.Score, db.Text())
	}

	// Careless: tries to delete during the watch, leaves the attacker's user.
	en, path := newTestEngine(t)
	x := &scripted{now: t0}
	for _, ev := range []Event{
		SubmitKey{KeyID: testKey}, BeginInvestigation{From: t0.Add(-time.Hour), To: t0}, BeginProposals{},
		DecideProposal{CallerID: "c-ec2", Decision: DecisionApply}, DecideProposal{CallerID: "c-cron", Decision: DecisionApply},
		ApplyProposals{}, ProceedToDeactivate{}, SignInAsRoot{MFACode: "123456"},
	} {
		if err := en.Run(t.Context(), x, ev); err != nil {
			t.Fatal(err)
		}
	}
	// Deactivate, and before the first watch reading comes back, try to delete.
	effects, err := en.Submit(ConfirmDeactivate{})
	if err != nil {
		t.Fatal(err)
	}
	res := x.Run(t.Context(), effects[0], func(Event) {})
	if _, err := en.Submit(res); err != nil {
		t.Fatal(err)
	}
	if _, err := en.Submit(ConfirmDelete{Typed: "MPLE"}); err == nil {
		t.Fatal("delete during the watch was accepted")
	}
	recs, _ = recordsOf(t, path)
	db, err = Score(drill, recs, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	text := db.Text()
	if db.Score >= 100 || !strings.Contains(text, "tried to delete the key before the watch window passed") || !strings.Contains(text, "left in the account: iam-user backup-admin") {
		t.Fatalf("careless response debrief:\n%s", text)
	}
}

func TestTrailSourceRecordsAreResultsWithASentence(t *testing.T) {
	scanned := TrailSourceScanned{Source: TrailSource{Kind: "local", Location: "/var/trail"}, Stats: TrailScanStats{Files: 3, Matched: 120, DataEvents: 7}, AddedEvents: 7}
	if !IsResult(scanned) || !IsResult(TrailScanProgress{}) {
		t.Fatal("a trail scan's result is journaled as an event, not a result")
	}
	data, _ := json.Marshal(scanned)
	got := describe(Record{Type: RecordResult, Name: scanned.EventName(), Data: data})
	for _, want := range []string{"3 file(s)", "120 record(s)", "7 data event(s)"} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline sentence %q lacks %q", got, want)
		}
	}
}
