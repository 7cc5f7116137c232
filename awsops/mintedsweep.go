package awsops

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// followMinted looks up, in every region the sweep read, the events of the
// temporary credentials the key minted, and folds them in as the key's:
// a minted key's calls are the leak's calls. What those calls minted is
// followed in turn, up to judge.MaxMintDepth hops. A region's lookups wait
// on the region's one LookupEvents bucket (Clients.lookupLimiter), one key
// after another.
func (r *sweepRun) followMinted(ctx context.Context, c *Clients, emit func(runbook.RegionSweep)) {
	for hop := 0; hop < judge.MaxMintDepth && ctx.Err() == nil; hop++ {
		byRegion := map[*regionRun][]judge.MintedTarget{}
		for _, t := range r.agg.MintedToSweep(r.doneRegions()) {
			for _, name := range t.Regions {
				if rr := r.region(name); rr != nil {
					byRegion[rr] = append(byRegion[rr], t)
				}
			}
		}
		if len(byRegion) == 0 {
			return
		}
		var wg sync.WaitGroup
		for rr, targets := range byRegion {
			wg.Go(func() {
				api := c.CloudTrail(rr.sweep.Region)
				lim := c.lookupLimiter(rr.sweep.Region)
				for _, t := range targets {
					if !r.sweepMinted(ctx, api, lim, rr, t.Cred) {
						return
					}
				}
				emit(rr.sweep)
			})
		}
		wg.Wait()
	}
}

// sweepMinted reads one minted key's events in one region, within the
// sweep's window and the key's life. It reports false when the context
// ended. A lookup that failed after the SDK's retries is noted for the
// coverage and the key is left unread there: the investigation names it as
// a gap (an attacker's session must not pass for one that did nothing),
// and the next hop tries it again.
func (r *sweepRun) sweepMinted(ctx context.Context, api CloudTrailAPI, lim *rate.Limiter, rr *regionRun, m runbook.MintedCredential) bool {
	from, to := m.IssuedAt.Add(-time.Minute), m.ExpiresAt
	if !r.from.IsZero() && from.Before(r.from) {
		from = r.from
	}
	if !r.to.IsZero() && to.After(r.to) {
		to = r.to
	}
	if !from.Before(to) {
		r.agg.MarkMintedSwept(m.KeyID, rr.sweep.Region)
		return true
	}
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(m.KeyID)}},
		MaxResults:       aws.Int32(lookupPageSize), StartTime: aws.Time(from), EndTime: aws.Time(to),
	}
	// Events are folded only once every page is read, so a failed lookup
	// tried again by the next hop counts none of them twice.
	var recs []judge.TrailRecord
	pages := cloudtrail.NewLookupEventsPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, paced(lim, func() {}))
		if err != nil {
			if ctx.Err() != nil || isCanceled(err) {
				return false
			}
			_, text := describe("cloudtrail:LookupEvents", err)
			r.noteMintedGap(fmt.Sprintf("The calls of %s in %s could not be read: %s", m.KeyID, rr.sweep.Region, strings.TrimSuffix(text, ".")))
			r.agg.MarkMintedUnread(m.KeyID, rr.sweep.Region)
			return true
		}
		for _, ev := range page.Events {
			rec, err := judge.ParseTrailRecord([]byte(aws.ToString(ev.CloudTrailEvent)))
			if err != nil {
				n, _ := r.bad.LoadOrStore(rr.sweep.Region, new(int))
				*n.(*int)++
				continue
			}
			recs = append(recs, withLookupResources(rec, ev.Resources))
		}
	}
	for _, rec := range recs {
		r.agg.Add(rec)
		rr.sweep.Events++
	}
	r.agg.MarkMintedSwept(m.KeyID, rr.sweep.Region)
	return true
}

// gapList collects the lookups of minted keys that failed, for the coverage.
type gapList struct {
	mu    sync.Mutex
	notes []string
}

func (r *sweepRun) noteMintedGap(s string) {
	r.mintedGaps.mu.Lock()
	defer r.mintedGaps.mu.Unlock()
	r.mintedGaps.notes = append(r.mintedGaps.notes, s)
}

func (r *sweepRun) mintedGapNotes() []string {
	r.mintedGaps.mu.Lock()
	defer r.mintedGaps.mu.Unlock()
	return append([]string(nil), r.mintedGaps.notes...)
}

func (r *sweepRun) doneRegions() []string {
	var out []string
	for _, rr := range r.regions {
		if rr.sweep.State == runbook.RegionDone {
			out = append(out, rr.sweep.Region)
		}
	}
	return out
}

func (r *sweepRun) region(name string) *regionRun {
	for _, rr := range r.regions {
		if rr.sweep.Region == name {
			return rr
		}
	}
	return nil
}

// mintedCoverage states what following the minted credentials read and
// could not: another account's sessions, regions not swept, failures.
func (r *sweepRun) mintedCoverage(minted []runbook.MintedCredential) []string {
	if len(minted) == 0 {
		return []string{"Temporary credentials: the key minted none that event history shows (no successful GetSessionToken, GetFederationToken or AssumeRole)."}
	}
	var followed, foreign []string
	for _, m := range minted {
		switch {
		case m.CrossAccount:
			foreign = append(foreign, fmt.Sprintf("%s (%s)", m.KeyID, m.RoleARN))
		case m.Swept:
			followed = append(followed, fmt.Sprintf("%s (%s, %d calls)", m.KeyID, m.Via, m.Events))
		}
	}
	var out []string
	if len(followed) > 0 {
		out = append(out, fmt.Sprintf("Followed %d temporary credential(s) the key minted, their calls counted as the key's: %s.",
			len(followed), strings.Join(followed, ", ")))
	}
	if len(foreign) > 0 {
		out = append(out, fmt.Sprintf("Not followed: %s act in another account, whose CloudTrail this sweep cannot read; what they did there is unknown.",
			strings.Join(foreign, ", ")))
	}
	var notDone []string
	for _, rr := range r.regions {
		if rr.sweep.State != runbook.RegionDone {
			notDone = append(notDone, rr.sweep.Region)
		}
	}
	if len(notDone) > 0 {
		out = append(out, fmt.Sprintf("Neither the key's calls nor those of the credentials it minted were read in %s.", strings.Join(notDone, ", ")))
	}
	return append(out, r.mintedGapNotes()...)
}
