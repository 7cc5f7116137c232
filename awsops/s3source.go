package awsops

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// S3TrailAPI is the part of S3 that reading a trail's log files calls.
type S3TrailAPI interface {
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	GetBucketLocation(ctx context.Context, params *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
}

var _ S3TrailAPI = (*s3.Client)(nil)

// listConcurrency bounds the ListObjectsV2 calls in flight: one per region
// and day, each a page or two.
const listConcurrency = 8

// S3Listing says what listing a trail's prefix cost, for the action log.
type S3Listing struct {
	Bucket, Prefix string
	Calls          int // ListObjectsV2 pages read
}

// S3TrailFiles lists the log files of account under s3://bucket/prefix
// that may hold events between from and to. It lists the regions under
// PREFIX/AWSLogs/ACCOUNT/CloudTrail/, then each region's days of the
// window only (a trail of years is listed by the days asked for), and
// opens each file as a stream when the scan reads it.
func S3TrailFiles(ctx context.Context, api S3TrailAPI, bucket, prefix, account string, from, to time.Time) ([]TrailFile, S3Listing, error) {
	base := runbook.TrailPrefix(prefix, account)
	listing := S3Listing{Bucket: bucket, Prefix: base}
	var mu sync.Mutex
	list := func(in *s3.ListObjectsV2Input, each func(*s3.ListObjectsV2Output)) error {
		p := s3.NewListObjectsV2Paginator(api, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			mu.Lock()
			listing.Calls++
			if err == nil {
				each(out)
			}
			mu.Unlock()
			if err != nil {
				return fmt.Errorf("list s3://%s/%s: %w", bucket, aws.ToString(in.Prefix), err)
			}
		}
		return nil
	}
	var regions []string
	err := list(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(base), Delimiter: aws.String("/")},
		func(out *s3.ListObjectsV2Output) {
			for _, cp := range out.CommonPrefixes {
				regions = append(regions, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), base), "/"))
			}
		})
	if err != nil {
		return nil, listing, err
	}
	var prefixes []string
	for _, region := range regions {
		for _, day := range logDays(from, to) {
			prefixes = append(prefixes, base+region+"/"+day.Format("2006/01/02")+"/")
		}
	}
	var files []TrailFile
	var firstErr error
	sem := make(chan struct{}, listConcurrency)
	var wg sync.WaitGroup
	for _, p := range prefixes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := list(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(p)}, func(out *s3.ListObjectsV2Output) {
				for _, o := range out.Contents {
					key := aws.ToString(o.Key)
					if wantLogFile(key, from, to) {
						files = append(files, s3File(api, bucket, key, aws.ToInt64(o.Size)))
					}
				}
			})
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, listing, firstErr
	}
	return files, listing, nil
}

// logDays are the day folders that may hold the window's files: files are
// filed under their delivery day, up to deliveryMargin after their events.
func logDays(from, to time.Time) []time.Time {
	if to.IsZero() {
		to = time.Now()
	}
	if from.IsZero() || from.After(to) {
		from = to.Add(-historyRetention)
	}
	var days []time.Time
	for d := from.UTC().Truncate(24 * time.Hour); !d.After(to.UTC().Add(deliveryMargin)); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return days
}

func s3File(api S3TrailAPI, bucket, key string, size int64) TrailFile {
	return TrailFile{Name: "s3://" + bucket + "/" + key, Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) {
		out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, err
		}
		return out.Body, nil
	}}
}

// bucketRegion asks where a bucket lives: S3 answers a request sent to
// another region with a redirect the SDK does not follow. It falls back
// to the client's region when the caller may not ask.
func bucketRegion(ctx context.Context, api S3TrailAPI, bucket, fallback string) string {
	out, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	switch {
	case err != nil:
		return fallback
	case out.LocationConstraint == "":
		return "us-east-1" // S3 names us-east-1 by an empty constraint
	case out.LocationConstraint == "EU":
		return "eu-west-1" // the legacy name
	}
	return string(out.LocationConstraint)
}
