package awsops

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// TrailClients makes the clients a trail source needs: the Executor's come
// from its configuration; tests call ScanTrailSource with their own.
type TrailClients struct {
	S3     func(ctx context.Context, bucket string) S3TrailAPI
	Athena func() AthenaAPI
	Lake   func() LakeAPI
	// Poll paces Athena and Lake queries; zero means DefaultQueryPoll.
	Poll time.Duration
}

// trailClients builds the real clients. They do not note each call as an
// APICall (a scan reads thousands of objects, a query is polled for
// minutes); ScanTrailSource notes what it did instead: the query it
// started, with its full input, and how many pages and objects it read.
func (x *Executor) trailClients() TrailClients {
	cfg := withoutCallNotes(x.cfg)
	pathStyle := func(o *s3.Options) {
		o.UsePathStyle = cfg.BaseEndpoint != nil
		// CloudTrail writes its objects without checksums; the SDK would
		// log that it skipped the check for every one, under the TUI too.
		o.DisableLogOutputChecksumValidationSkipped = true
	}
	return TrailClients{
		S3: func(ctx context.Context, bucket string) S3TrailAPI {
			probe := s3.NewFromConfig(cfg, pathStyle, func(o *s3.Options) { o.Region = "us-east-1" })
			region := bucketRegion(ctx, probe, bucket, x.clients.HomeRegion())
			return s3.NewFromConfig(cfg, pathStyle, func(o *s3.Options) { o.Region = region })
		},
		Athena: func() AthenaAPI { return athena.NewFromConfig(cfg) },
		Lake:   func() LakeAPI { return cloudtrail.NewFromConfig(cfg) },
	}
}

func withoutCallNotes(cfg aws.Config) aws.Config {
	var opts []func(*middleware.Stack) error
	for _, fn := range cfg.APIOptions {
		if !isNoteCalls(fn) {
			opts = append(opts, fn)
		}
	}
	cfg.APIOptions = opts
	return cfg
}

// scanTrailSource carries out ScanTrailSource: it reads the source, folds
// the key's records as the sweep does, and answers TrailSourceScanned. An
// Athena or Lake source runs exactly the query the machine accepted, the
// one the responder was shown; keyrunbook builds no SQL here.
func (x *Executor) scanTrailSource(ctx context.Context, e runbook.ScanTrailSource) runbook.Event {
	emit := emitterOf(ctx)
	tc := x.trailClients()
	regions := e.Covered.Regions
	if len(regions) == 0 {
		regions = []string{x.clients.HomeRegion()}
	}
	// The inventory tells this account's instances by address; the sweep
	// reported what it could not read of it already.
	inv, _ := ReadInventory(ctx, x.clients, e.Account, regions)
	return ScanTrailSource(ctx, tc, e, inv, emit)
}

// ScanTrailSource reads one trail source for the effect e and answers its
// result event: TrailSourceScanned, or EffectFailed naming what stopped it.
func ScanTrailSource(ctx context.Context, tc TrailClients, e runbook.ScanTrailSource, inv Inventory, emit func(runbook.Event)) runbook.Event {
	const effect = "ScanTrailSource"
	if emit == nil {
		emit = func(runbook.Event) {}
	}
	src := e.Source
	if err := runbook.ValidTrailSource(src); err != nil {
		return failed(effect, "%s.", err)
	}
	opt := TrailScanOptions{KeyID: e.KeyID, From: e.From, To: e.To, Covered: e.Covered, Inventory: inv, Label: src.String(), ExposedAt: e.ExposedAt,
		Progress: func(st runbook.TrailScanStats) { emit(runbook.TrailScanProgress{Kind: src.Kind, Stats: st}) }}
	note := func(service, op string, in any) {
		emit(runbook.APICall{Service: service, Operation: op, Input: inputJSON(in)})
	}
	switch src.Kind {
	case runbook.TrailLocal:
		files, err := LocalTrailFiles(src.Location, e.From, e.To)
		if err != nil {
			return failed(effect, "%v.", err)
		}
		return scanned(ScanTrailFiles(ctx, files, opt))(src, effect, "")
	case runbook.TrailS3:
		bucket, prefix, _ := runbook.ParseS3URI(src.Location)
		api := tc.S3(ctx, bucket)
		files, listing, err := S3TrailFiles(ctx, api, bucket, prefix, e.Account, e.From, e.To)
		note("s3", "ListObjectsV2", map[string]any{"Bucket": bucket, "Prefix": listing.Prefix, "Pages": listing.Calls})
		if err != nil {
			return effectFailed(effect, "s3:ListBucket", err)
		}
		res, err := ScanTrailFiles(ctx, files, opt)
		note("s3", "GetObject", map[string]any{"Bucket": bucket, "Prefix": listing.Prefix, "Objects": len(files)})
		return scanned(res, err)(src, effect, "s3:GetObject")
	}
	if src.Query == nil {
		return failed(effect, "The %s source carries no query: keyrunbook runs only SQL it showed the responder.", src.Kind)
	}
	f := newTrailFold(opt)
	polls := 0
	qopt := QueryOptions{Poll: tc.Poll, Progress: func(st runbook.TrailScanStats) {
		polls++
		f.queryStats(st)
	}}
	var stats runbook.TrailScanStats
	var err error
	switch src.Kind {
	case runbook.TrailAthena:
		qopt.Calls = func(op string, in any) {
			if op == "StartQueryExecution" {
				note("athena", op, in)
			}
		}
		stats, err = RunAthena(ctx, tc.Athena(), src, *src.Query, qopt, f.row)
		note("athena", "GetQueryExecution", map[string]int{"Polls": polls})
		if err != nil {
			return effectFailed(effect, "athena:StartQueryExecution", err)
		}
	default:
		qopt.Calls = func(op string, in any) {
			if op == "StartQuery" {
				note("cloudtrail", op, in)
			}
		}
		stats, err = RunLake(ctx, tc.Lake(), *src.Query, qopt, f.row)
		note("cloudtrail", "DescribeQuery", map[string]int{"Polls": polls})
		if err != nil {
			return effectFailed(effect, "cloudtrail:StartQuery", err)
		}
	}
	f.queryStats(stats)
	return f.result().Event(src)
}

// scanned turns a file scan's outcome into the effect's result.
func scanned(res TrailScanResult, err error) func(src runbook.TrailSource, effect, action string) runbook.Event {
	return func(src runbook.TrailSource, effect, action string) runbook.Event {
		if err != nil {
			if action == "" {
				return failed(effect, "%v.", err)
			}
			return effectFailed(effect, action, err)
		}
		return res.Event(src)
	}
}

// row folds one query result row.
func (f *trailFold) row(row map[string]string) error {
	rec, category, err := recordOfRow(row)
	f.mu.Lock()
	f.stats.Records++
	f.mu.Unlock()
	if err != nil {
		f.unreadable()
		return nil
	}
	f.add(rec, isDataEvent(rec, category))
	return nil
}

// queryStats takes a query's state, bytes scanned and cost, and passes
// them on as progress.
func (f *trailFold) queryStats(st runbook.TrailScanStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := f.stats.State != st.State
	f.stats.State, f.stats.ScannedBytes, f.stats.CostUSD = st.State, st.ScannedBytes, st.CostUSD
	f.progressLocked(changed) // every change of state is news
}
