package awsops

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func athenaSrc() runbook.TrailSource {
	return runbook.TrailSource{Kind: runbook.TrailAthena, Workgroup: "primary", Table: "default.cloudtrail_logs",
		Output: "s3://athena-results-418295730164/keyrunbook/"}
}

// shown is src with the query the machine shows the responder for it.
func (e *trailEnv) shown(t *testing.T, src runbook.TrailSource) runbook.TrailSource {
	t.Helper()
	q, err := e.m.State().TrailQuery(src, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	src.Query = q
	return src
}

// sameCallers checks two folds of the same records found the same callers.
func sameCallers(t *testing.T, what string, got, want runbook.TrailSourceScanned) {
	t.Helper()
	if g, w := strings.Join(callerIDsOf(got.Found.Callers), " "), strings.Join(callerIDsOf(want.Found.Callers), " "); g != w {
		t.Fatalf("%s callers:\n%s\nfrom S3:\n%s", what, g, w)
	}
	for i, c := range got.Found.Callers {
		if w := want.Found.Callers[i]; c.Events != w.Events || len(c.Actions) != len(w.Actions) {
			t.Errorf("%s caller %s: %d events, %d actions; from S3 %d, %d", what, c.ID, c.Events, len(c.Actions), w.Events, len(w.Actions))
		}
	}
	if got.Stats.Matched != want.Stats.Matched || got.Stats.DataEvents != want.Stats.DataEvents {
		t.Errorf("%s matched %d (%d data), S3 %d (%d)", what, got.Stats.Matched, got.Stats.DataEvents, want.Stats.Matched, want.Stats.DataEvents)
	}
}

func TestAthenaRunsTheQueryShownWithParameters(t *testing.T) {
	e := newTrailEnv(t)
	fromS3 := mustScan(t, e.scan(t, runbook.TrailSource{Kind: runbook.TrailS3, Location: trailURI}, runbook.TrailCoverage{}))
	src := e.shown(t, athenaSrc())
	seen := e.apply(t, runbook.AddTrailSource{Source: src})
	res := mustScan(t, seen[len(seen)-1])

	queries, params := e.sim.AthenaQueries()
	if len(queries) != 1 || queries[0] != src.Query.SQL {
		t.Fatalf("Athena ran %q, the responder was shown %q", queries, src.Query.SQL)
	}
	if strings.Contains(queries[0], e.key) || strings.Contains(queries[0], "2025-") {
		t.Fatalf("values spliced into the SQL:\n%s", queries[0])
	}
	if len(params[0]) != 3 || params[0][0] != "'"+e.key+"'" {
		t.Fatalf("execution parameters = %q", params[0])
	}
	sameCallers(t, "Athena", res, fromS3)
	if res.Stats.ScannedBytes == 0 || res.Stats.CostUSD < QueryCost(0, athenaMinBytes) || res.Stats.State != "SUCCEEDED" {
		t.Fatalf("stats %+v: want bytes scanned and a cost", res.Stats)
	}
	var states []string
	var started json.RawMessage
	for _, ev := range seen {
		switch p := ev.(type) {
		case runbook.TrailScanProgress:
			if len(states) == 0 || states[len(states)-1] != p.Stats.State {
				states = append(states, p.Stats.State)
			}
		case runbook.APICall:
			if p.Operation == "StartQueryExecution" {
				started = p.Input
			}
		}
	}
	if strings.Join(states, ",") != "QUEUED,RUNNING,SUCCEEDED" {
		t.Errorf("progress states %v", states)
	}
	if !strings.Contains(string(started), `"ExecutionParameters":["'`+e.key+`'`) {
		t.Errorf("the action log's StartQueryExecution: %s", started)
	}
	if !strings.Contains(strings.Join(e.m.State().Investigate.Investigation.Coverage, " "), "the query scanned") {
		t.Errorf("coverage does not say what the query scanned: %q", e.m.State().Investigate.Investigation.Coverage)
	}
}

func TestAthenaCreatesTheTableItShows(t *testing.T) {
	e := newTrailEnv(t)
	src := athenaSrc()
	src.Table, src.CreateTable, src.Location = "security.keyrunbook_trail", true, trailURI
	src = e.shown(t, src)
	if !strings.Contains(src.Query.DDL, "LOCATION 's3://northwind-cloudtrail-418295730164/AWSLogs/418295730164/CloudTrail/'") ||
		!strings.Contains(src.Query.SQL, `"timestamp" BETWEEN ? AND ?`) {
		t.Fatalf("DDL:\n%s\nSQL:\n%s", src.Query.DDL, src.Query.SQL)
	}
	res := mustScan(t, e.scan(t, src, runbook.TrailCoverage{}))
	queries, params := e.sim.AthenaQueries()
	if len(queries) != 2 || queries[0] != src.Query.DDL || len(params[0]) != 0 || len(params[1]) != 5 {
		t.Fatalf("Athena ran %d statements: %q %q", len(queries), queries, params)
	}
	if res.Stats.Matched == 0 {
		t.Fatal("the created table returned nothing")
	}
}

func TestAthenaFailuresSayWhy(t *testing.T) {
	e := newTrailEnv(t)
	noOutput := athenaSrc()
	noOutput.Output = ""
	missing := athenaSrc()
	missing.Table = "security.nope"
	tests := []struct {
		name string
		src  runbook.TrailSource
		want string
	}{
		{"primary workgroup without an output location", noOutput, "No output location provided"},
		{"a table that does not exist", missing, "TABLE_NOT_FOUND"},
		{"no query shown", athenaSrc(), "carries no query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if tt.name != "no query shown" {
				src = e.shown(t, src)
			}
			f, ok := e.scan(t, src, runbook.TrailCoverage{}).(runbook.EffectFailed)
			if !ok || !strings.Contains(f.Message, tt.want) {
				t.Fatalf("got %#v, want a failure saying %q", f, tt.want)
			}
		})
	}
}

func TestLakeRunsTheQueryShown(t *testing.T) {
	e := newTrailEnv(t)
	fromS3 := mustScan(t, e.scan(t, runbook.TrailSource{Kind: runbook.TrailS3, Location: trailURI}, runbook.TrailCoverage{}))
	src := e.shown(t, runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: e.sim.EventDataStoreID()})
	res := mustScan(t, e.scan(t, src, runbook.TrailCoverage{}))
	if got := e.sim.LakeQueries(); len(got) != 1 || got[0] != src.Query.SQL || !strings.Contains(got[0], "'"+e.key+"'") {
		t.Fatalf("Lake ran %q, the responder was shown %q", got, src.Query.SQL)
	}
	sameCallers(t, "Lake", res, fromS3)
	if res.Stats.ScannedBytes == 0 || res.Stats.State != "FINISHED" {
		t.Fatalf("stats %+v", res.Stats)
	}

	other := e.shown(t, runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: "00000000-0000-4000-8000-000000000000"})
	if f, ok := e.scan(t, other, runbook.TrailCoverage{}).(runbook.EffectFailed); !ok || f.Code != "EventDataStoreNotFoundException" {
		t.Fatalf("an unknown store: %#v", f)
	}
}

func TestRecordOfRow(t *testing.T) {
	tests := []struct {
		name     string
		row      map[string]string
		wantTime string
		wantErr  bool
		check    func(TrailRecord) bool
	}{
		{name: "athena", row: map[string]string{"eventid": "e1", "eventtime": "2025-06-01T09:30:00Z", "eventname": "GetObject",
			"eventsource": "s3.amazonaws.com", "readonly": "true", "identity_key": "AKIAX", "requestparameters": `{"bucketName":"b"}`},
			wantTime: "2025-06-01T09:30:00Z", check: func(r TrailRecord) bool {
				return r.ReadOnly && r.UserIdentity.AccessKeyID == "AKIAX" && string(r.RequestParameters) == `{"bucketName":"b"}`
			}},
		{name: "lake times and a map that is not JSON", row: map[string]string{"eventid": "e2", "eventtime": "2025-06-01 09:30:00.250",
			"readonly": "false", "requestparameters": "{bucketName=b}"}, wantTime: "2025-06-01T09:30:00.25Z",
			check: func(r TrailRecord) bool { return !r.ReadOnly && r.RequestParameters == nil }},
		{name: "secrets blanked", row: map[string]string{"eventid": "e3", "eventtime": "2025-06-01T09:30:00Z",
			"responseelements": `{"accessKey":{"secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}`},
			wantTime: "2025-06-01T09:30:00Z", check: func(r TrailRecord) bool { return !strings.Contains(string(r.ResponseElements), "EXAMPLEKEY") }},
		{name: "no time", row: map[string]string{"eventid": "e4", "eventtime": "yesterday"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := recordOfRow(tt.row)
			if tt.wantErr != (err != nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got := r.EventTime.Format(time.RFC3339Nano); got != tt.wantTime || !tt.check(r) {
				t.Fatalf("record %+v (time %s)", r, got)
			}
		})
	}
}
