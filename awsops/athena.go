package awsops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// AthenaAPI is the part of Athena a trail query calls.
type AthenaAPI interface {
	StartQueryExecution(ctx context.Context, params *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, params *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, params *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, params *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

var _ AthenaAPI = (*athena.Client)(nil)

// DefaultQueryPoll is how often a running Athena or Lake query is asked
// how it stands: queries over a trail run for seconds to minutes.
const DefaultQueryPoll = time.Second

// Athena bills $5 per TB scanned, at least 10 MB per query (Athena pricing).
const (
	dollarsPerTB   = 5.0
	athenaMinBytes = 10 << 20
)

// QueryCost estimates what scanning n bytes costs: Athena's price; Lake's
// analysis price is the same per byte ($0.005 per GB).
func QueryCost(n int64, minimum int64) float64 {
	return float64(max(n, minimum)) / 1e12 * dollarsPerTB
}

// QueryOptions paces a query and reports on it.
type QueryOptions struct {
	Poll     time.Duration // zero means DefaultQueryPoll
	Progress func(runbook.TrailScanStats)
	// Calls receives each call's name as it is made, for the action log.
	Calls func(operation string, input any)
}

// wait is the pause before the n-th poll: short at first, since many
// queries over a narrow window end in a second, then every Poll.
func (o QueryOptions) wait(n int) time.Duration {
	p := o.Poll
	if p <= 0 {
		p = DefaultQueryPoll
	}
	return min(p, 100*time.Millisecond<<min(n, 8))
}

func (o QueryOptions) note(op string, in any) {
	if o.Calls != nil {
		o.Calls(op, in)
	}
}

// RunAthena runs a trail query the responder was shown: the DDL first when
// it carries one, then the SELECT with its ExecutionParameters. It reports
// state, bytes scanned and cost as it goes, and hands each result row to
// each by column name. A query the context interrupts is stopped, so it
// stops scanning (and billing).
func RunAthena(ctx context.Context, api AthenaAPI, src runbook.TrailSource, q runbook.TrailQuery, opt QueryOptions, each func(row map[string]string) error) (runbook.TrailScanStats, error) {
	var stats runbook.TrailScanStats
	start := func(sql string, params []string) (string, error) {
		in := &athena.StartQueryExecutionInput{QueryString: aws.String(sql), WorkGroup: aws.String(src.Workgroup),
			ExecutionParameters: params}
		if src.Output != "" {
			in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(src.Output)}
		}
		opt.note("StartQueryExecution", in)
		out, err := api.StartQueryExecution(ctx, in)
		if err != nil {
			return "", fmt.Errorf("start the Athena query: %w", err)
		}
		return aws.ToString(out.QueryExecutionId), nil
	}
	if q.DDL != "" {
		id, err := start(q.DDL, nil)
		if err == nil {
			_, err = waitAthena(ctx, api, id, opt, &stats)
		}
		if err != nil {
			return stats, fmt.Errorf("create the table %s: %w", src.Table, err)
		}
	}
	id, err := start(q.SQL, q.Params)
	if err != nil {
		return stats, err
	}
	if _, err := waitAthena(ctx, api, id, opt, &stats); err != nil {
		return stats, err
	}
	cols := runbook.QueryColumns()
	p := athena.NewGetQueryResultsPaginator(api, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id)})
	first := true
	for p.HasMorePages() {
		opt.note("GetQueryResults", nil)
		out, err := p.NextPage(ctx)
		if err != nil {
			return stats, fmt.Errorf("read the Athena results: %w", err)
		}
		if out.ResultSet == nil {
			continue
		}
		if out.ResultSet.ResultSetMetadata != nil && len(out.ResultSet.ResultSetMetadata.ColumnInfo) > 0 {
			cols = cols[:0]
			for _, c := range out.ResultSet.ResultSetMetadata.ColumnInfo {
				cols = append(cols, aws.ToString(c.Name))
			}
		}
		for i, r := range out.ResultSet.Rows {
			row := map[string]string{}
			header := first && i == 0
			for j, d := range r.Data {
				if j < len(cols) && d.VarCharValue != nil {
					row[cols[j]] = *d.VarCharValue
					header = header && *d.VarCharValue == cols[j]
				}
			}
			if header {
				continue // the first row names the columns
			}
			if err := each(row); err != nil {
				return stats, err
			}
		}
		first = false
	}
	return stats, nil
}

// waitAthena polls a query until it ends, reporting its progress.
func waitAthena(ctx context.Context, api AthenaAPI, id string, opt QueryOptions, stats *runbook.TrailScanStats) (*athenatypes.QueryExecution, error) {
	for n := 0; ; n++ {
		out, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("follow the Athena query %s: %w", id, err)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return nil, fmt.Errorf("follow the Athena query %s: Athena answered without a status", id)
		}
		stats.State = string(qe.Status.State)
		if qe.Statistics != nil && qe.Statistics.DataScannedInBytes != nil {
			stats.ScannedBytes = *qe.Statistics.DataScannedInBytes
			stats.CostUSD = QueryCost(stats.ScannedBytes, athenaMinBytes)
		}
		if opt.Progress != nil {
			opt.Progress(*stats)
		}
		switch qe.Status.State {
		case athenatypes.QueryExecutionStateSucceeded:
			return qe, nil
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			return nil, fmt.Errorf("the Athena query %s %s: %s", id, qe.Status.State, aws.ToString(qe.Status.StateChangeReason))
		}
		select {
		case <-ctx.Done():
			stopAthena(api, id)
			return nil, fmt.Errorf("follow the Athena query %s: %w", id, ctx.Err())
		case <-time.After(opt.wait(n)):
		}
	}
}

// stopAthena stops an abandoned query, with a context of its own: the
// one that ended cannot carry the call.
func stopAthena(api AthenaAPI, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = api.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
}

// recordOfRow rebuilds a trail record from a query's row, named by
// runbook.QueryColumns, and parses it as any record is parsed (secrets
// blanked). eventcategory comes back beside it.
func recordOfRow(row map[string]string) (TrailRecord, string, error) {
	at, err := rowTime(row["eventtime"])
	if err != nil {
		return TrailRecord{}, "", err
	}
	id := map[string]string{}
	for _, f := range []struct{ col, field string }{{"identity_type", "type"}, {"identity_arn", "arn"},
		{"identity_account", "accountId"}, {"identity_key", "accessKeyId"}, {"identity_user", "userName"},
		{"identity_invokedby", "invokedBy"}} {
		if v := row[f.col]; v != "" {
			id[f.field] = v
		}
	}
	rec := map[string]any{"userIdentity": id, "eventTime": at.Format(time.RFC3339Nano), "readOnly": row["readonly"] == "true"}
	for col, field := range map[string]string{"eventid": "eventID", "eventsource": "eventSource", "eventname": "eventName",
		"eventtype": "eventType", "awsregion": "awsRegion", "sourceipaddress": "sourceIPAddress", "useragent": "userAgent",
		"errorcode": "errorCode", "errormessage": "errorMessage", "vpcendpointid": "vpcEndpointId",
		"recipientaccountid": "recipientAccountId"} {
		if v := row[col]; v != "" {
			rec[field] = v
		}
	}
	for col, field := range map[string]string{"requestparameters": "requestParameters", "responseelements": "responseElements"} {
		// Kept only when it is JSON: an engine may render a map otherwise.
		if v := row[col]; v != "" && json.Valid([]byte(v)) {
			rec[field] = json.RawMessage(v)
		}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return TrailRecord{}, "", fmt.Errorf("rebuild the record of row %s: %w", row["eventid"], err)
	}
	r, err := judge.ParseTrailRecord(raw)
	return r, row["eventcategory"], err
}

// rowTime reads Athena's ISO 8601 event times and Lake's "YYYY-MM-DD
// HH:MM:SS[.fff]".
func rowTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.000", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("a row's eventtime is not a time")
}
