package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Athena over the scenario's trail (JSON 1.1, "AmazonAthena." targets):
// StartQueryExecution, GetQueryExecution, GetQueryResults and
// StopQueryExecution. A query advances one state per GetQueryExecution
// (QUEUED, RUNNING, then SUCCEEDED or FAILED), so a client's polling and
// progress are exercised. CREATE EXTERNAL TABLE succeeds and creates the
// table; a SELECT reads a table so created, or default.cloudtrail_logs,
// which exists when the scenario has a trail.

// defaultAthenaTable is the table a scenario with a trail has already.
const defaultAthenaTable = "default.cloudtrail_logs"

// athenaAPI is Athena (JSON 1.1, "AmazonAthena." targets).
func athenaAPI() *service {
	return &service{name: "athena", wires: []string{wireJSON11}, targets: []string{"AmazonAthena"}, ops: map[string]op{
		"StartQueryExecution": {fn: opStartQueryExecution},
		"GetQueryExecution":   {fn: opGetQueryExecution, readOnly: true},
		"GetQueryResults":     {fn: opGetQueryResults, readOnly: true},
		"StopQueryExecution":  {fn: opStopQueryExecution},
	}}
}

func errAthena(msg string) *apiError {
	return &apiError{code: "InvalidRequestException", message: msg, status: http.StatusBadRequest}
}

var reCreateTable = regexp.MustCompile("(?is)^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?`?([a-z0-9_]+)`?(?:\\.`?([a-z0-9_]+)`?)?\\s*\\(")

func opStartQueryExecution(s *Sim, c *call) (any, *apiError) {
	var in struct {
		QueryString           string
		WorkGroup             string
		ExecutionParameters   []string
		QueryExecutionContext struct{ Database string }
		ResultConfiguration   struct{ OutputLocation string }
	}
	if err := json.Unmarshal(c.body, &in); err != nil || strings.TrimSpace(in.QueryString) == "" {
		return nil, errInvalid("athena", "QueryString is required.")
	}
	c.reqParams = map[string]any{"queryString": in.QueryString, "workGroup": in.WorkGroup,
		"executionParameters": in.ExecutionParameters, "resultConfiguration": in.ResultConfiguration}
	wg := orDefault(in.WorkGroup, "primary")
	if wg == "primary" && in.ResultConfiguration.OutputLocation == "" {
		// The primary workgroup has no results location until one is set.
		return nil, errAthena("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
	}
	q := queriesOf(s)
	run := &queryRun{id: s.queryID(), sql: in.QueryString, workgroup: wg, output: in.ResultConfiguration.OutputLocation,
		params: in.ExecutionParameters, submitted: s.now, seq: q.seq}
	q.seq++
	if m := reCreateTable.FindStringSubmatch(in.QueryString); m != nil {
		if len(in.ExecutionParameters) > 0 {
			return nil, errAthena("Execution parameters are not supported with DDL statements.")
		}
		name := m[1]
		if m[2] != "" {
			name += "." + m[2]
		} else {
			name = orDefault(in.QueryExecutionContext.Database, "default") + "." + name
		}
		run.ddl, q.tables[name] = true, true
	} else {
		s.planAthena(q, run, in.QueryExecutionContext.Database)
	}
	q.athena[run.id] = run
	c.respElems = map[string]string{"queryExecutionId": run.id}
	return map[string]string{"QueryExecutionId": run.id}, nil
}

// planAthena runs the query now, against the trail as it stands; the
// result waits for the polls. Errors become the execution's failure, as
// Athena reports them through GetQueryExecution.
func (s *Sim) planAthena(q *queryState, run *queryRun, database string) {
	plan, err := parseQuery(run.sql, run.params)
	if err != nil {
		run.failure = "INVALID_QUERY: " + err.Error()
		return
	}
	if !strings.Contains(plan.table, ".") {
		plan.table = orDefault(database, "default") + "." + plan.table
	}
	t, hasTrail := Trail{}, len(s.acct.trails) > 0
	if hasTrail {
		t = s.acct.trails[0]
	}
	if !q.tables[plan.table] && !(hasTrail && plan.table == defaultAthenaTable) {
		run.failure = "TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog." + plan.table + "' does not exist"
		return
	}
	run.plan = plan
	run.rows, run.scanned, run.bytes, err = s.runQuery(plan, t)
	if err != nil {
		run.failure = "INTERNAL_ERROR_QUERY_ENGINE: " + err.Error()
	}
}

func athenaRun(s *Sim, c *call) (*queryRun, *apiError) {
	var in struct{ QueryExecutionId string }
	_ = json.Unmarshal(c.body, &in)
	run := queriesOf(s).athena[in.QueryExecutionId]
	if run == nil {
		return nil, errAthena("QueryExecution " + in.QueryExecutionId + " was not found")
	}
	return run, nil
}

// state is where a run stands after its polls; done names success in the
// service's own word (Athena SUCCEEDED, CloudTrail Lake FINISHED).
func (r *queryRun) state(done string) string {
	switch {
	case r.cancelled:
		return "CANCELLED"
	case r.polls <= 1:
		return []string{"QUEUED", "RUNNING"}[r.polls]
	case r.failure != "":
		return "FAILED"
	}
	return done
}

func opGetQueryExecution(s *Sim, c *call) (any, *apiError) {
	run, e := athenaRun(s, c)
	if e != nil {
		return nil, e
	}
	state := run.state("SUCCEEDED")
	run.polls++
	status := map[string]any{"State": state, "SubmissionDateTime": epoch(run.submitted)}
	stats := map[string]any{"EngineExecutionTimeInMillis": 40 * run.polls, "TotalExecutionTimeInMillis": 50 * run.polls}
	stmt := "DML"
	if run.ddl {
		stmt = "DDL"
	}
	switch state {
	case "FAILED":
		status["StateChangeReason"] = run.failure
		status["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1006, "Retryable": false, "ErrorMessage": run.failure}
	case "SUCCEEDED":
		stats["DataScannedInBytes"] = run.bytes
		status["CompletionDateTime"] = epoch(run.submitted.Add(time.Duration(run.polls) * time.Second))
	}
	out := map[string]any{"QueryExecutionId": run.id, "Query": run.sql, "StatementType": stmt, "WorkGroup": run.workgroup,
		"Status": status, "Statistics": stats, "ExecutionParameters": run.params,
		"ResultConfiguration": map[string]string{"OutputLocation": run.output + run.id + ".csv"}}
	return map[string]any{"QueryExecution": out}, nil
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// athenaPage is the most rows GetQueryResults returns at once.
const athenaPage = 1000

func opGetQueryResults(s *Sim, c *call) (any, *apiError) {
	run, e := athenaRun(s, c)
	if e != nil {
		return nil, e
	}
	if st := run.state("SUCCEEDED"); st != "SUCCEEDED" {
		return nil, errAthena("Query has not yet finished. Current state: " + st)
	}
	var in struct {
		NextToken  string
		MaxResults int
	}
	_ = json.Unmarshal(c.body, &in)
	size := athenaPage
	if in.MaxResults > 0 && in.MaxResults < size {
		size = in.MaxResults
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(run.rows) {
			return nil, errAthena("The NextToken is not valid.")
		}
		start = n
	}
	var rows []map[string]any
	if start == 0 && !run.ddl {
		// The first page opens with the column names, as Athena's CSV does.
		var header []map[string]any
		for _, col := range run.plan.columns {
			header = append(header, map[string]any{"VarCharValue": col.name})
		}
		rows, size = append(rows, map[string]any{"Data": header}), size-1
	}
	end := min(start+size, len(run.rows))
	for _, r := range run.rows[start:end] {
		var data []map[string]any
		for _, v := range r {
			cell := map[string]any{}
			if v != nil {
				cell["VarCharValue"] = *v
			}
			data = append(data, cell)
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	var cols []map[string]any
	for _, col := range run.plan.columns {
		cols = append(cols, map[string]any{"CatalogName": "hive", "Name": col.name, "Label": col.name, "Type": "varchar",
			"Precision": 2147483647, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true})
	}
	out := map[string]any{"UpdateCount": 0, "ResultSet": map[string]any{"Rows": rows,
		"ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if end < len(run.rows) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func opStopQueryExecution(s *Sim, c *call) (any, *apiError) {
	run, e := athenaRun(s, c)
	if e != nil {
		return nil, e
	}
	if st := run.state("SUCCEEDED"); st == "QUEUED" || st == "RUNNING" {
		run.cancelled = true
	}
	return map[string]any{}, nil
}

// AthenaQueries returns the query strings and parameters Athena received,
// oldest first, so tests can check what a client sent.
func (s *Sim) AthenaQueries() (queries []string, params [][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := queriesOf(s)
	var runs []*queryRun
	for _, r := range q.athena {
		runs = append(runs, r)
	}
	slicesSortRuns(runs)
	for _, r := range runs {
		queries, params = append(queries, r.sql), append(params, r.params)
	}
	return queries, params
}
