package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// CloudTrail Lake over the scenario's trail: one event data store holding
// what the trail logs, queried with StartQuery, DescribeQuery,
// GetQueryResults and CancelQuery (JSON 1.1, CloudTrail's targets). Lake's
// SQL takes no parameters: the values are literals in the text. A query
// advances one state per DescribeQuery (QUEUED, RUNNING, then FINISHED or
// FAILED).

// EventDataStoreID is the ID of the event data store that mirrors the
// scenario's trail, or "" when the scenario has no trail.
func (s *Sim) EventDataStoreID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeID()
}

func (s *Sim) storeID() string {
	if len(s.acct.trails) == 0 {
		return ""
	}
	return uuidFrom(mix64(s.seed^0x1a4e), mix64(s.seed^0x1a4e0002))
}

func errLake(code, msg string) *apiError {
	return &apiError{code: code, message: msg, status: http.StatusBadRequest}
}

func opStartQuery(s *Sim, c *call) (any, *apiError) {
	var in struct {
		QueryStatement  string
		QueryParameters []string
		DeliveryS3Uri   string
	}
	if err := json.Unmarshal(c.body, &in); err != nil || strings.TrimSpace(in.QueryStatement) == "" {
		return nil, errInvalid("cloudtrail", "QueryStatement is required.")
	}
	c.reqParams = map[string]any{"queryStatement": in.QueryStatement}
	if len(in.QueryParameters) > 0 {
		// Parameters go with a saved query (QueryAlias), not a statement.
		return nil, errLake("InvalidParameterException", "QueryParameters can only be used with QueryAlias.")
	}
	plan, err := parseQuery(in.QueryStatement, nil)
	if err != nil {
		return nil, errLake("InvalidQueryStatementException", err.Error())
	}
	if id := s.storeID(); id == "" || !strings.EqualFold(plan.table, id) {
		return nil, errLake("EventDataStoreNotFoundException", fmt.Sprintf("The specified event data store %s was not found.", plan.table))
	}
	q := queriesOf(s)
	run := &queryRun{id: s.queryID(), sql: in.QueryStatement, plan: plan, submitted: s.now, seq: q.seq}
	q.seq++
	run.rows, run.scanned, run.bytes, err = s.runQuery(plan, s.acct.trails[0])
	if err != nil {
		run.failure = err.Error()
	}
	q.lake[run.id] = run
	c.respElems = map[string]string{"queryId": run.id}
	return map[string]string{"QueryId": run.id}, nil
}

func lakeRun(s *Sim, c *call) (*queryRun, *apiError) {
	var in struct{ QueryId string }
	_ = json.Unmarshal(c.body, &in)
	run := queriesOf(s).lake[in.QueryId]
	if run == nil {
		return nil, errLake("QueryIdNotFoundException", "The query ID does not exist or does not map to a query.")
	}
	return run, nil
}

func opDescribeQuery(s *Sim, c *call) (any, *apiError) {
	run, e := lakeRun(s, c)
	if e != nil {
		return nil, e
	}
	state := run.state("FINISHED")
	run.polls++
	stats := map[string]any{"CreationTime": epoch(run.submitted), "ExecutionTimeInMillis": 60 * run.polls}
	if state == "FINISHED" {
		stats["EventsMatched"], stats["EventsScanned"], stats["BytesScanned"] = len(run.rows), run.scanned, run.bytes
	}
	out := map[string]any{"QueryId": run.id, "QueryString": run.sql, "QueryStatus": state, "QueryStatistics": stats}
	if state == "FAILED" {
		out["ErrorMessage"] = run.failure
	}
	return out, nil
}

// lakePage is the most rows GetQueryResults returns at once.
const lakePage = 1000

func opGetLakeResults(s *Sim, c *call) (any, *apiError) {
	run, e := lakeRun(s, c)
	if e != nil {
		return nil, e
	}
	var in struct {
		NextToken       string
		MaxQueryResults int
	}
	_ = json.Unmarshal(c.body, &in)
	state := run.state("FINISHED")
	out := map[string]any{"QueryStatus": state}
	if state != "FINISHED" {
		return out, nil // Lake answers with the status and no rows until then
	}
	size := lakePage
	if in.MaxQueryResults > 0 && in.MaxQueryResults < size {
		size = in.MaxQueryResults
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(run.rows) {
			return nil, errLake("InvalidNextTokenException", "A token that is not valid, or a token that was previously used in a request with different parameters.")
		}
		start = n
	}
	end := min(start+size, len(run.rows))
	rows := [][]map[string]string{}
	for _, r := range run.rows[start:end] {
		var row []map[string]string
		for i, v := range r {
			if v != nil {
				row = append(row, map[string]string{run.plan.columns[i].name: *v})
			}
		}
		rows = append(rows, row)
	}
	out["QueryResultRows"] = rows
	out["QueryStatistics"] = map[string]any{"ResultsCount": end - start, "TotalResultsCount": len(run.rows), "BytesScanned": run.bytes}
	if end < len(run.rows) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func opCancelQuery(s *Sim, c *call) (any, *apiError) {
	run, e := lakeRun(s, c)
	if e != nil {
		return nil, e
	}
	if st := run.state("FINISHED"); st != "QUEUED" && st != "RUNNING" {
		return nil, errLake("InactiveQueryException", "The specified query cannot be canceled because it is in the "+st+" state.")
	}
	run.cancelled = true
	return map[string]any{"QueryId": run.id, "QueryStatus": "CANCELLED"}, nil
}

// LakeQueries returns the statements CloudTrail Lake received, oldest first.
func (s *Sim) LakeQueries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var runs []*queryRun
	for _, r := range queriesOf(s).lake {
		runs = append(runs, r)
	}
	slicesSortRuns(runs)
	var out []string
	for _, r := range runs {
		out = append(out, r.sql)
	}
	return out
}
