package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// scanTrail answers a trail scan as a trail holding the sweep's events
// and the Lambda's S3 reads, which event history never had: 120 data
// events, all new.
func scanTrail(x runbook.ScanTrailSource, emit func(runbook.Event)) runbook.Event {
	var stats runbook.TrailScanStats
	if x.Source.Query != nil {
		// Athena and Lake report the query's state and the bytes it scanned.
		for _, state := range []string{"QUEUED", "RUNNING"} {
			stats.State, stats.ScannedBytes, stats.CostUSD = state, 1288490188, 0.00586
			emit(runbook.TrailScanProgress{Kind: x.Source.Kind, Stats: stats})
		}
		stats.State = "SUCCEEDED"
	} else {
		stats.FilesTotal = 48
		for _, files := range []int{12, 30} {
			stats.Files = files
			stats.Bytes = int64(files) * 65 << 10
			stats.Records = int64(files) * 1100
			emit(runbook.TrailScanProgress{Kind: x.Source.Kind, Stats: stats})
		}
		stats.Files, stats.Bytes, stats.Uncompressed, stats.Records = 48, 3_194_880, 41_533_440, 52_800
	}
	stats.Matched, stats.Covered, stats.DataEvents = 9351, 9231, 120
	reads := runbook.UsageCaller{ID: "c-lambda", SourceIP: "44.226.18.77", Kind: runbook.CallerLambda, Label: runbook.LabelLegitimate,
		Resource: "report-builder", Events: 120, FirstSeen: t0.Add(-80 * 24 * time.Hour), LastSeen: t0.Add(-10 * time.Minute),
		Regions: []string{"us-west-2"},
		Actions: []runbook.ActionUse{{Source: "s3.amazonaws.com", Name: "GetObject", Count: 120, ReadOnly: true,
			Resources: []string{"arn:aws:s3:::reporting-exports/daily.csv"}, LastSeen: t0.Add(-10 * time.Minute)}}}
	found := fixtureInvestigation(x.From, x.To)
	found.Callers = append(found.Callers, reads)
	return runbook.TrailSourceScanned{Source: x.Source, Stats: stats, Found: found,
		Added: []runbook.UsageCaller{reads}, AddedEvents: 120}
}

const lakeStore = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"

// What scanTrail's answers show: a query's state and cost, or the files.
const (
	queryProgress = "query RUNNING · 1.2 GiB scanned (about $0.0059)"
	querySummary  = "1.2 GiB scanned (about $0.0059)"
	filesProgress = "30 of 48 files · 1.9 MiB · 33000 records"
	filesSummary  = "48 of 48 files"
)

// A trail source goes from its line to a dialog that shows what will run,
// and only enter runs it; the summary then says what it added.
func TestTrailSourceFlow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name   string
		line   string
		dialog []string // on screen before enter
		scroll []string // on screen while scrolling the dialog down
		// progress is on screen while the scan runs, summary after.
		progress, summary string
		kind              runbook.TrailSourceKind
		query             bool
		days              int
	}{
		{name: "athena", line: "athena:ir/security.cloudtrail_logs output=s3://athena-results-730519468211/ir",
			dialog: []string{"Read Athena table security.cloudtrail_logs", "enter runs this query", "This query (StartQueryExecution)", "SELECT eventid AS eventid"},
			scroll: []string{`FROM "security"."cloudtrail_logs"`, "WHERE useridentity.accesskeyid = ?", "? in order: '" + testKey + "'"},
			kind:   runbook.TrailAthena, query: true, progress: queryProgress, summary: querySummary},
		{name: "athena creates its table", line: "athena:security.trail create=s3://org-trail-bucket/logs",
			dialog: []string{"Read Athena table security.trail", "First, this creates the table", "CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`trail`"},
			scroll: []string{"'s3://org-trail-bucket/logs/AWSLogs/730519468211/", "Then this query", `"timestamp" BETWEEN ? AND ?`},
			kind:   runbook.TrailAthena, query: true, progress: queryProgress, summary: querySummary},
		{name: "lake", line: "lake:" + lakeStore,
			dialog: []string{"Read CloudTrail Lake " + lakeStore, "CloudTrail Lake StartQuery", "SELECT eventID AS eventid"},
			scroll: []string{"FROM " + lakeStore, "WHERE userIdentity.accessKeyId = '" + testKey + "'"},
			kind:   runbook.TrailLake, query: true, progress: queryProgress, summary: querySummary},
		{name: "s3 over a year", line: "s3://org-trail-bucket/logs days=365",
			dialog: []string{"Read s3://org-trail-bucket/logs", "2025-11-23 03:00 → 2026-11-23 03:00 UTC, read only", "enter reads it"},
			kind:   runbook.TrailS3, days: 365, progress: filesProgress, summary: filesSummary},
		{name: "local directory", line: dir,
			dialog: []string{"enter reads it", "log files (.json.gz)"},
			kind:   runbook.TrailLocal, progress: filesProgress, summary: filesSummary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runbook.ModeLive)
			h.toInvestigated()
			h.press("T")
			h.wantScreen("Add a trail source", "athena:[WORKGROUP/]DB.TABLE")
			h.typeText(tt.line)
			h.press("enter")
			h.wantScreen(tt.dialog...)
			if slices.Contains(h.x.effectsRun(), "ScanTrailSource") {
				t.Fatal("the scan ran before the responder confirmed")
			}
			// Every line of the query can be scrolled to.
			seen := h.screen()
			for range 90 {
				h.press("down")
				seen += h.screen()
			}
			for _, s := range tt.scroll {
				if !strings.Contains(seen, s) {
					t.Errorf("scrolling the dialog never shows %q", s)
				}
			}
			h.press("up")
			if !strings.Contains(h.screen(), "↑/↓ scroll") && tt.query {
				t.Errorf("a long query does not say it scrolls:\n%s", h.screen())
			}

			h.hold["ScanTrailSource"] = true
			h.press("enter")
			wantBody(t, h, "reading the trail", tt.progress)
			h.release("ScanTrailSource")
			h.wantStep(runbook.StepInvestigate)
			wantBody(t, h, tt.summary, "9351 events found, 120 new · 120 data events", "Investigate · 9351 events")

			if len(h.x.scans) != 1 {
				t.Fatalf("%d scans ran, want 1", len(h.x.scans))
			}
			scan := h.x.scans[0]
			if scan.Source.Kind != tt.kind {
				t.Errorf("scanned a %s source, want %s", scan.Source.Kind, tt.kind)
			}
			if got := scan.Source.Query != nil; got != tt.query {
				t.Errorf("the source carries a query: %v, want %v", got, tt.query)
			}
			inv := h.m.State().Investigate.Investigation
			if tt.days > 0 {
				if want := inv.To.Add(-time.Duration(tt.days) * 24 * time.Hour); !scan.From.Equal(want) {
					t.Errorf("read from %s, want %s", scan.From, want)
				}
			}
			i := slices.IndexFunc(inv.Callers, func(c runbook.UsageCaller) bool { return c.ID == "c-lambda" })
			if i < 0 || !strings.Contains(actionSummary(inv.Callers[i].Actions), "s3:GetObject ×120") {
				t.Errorf("the Lambda's S3 reads were not merged: %+v", inv.Callers)
			}
		})
	}
}

// A source that does not parse is answered in the prompt, which stays
// open; nothing is submitted.
func TestTrailSourceRefused(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "trail.json.gz")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, line, want string
	}{
		{"bad bucket", "s3://Bad_Bucket/logs", "is not an S3 bucket name"},
		{"missing directory", "/no/such/trail/dir", "cannot be read"},
		{"a file", file, "a file: name the directory"},
		{"table in capitals", "athena:primary/Security.Trail", "is not an Athena table name"},
		{"results outside S3", "athena:security.trail output=/tmp/results", "Athena results location"},
		{"short lake ID", "lake:abc", "is not a CloudTrail Lake event data store ID"},
		{"option on s3", "s3://org-trail-bucket/logs output=s3://x/y", "goes with an athena: source only"},
		{"days not a number", "s3://org-trail-bucket/logs days=ever", "whole number of days"},
		{"unknown option", "athena:security.trail region=us-east-1", "is not an Athena option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runbook.ModeLive)
			h.toInvestigated()
			h.press("T")
			h.typeText(tt.line)
			h.press("enter")
			h.wantScreen("Add a trail source", tt.want)
			h.press("esc")
			if strings.Contains(h.screen(), "Add a trail source") {
				t.Fatal("esc left the prompt open")
			}
			if slices.Contains(h.x.effectsRun(), "ScanTrailSource") || len(h.m.State().Effects.Pending) > 0 {
				t.Fatalf("a refused source was submitted: ran %v", h.x.effectsRun())
			}
			log, err := os.ReadFile(h.path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(log), "AddTrailSource") {
				t.Error("a refused source reached the action log")
			}
		})
	}
}

// Esc in the dialog reads nothing; T is not offered while the sweep runs.
func TestTrailSourceCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toInvestigated()
	h.press("T")
	h.typeText("s3://org-trail-bucket/logs")
	h.press("enter")
	h.wantScreen("enter reads it")
	h.press("esc")
	if strings.Contains(h.screen(), "enter reads it") || slices.Contains(h.x.effectsRun(), "ScanTrailSource") {
		t.Fatalf("esc did not cancel the read:\n%s", h.screen())
	}

	sweeping := newHarness(t, runbook.ModeLive)
	sweeping.hold["SweepCloudTrail"] = true
	sweeping.toInvestigated()
	sweeping.press("T")
	if strings.Contains(sweeping.screen(), "Add a trail source") {
		t.Fatal("a trail source can be added before the sweep finished")
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {3_194_880, "3.0 MiB"}, {5 << 40, "5.0 TiB"}}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// wantBody looks for each text in the step view's lines joined by spaces,
// so a sentence wrapped over lines is found whole.
func wantBody(t *testing.T, h *harness, texts ...string) {
	t.Helper()
	var parts []string
	for _, l := range strings.Split(h.screen(), "\n") {
		if _, body, ok := strings.Cut(l, " │ "); ok {
			parts = append(parts, strings.TrimSpace(body))
		}
	}
	body := strings.Join(parts, " ")
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Fatalf("the step view lacks %q:\n%s", s, h.screen())
		}
	}
}
