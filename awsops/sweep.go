package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/awsops/quota"
	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// DefaultSweepRate is LookupEvents' quota (awsops/quota). Faster only
// earns throttling.
const DefaultSweepRate = quota.LookupEventsPerSecond

// lookupPageSize is the most LookupEvents returns in one page.
const lookupPageSize = 50

// resumeOverlap is how far past the oldest event it read a resumed region
// looks again: event times round-trip through float seconds, and events
// sharing a millisecond may straddle a page. What was read twice is skipped
// by event ID.
const resumeOverlap = time.Second

// SweepRequest says what to sweep: the key's events over [From, To] in
// Regions, or in every enabled region when Regions is empty.
type SweepRequest struct {
	KeyID    string
	From, To time.Time
	Regions  []string
	// ExposedAt is when the key was exposed, if known (judge.SetExposedAt).
	ExposedAt time.Time
}

// SweepResult is what one Sweep call read, with everything folded so far
// when it continued an unfinished sweep.
type SweepResult struct {
	Investigation runbook.Investigation
	Findings      []runbook.Finding
	// Finished are the regions read to the end; Unfinished the rest, which
	// the next Sweep of the same key and window reads again.
	Finished, Unfinished []string
	// Interrupted is set when the context ended the sweep.
	Interrupted bool
}

// Sweep looks the key's events up in CloudTrail event history, every region
// in parallel, each on its region's LookupEvents quota (c.SweepRate requests
// per second, shared with every other reader of the region), and folds them
// into callers, indicators and blast radius as the pages arrive; no event is
// kept. progress receives each region's state as it changes, one call at a
// time. A sweep the context interrupted, or that left regions denied or
// failed, is remembered: the next Sweep of the same key and window reads
// only the regions not finished, picking up where each one stopped.
func Sweep(ctx context.Context, c *Clients, req SweepRequest, progress func(runbook.RegionSweep)) (SweepResult, error) {
	run, err := c.sweeps.begin(ctx, c, req)
	if err != nil {
		return SweepResult{}, err
	}
	defer c.sweeps.end(run)
	targets := run.targets(req.Regions)
	var emitMu sync.Mutex
	emit := func(r runbook.RegionSweep) {
		if progress != nil {
			emitMu.Lock()
			defer emitMu.Unlock()
			progress(r)
		}
	}
	for _, rr := range targets {
		rr.sweep.State, rr.sweep.Error = runbook.RegionPending, ""
		emit(rr.sweep)
	}
	var wg sync.WaitGroup
	for _, rr := range targets {
		wg.Go(func() {
			run.sweepRegion(ctx, c.CloudTrail(rr.sweep.Region), c.lookupLimiter(rr.sweep.Region), rr, emit)
		})
	}
	wg.Wait()
	if ctx.Err() == nil {
		run.followMinted(ctx, c, emit) // what the key minted (mintedsweep.go)
	}
	return run.result(ctx.Err() != nil), nil
}

// sweepMemory keeps the last sweep until every region of it is done.
type sweepMemory struct {
	mu  sync.Mutex
	run *sweepRun
}

// sweepRun is one sweep of a key over a window, possibly over several Sweep
// calls when it was interrupted.
type sweepRun struct {
	keyID    string
	from, to time.Time
	agg      *Aggregator
	regions  []*regionRun // in sweep order, enabled regions first
	skipped  []string     // opt-in regions the account has not enabled
	findings []runbook.Finding
	busy     bool
	reported bool     // findings went out with a result
	bad      sync.Map // region → count of records that would not parse
	// mintedGaps are lookups of minted keys that failed (mintedsweep.go).
	mintedGaps gapList
}

type regionRun struct {
	sweep  runbook.RegionSweep
	oldest time.Time // the oldest event folded so far
	tail   []seen    // events folded within resumeOverlap of oldest
}

type seen struct {
	id string
	at time.Time
}

// begin continues the remembered sweep of the same key and window, or
// starts a new one: enabled regions, then the inventory its classification
// needs.
func (m *sweepMemory) begin(ctx context.Context, c *Clients, req SweepRequest) (*sweepRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.run; r != nil && r.keyID == req.KeyID && r.from.Equal(req.From) && r.to.Equal(req.To) {
		if r.busy {
			return nil, errors.New("a sweep of this key and window is already running")
		}
		r.busy = true
		return r, nil
	}
	run := &sweepRun{keyID: req.KeyID, from: req.From, to: req.To, busy: true}
	enabled, skipped, findings := enabledRegions(ctx, c)
	run.skipped, run.findings = skipped, findings
	for _, name := range enabled {
		run.regions = append(run.regions, &regionRun{sweep: runbook.RegionSweep{Region: name, State: runbook.RegionPending}})
	}
	inv, invFindings := ReadInventory(ctx, c, callerAccount(ctx, c), enabled)
	run.findings = append(run.findings, invFindings...)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("prepare the sweep: %w", err)
	}
	run.agg = judge.NewAggregator(req.KeyID, inv)
	run.agg.SetExposedAt(req.ExposedAt)
	m.run = run
	return run, nil
}

// end releases the run, and forgets it once every region is done: a new
// sweep of the same window then reads everything afresh.
func (m *sweepMemory) end(run *sweepRun) {
	m.mu.Lock()
	defer m.mu.Unlock()
	run.busy = false
	if m.run == run && len(run.unfinished()) == 0 {
		m.run = nil
	}
}

// targets picks the regions to read: those asked for, or all; never one
// already done, whose events are folded already.
func (r *sweepRun) targets(asked []string) []*regionRun {
	var out []*regionRun
	for _, name := range asked {
		i := slices.IndexFunc(r.regions, func(rr *regionRun) bool { return rr.sweep.Region == name })
		if i < 0 {
			r.regions = append(r.regions, &regionRun{sweep: runbook.RegionSweep{Region: name, State: runbook.RegionPending}})
			i = len(r.regions) - 1
		}
		if r.regions[i].sweep.State != runbook.RegionDone && !slices.Contains(out, r.regions[i]) {
			out = append(out, r.regions[i])
		}
	}
	if len(asked) == 0 {
		for _, rr := range r.regions {
			if rr.sweep.State != runbook.RegionDone {
				out = append(out, rr)
			}
		}
	}
	return out
}

// sweepRegion pages through one region's events for the key, newest first.
// A region resumed after an interruption reads from the oldest event it
// had folded and skips those it saw.
func (r *sweepRun) sweepRegion(ctx context.Context, api CloudTrailAPI, lim *rate.Limiter, rr *regionRun, emit func(runbook.RegionSweep)) {
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(r.keyID)}},
		MaxResults: aws.Int32(lookupPageSize),
	}
	if !r.from.IsZero() {
		in.StartTime = aws.Time(r.from)
	}
	if !r.to.IsZero() {
		in.EndTime = aws.Time(r.to)
	}
	var skip map[string]bool
	if !rr.oldest.IsZero() {
		in.EndTime = aws.Time(rr.oldest.Add(resumeOverlap))
		if !r.to.IsZero() && r.to.Before(*in.EndTime) {
			in.EndTime = aws.Time(r.to)
		}
		skip = map[string]bool{}
		for _, s := range rr.tail {
			skip[s.id] = true
		}
	}
	rr.sweep.State = runbook.RegionRunning
	emit(rr.sweep)
	throttled := func() {
		if rr.sweep.State != runbook.RegionThrottled {
			rr.sweep.State = runbook.RegionThrottled
			emit(rr.sweep)
		}
	}
	pages := cloudtrail.NewLookupEventsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, paced(lim, throttled))
		if err != nil {
			rr.stop(ctx, err)
			emit(rr.sweep)
			return
		}
		rr.sweep.Pages++
		for _, ev := range page.Events {
			id := aws.ToString(ev.EventId)
			if skip[id] {
				continue
			}
			rec, err := judge.ParseTrailRecord([]byte(aws.ToString(ev.CloudTrailEvent)))
			if err != nil {
				n, _ := r.bad.LoadOrStore(rr.sweep.Region, new(int))
				*n.(*int)++
				continue
			}
			r.agg.Add(withLookupResources(rec, ev.Resources))
			rr.folded(id, aws.ToTime(ev.EventTime))
		}
		rr.sweep.State = runbook.RegionRunning
		emit(rr.sweep)
	}
	rr.sweep.State = runbook.RegionDone
	emit(rr.sweep)
}

// stop records why a region's sweep ended early.
func (rr *regionRun) stop(ctx context.Context, err error) {
	missing, text := describe("cloudtrail:LookupEvents", err)
	switch {
	case ctx.Err() != nil || isCanceled(err):
		rr.sweep.State = runbook.RegionPending
		rr.sweep.Error = fmt.Sprintf("interrupted after %d pages; the next sweep goes on from there", rr.sweep.Pages)
	case missing != "":
		rr.sweep.State, rr.sweep.Error = runbook.RegionDenied, text
	default:
		rr.sweep.State, rr.sweep.Error = runbook.RegionFailed, text
	}
}

// folded notes an event added to the aggregate, keeping the IDs a resumed
// sweep may meet again.
func (rr *regionRun) folded(id string, at time.Time) {
	rr.sweep.Events++
	if rr.oldest.IsZero() || at.Before(rr.oldest) {
		rr.oldest = at
		rr.sweep.Oldest = at
	}
	rr.tail = append(rr.tail, seen{id, at})
	cut, drop := rr.oldest.Add(resumeOverlap), 0
	for drop < len(rr.tail) && rr.tail[drop].at.After(cut) {
		drop++
	}
	if drop > 0 {
		rr.tail = slices.Delete(rr.tail, 0, drop)
	}
}

// paced makes every attempt of a call (the retries too) wait for the
// region's token bucket, and reports throttling as it happens. It sits in
// the Finalize step after the retry loop, so the SDK's adaptive retryer and
// the pacing see the same attempts.
func paced(lim *rate.Limiter, onThrottle func()) func(*cloudtrail.Options) {
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	mw := middleware.FinalizeMiddlewareFunc("keyrunbook/Pace", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if err := lim.Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("wait for the region's LookupEvents quota: %w", err)
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if err != nil && throttles.IsErrorThrottle(err) == aws.TrueTernary {
			onThrottle()
		}
		return out, md, err
	})
	return func(o *cloudtrail.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		})
	}
}

func (r *sweepRun) unfinished() []string {
	var out []string
	for _, rr := range r.regions {
		if rr.sweep.State != runbook.RegionDone {
			out = append(out, rr.sweep.Region)
		}
	}
	return out
}

// defaultRegions are the regions every account has enabled (no opt-in),
// swept when ec2:DescribeRegions is denied.
var defaultRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// enabledRegions lists the regions to sweep: every region the account can
// use. Opt-in regions it has not enabled are skipped: nobody, the key's
// holder included, can call AWS there.
func enabledRegions(ctx context.Context, c *Clients) (enabled, skipped []string, findings []runbook.Finding) {
	out, err := c.EC2(c.HomeRegion()).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		findings = append(findings, callFinding(runbook.StepInvestigate, "ec2:DescribeRegions", err, fmt.Sprintf(
			"sweeping the %d regions enabled by default; opt-in regions the account enabled are not swept", len(defaultRegions))))
		return slices.Clone(defaultRegions), nil, findings
	}
	for _, r := range out.Regions {
		name := aws.ToString(r.RegionName)
		if aws.ToString(r.OptInStatus) == "not-opted-in" {
			skipped = append(skipped, name)
			continue
		}
		enabled = append(enabled, name)
	}
	slices.Sort(enabled)
	slices.Sort(skipped)
	return enabled, skipped, findings
}

// callerAccount is the account whose event history the sweep reads.
func callerAccount(ctx context.Context, c *Clients) string {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return ""
	}
	return aws.ToString(out.Account)
}

// withLookupResources gives a record the resources LookupEvents lists
// beside it when the record carries none: when CloudTrail omitted an
// oversized requestParameters or responseElements, they are what still
// names the instances launched or the key created.
func withLookupResources(rec TrailRecord, res []cttypes.Resource) TrailRecord {
	if len(rec.Resources) > 0 || len(res) == 0 {
		return rec
	}
	for _, r := range res {
		rec.Resources = append(rec.Resources, TrailResource{ARN: aws.ToString(r.ResourceName), Type: aws.ToString(r.ResourceType)})
	}
	return rec
}
