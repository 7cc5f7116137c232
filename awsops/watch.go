package awsops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// maxLookupPages bounds one lookup of the watch or the move check: at 50
// events a page, 2,000 events in a poll interval is far more than a quiet
// key shows, and the LookupEvents quota (2 per second) is shared.
const maxLookupPages = 40

// pollWatch waits one poll interval on the clock, then reads the watch's
// signals: new events with the leaked key in every region, AccessDenied
// for the replacements, CloudWatch alarms in ALARM, and training's health.
func (x *Executor) pollWatch(ctx context.Context, e runbook.PollWatch) runbook.Event {
	const effect = "PollWatch"
	if x.opts.DryRun {
		// Nothing was turned off, so there is nothing to watch: the one
		// reading is dated at the window's end and the plan goes on.
		at := e.Since.Add(x.opts.WatchWindow)
		if now := x.now(); now.After(at) {
			at = now
		}
		return runbook.WatchObserved{At: at}
	}
	if err := x.opts.Clock.Sleep(ctx, x.opts.PollInterval); err != nil {
		return runbook.EffectFailed{Effect: effect, Code: "Canceled", Message: "The watch was interrupted before its reading; retry to go on watching."}
	}
	// Every reading makes the same calls (one lookup per region, one
	// alarm read per region): they are noted when that set changes or a
	// call fails, not on every tick, so a long watch does not bury the log
	// (a 16-minute drill wrote 55,295 records before).
	emit := emitterOf(ctx)
	var notes []runbook.Event
	var notesMu sync.Mutex
	ctx = withEmitter(ctx, func(ev runbook.Event) {
		notesMu.Lock()
		notes = append(notes, ev)
		notesMu.Unlock()
	})
	at := x.now()
	obs := runbook.WatchObserved{At: at}
	uses, err := x.keyUses(ctx, e.KeyID, e.Regions, e.Since, at)
	if err != nil {
		for _, n := range notes {
			emit(n)
		}
		f := effectFailed(effect, "cloudtrail:LookupEvents", err)
		f.Message = "The watch could not read the key's use, so this reading proves nothing: " + f.Message
		return f
	}
	for _, u := range uses {
		obs.KeyUses += u.Count
	}
	obs.Uses = uses
	var unread []runbook.UnreadSignal
	obs.Denied, unread = x.deniedCalls(ctx, e, at)
	obs.Unread = append(obs.Unread, unread...)
	obs.Alarms, unread = x.readAlarms(ctx, e.Applied, e.Callers)
	obs.Unread = append(obs.Unread, unread...)
	if x.opts.Health != nil {
		obs.Unhealthy = x.opts.Health()
	}
	if x.newWatchCalls(notes) {
		for _, n := range notes {
			emit(n)
		}
	}
	return obs
}

// newWatchCalls reports whether a reading's calls differ from the last
// noted reading's in what they call and where, or carry an error, and
// remembers them.
func (x *Executor) newWatchCalls(notes []runbook.Event) bool {
	var shape []string
	failed := false
	for _, n := range notes {
		c, ok := n.(runbook.APICall)
		if !ok {
			continue
		}
		failed = failed || c.Error != ""
		shape = append(shape, c.Service+":"+c.Operation)
	}
	slices.Sort(shape)
	key := strings.Join(shape, ",")
	x.mu.Lock()
	defer x.mu.Unlock()
	if key == x.watchCalls && !failed {
		return false
	}
	x.watchCalls = key
	return true
}

// keyUses reads the events signed with the key in [since, until) across
// the account's regions, folded by source, action, region and error.
// Failed calls count: an inactive key's use is someone still holding it,
// a caller not moved or the attacker; who it is decides the advice.
func (x *Executor) keyUses(ctx context.Context, keyID string, swept []string, since, until time.Time) ([]runbook.KeyUse, error) {
	regions := x.watchRegions(ctx, swept)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var recs []TrailRecord
	var errs []error
	for _, region := range regions {
		wg.Go(func() {
			got, err := x.lookup(ctx, region, cttypes.LookupAttributeKeyAccessKeyId, keyID, since, until)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", region, err))
				return
			}
			for _, r := range got {
				if r.UserIdentity.AccessKeyID == keyID {
					recs = append(recs, r)
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return foldKeyUses(recs), nil
}

// foldKeyUses folds the key's events into one use per source, user agent,
// action, region and error code, in order of first appearance in time.
func foldKeyUses(recs []TrailRecord) []runbook.KeyUse {
	slices.SortStableFunc(recs, func(a, b TrailRecord) int { return a.EventTime.Compare(b.EventTime) })
	var out []runbook.KeyUse
	index := map[string]int{}
	for _, r := range recs {
		action := judge.IAMPrefix(r.EventSource) + ":" + judge.NormalizeEventName(r.EventName)
		code := strings.TrimPrefix(r.ErrorCode, "Client.")
		k := strings.Join([]string{r.SourceIPAddress, r.UserAgent, action, r.AWSRegion, code}, "|")
		if i, ok := index[k]; ok {
			out[i].Count++
			out[i].Last = r.EventTime
			continue
		}
		index[k] = len(out)
		out = append(out, runbook.KeyUse{First: r.EventTime, Last: r.EventTime, Count: 1, SourceIP: r.SourceIPAddress,
			UserAgent: r.UserAgent, Tool: judge.ToolOf(r.UserAgent), Action: action, Region: r.AWSRegion, ErrorCode: code})
	}
	return out
}

// deniedCalls finds the replacements' calls IAM denied: a permission the
// least-privilege policy missed. A replacement role is looked up by its
// session name (an instance's ID, a function's name), a user by its name.
func (x *Executor) deniedCalls(ctx context.Context, e runbook.PollWatch, until time.Time) ([]runbook.DeniedCall, []runbook.UnreadSignal) {
	var out []runbook.DeniedCall
	var unread []runbook.UnreadSignal
	seen := map[string]int{}
	since := e.Since
	for _, name := range e.Replacements {
		lookupName, regions := name, []string{DefaultRegion, x.homeRegion()}
		if p, known := appliedNamed(e.Applied, name); known {
			lookupName = sessionName(p)
			regions = append(regions, x.candidateRegions(p, callerOf(e.Callers, p.CallerID))...)
		}
		for _, region := range dedupe(regions) {
			recs, err := x.lookup(ctx, region, cttypes.LookupAttributeKeyUsername, lookupName, since, until)
			if err != nil {
				unread = appendUnread(unread, unreadSignal("replacements denied", region, "cloudtrail:LookupEvents", err))
				continue
			}
			for _, r := range recs {
				if !deniedCodes[strings.TrimPrefix(r.ErrorCode, "Client.")] || !isPrincipal(r.UserIdentity, name) {
					continue
				}
				action := judge.IAMPrefix(r.EventSource) + ":" + judge.NormalizeEventName(r.EventName)
				if acts := judge.IAMActions(r.EventSource, r.EventName); len(acts) > 0 {
					action = acts[0]
				}
				key := name + "|" + action
				if i, ok := seen[key]; ok {
					if r.EventTime.After(out[i].Time) {
						out[i].Time = r.EventTime
					}
					continue
				}
				seen[key] = len(out)
				out = append(out, runbook.DeniedCall{Principal: name, Action: action, Time: r.EventTime})
			}
		}
	}
	return out, unread
}

// sessionName is the LookupEvents Username under which a replacement's
// calls appear: an instance role's session is named after the instance,
// a Lambda execution role's after the function, a user by its name.
func sessionName(p runbook.Proposal) string {
	switch p.Kind {
	case runbook.ReplaceInstanceRole, runbook.ReplaceLambdaRole:
		if p.Target != "" {
			return p.Target
		}
	}
	return p.Name
}

// isPrincipal reports whether a record was made by the named replacement:
// the user of that name, or a session of the role of that name.
func isPrincipal(u UserIdentity, name string) bool {
	switch u.Type {
	case "IAMUser":
		return u.UserName == name || strings.HasSuffix(u.ARN, ":user/"+name)
	case "AssumedRole":
		return strings.Contains(u.ARN, ":assumed-role/"+name+"/")
	}
	return false
}

// alarms lists CloudWatch alarms in ALARM (readAlarms), without saying
// which regions could not be read.
func (x *Executor) alarms(ctx context.Context) []string {
	out, _ := x.readAlarms(ctx, nil, nil)
	return out
}

// readAlarms lists CloudWatch alarms in ALARM in the home region and the
// replacements' regions, and the regions it could not read: an alarm that
// could not be read is unknown, never quiet.
func (x *Executor) readAlarms(ctx context.Context, applied []runbook.Proposal, callers []runbook.UsageCaller) ([]string, []runbook.UnreadSignal) {
	// Alarms live where the workloads run: the home region, the regions of
	// the replacements, and every region a legitimate caller of the key
	// used, since a caller never moved is the one whose alarm matters.
	regions := []string{x.homeRegion()}
	for _, p := range applied {
		regions = append(regions, p.Region)
	}
	for _, c := range callers {
		if c.NeedsReplacement() {
			regions = append(regions, c.Regions...)
			if c.ResourceRegion != "" {
				regions = append(regions, c.ResourceRegion)
			}
		}
	}
	var out []string
	var unread []runbook.UnreadSignal
	for _, region := range dedupe(regions) {
		in := &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}
		if x.opts.AlarmPrefix != "" {
			in.AlarmNamePrefix = aws.String(x.opts.AlarmPrefix)
		}
		p := cloudwatch.NewDescribeAlarmsPaginator(x.read.cloudWatch(region), in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				unread = appendUnread(unread, unreadSignal("alarms", region, "cloudwatch:DescribeAlarms", err))
				break
			}
			for _, a := range page.MetricAlarms {
				out = append(out, aws.ToString(a.AlarmName))
			}
			for _, a := range page.CompositeAlarms {
				out = append(out, aws.ToString(a.AlarmName))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), unread
}

// unreadSignal says why a signal could not be read in a region, naming
// the permission when AWS denied it.
func unreadSignal(signal, region, action string, err error) runbook.UnreadSignal {
	u := runbook.UnreadSignal{Signal: signal, Region: region}
	if missing, _ := describe(action, err); missing != "" {
		u.Action, u.Reason = missing, "AWS denied "+missing+" to your credentials"
		return u
	}
	if isUnsupported(err) || apiCode(err) == "" {
		u.Reason = "this account or endpoint does not answer " + action + " (" + oneLine(err) + ")"
		return u
	}
	u.Reason = action + " failed: " + oneLine(err)
	return u
}

// appendUnread adds u unless the same signal and reason are already there
// for another region, in which case it names that region too.
func appendUnread(list []runbook.UnreadSignal, u runbook.UnreadSignal) []runbook.UnreadSignal {
	for i, v := range list {
		if v.Signal == u.Signal && v.Reason == u.Reason && v.Action == u.Action {
			list[i].Region += ", " + u.Region
			return list
		}
	}
	return append(list, u)
}

// watchRegions are the regions whose event history the watch reads: those
// the investigation read, else the account's enabled regions, else the
// home region alone.
func (x *Executor) watchRegions(ctx context.Context, swept []string) []string {
	x.mu.Lock()
	cached := x.accountRegions
	x.mu.Unlock()
	if len(swept) == 0 && len(cached) > 0 {
		return cached
	}
	regions := slices.Clone(swept)
	if len(regions) == 0 {
		out, err := x.read.ec2(x.homeRegion()).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err == nil {
			for _, r := range out.Regions {
				regions = append(regions, aws.ToString(r.RegionName))
			}
		}
	}
	regions = dedupe(append(regions, x.homeRegion()))
	if len(swept) == 0 {
		x.mu.Lock()
		x.accountRegions = regions
		x.mu.Unlock()
	}
	return regions
}

// lookup reads one attribute's events in [since, until) in a region, at
// most maxLookupPages pages, on the region's LookupEvents bucket, which the
// sweep and every other reader share (Clients.lookupLimiter).
func (x *Executor) lookup(ctx context.Context, region string, key cttypes.LookupAttributeKey, value string, since, until time.Time) ([]TrailRecord, error) {
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(value)}},
		StartTime:        aws.Time(since), EndTime: aws.Time(until), MaxResults: aws.Int32(50),
	}
	p := cloudtrail.NewLookupEventsPaginator(x.read.cloudTrail(region), in)
	var out []TrailRecord
	for page := 0; p.HasMorePages() && page < maxLookupPages; page++ {
		if err := x.clients.lookupLimiter(region).Wait(ctx); err != nil {
			return nil, err
		}
		res, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ev := range res.Events {
			rec, err := judge.ParseTrailRecord([]byte(aws.ToString(ev.CloudTrailEvent)))
			if err != nil {
				continue // one unreadable record must not hide the others
			}
			if rec.EventTime.Before(since) || !rec.EventTime.Before(until) {
				continue
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

func oneLine(err error) string {
	return redact(strings.Join(strings.Fields(err.Error()), " "))
}

// appliedNamed finds the applied replacement of the name.
func appliedNamed(applied []runbook.Proposal, name string) (runbook.Proposal, bool) {
	for _, p := range applied {
		if p.Name == name {
			return p, true
		}
	}
	return runbook.Proposal{}, false
}

// callerOf finds a caller by ID; the zero caller when it is not there.
func callerOf(callers []runbook.UsageCaller, id string) runbook.UsageCaller {
	for _, c := range callers {
		if c.ID == id {
			return c
		}
	}
	return runbook.UsageCaller{}
}
