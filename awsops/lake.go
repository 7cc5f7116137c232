package awsops

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// LakeAPI is the part of CloudTrail that a CloudTrail Lake query calls.
type LakeAPI interface {
	StartQuery(ctx context.Context, params *cloudtrail.StartQueryInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.StartQueryOutput, error)
	DescribeQuery(ctx context.Context, params *cloudtrail.DescribeQueryInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeQueryOutput, error)
	GetQueryResults(ctx context.Context, params *cloudtrail.GetQueryResultsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetQueryResultsOutput, error)
	CancelQuery(ctx context.Context, params *cloudtrail.CancelQueryInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.CancelQueryOutput, error)
}

var _ LakeAPI = (*cloudtrail.Client)(nil)

// RunLake runs a CloudTrail Lake query the responder was shown (its SQL
// holds its values: Lake's StartQuery takes no parameters, which is why
// runbook builds it only from checked values), follows it with
// DescribeQuery, reporting bytes scanned and cost, and hands each row to
// each by column name. A query the context interrupts is cancelled.
func RunLake(ctx context.Context, api LakeAPI, q runbook.TrailQuery, opt QueryOptions, each func(row map[string]string) error) (runbook.TrailScanStats, error) {
	var stats runbook.TrailScanStats
	in := &cloudtrail.StartQueryInput{QueryStatement: aws.String(q.SQL)}
	opt.note("StartQuery", in)
	out, err := api.StartQuery(ctx, in)
	if err != nil {
		return stats, fmt.Errorf("start the CloudTrail Lake query: %w", err)
	}
	id := out.QueryId
	for n, done := 0, false; !done; n++ {
		d, err := api.DescribeQuery(ctx, &cloudtrail.DescribeQueryInput{QueryId: id})
		if err != nil {
			return stats, fmt.Errorf("follow the CloudTrail Lake query %s: %w", aws.ToString(id), err)
		}
		stats.State = string(d.QueryStatus)
		if s := d.QueryStatistics; s != nil && s.BytesScanned != nil {
			stats.ScannedBytes = *s.BytesScanned
			stats.CostUSD = QueryCost(stats.ScannedBytes, 0)
		}
		if opt.Progress != nil {
			opt.Progress(stats)
		}
		switch d.QueryStatus {
		case cttypes.QueryStatusFinished:
			done = true
			continue
		case cttypes.QueryStatusFailed, cttypes.QueryStatusCancelled, cttypes.QueryStatusTimedOut:
			return stats, fmt.Errorf("the CloudTrail Lake query %s %s: %s", aws.ToString(id), d.QueryStatus, aws.ToString(d.ErrorMessage))
		}
		select {
		case <-ctx.Done():
			cancelLake(api, id)
			return stats, fmt.Errorf("follow the CloudTrail Lake query %s: %w", aws.ToString(id), ctx.Err())
		case <-time.After(opt.wait(n)):
		}
	}
	var token *string
	for {
		opt.note("GetQueryResults", nil)
		r, err := api.GetQueryResults(ctx, &cloudtrail.GetQueryResultsInput{QueryId: id, NextToken: token})
		if err != nil {
			return stats, fmt.Errorf("read the CloudTrail Lake results: %w", err)
		}
		for _, cells := range r.QueryResultRows {
			row := map[string]string{}
			for _, cell := range cells {
				for k, v := range cell {
					row[k] = v
				}
			}
			if err := each(row); err != nil {
				return stats, err
			}
		}
		if token = r.NextToken; token == nil {
			return stats, nil
		}
	}
}

func cancelLake(api LakeAPI, id *string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = api.CancelQuery(ctx, &cloudtrail.CancelQueryInput{QueryId: id})
}
