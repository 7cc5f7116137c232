package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// historyRetention is how far back CloudTrail event history reaches.
const historyRetention = 90 * 24 * time.Hour

// deliveryLag is how long CloudTrail may take to show an event: "typically
// within 15 minutes of an API call" (CloudTrail user guide).
const deliveryLag = 15 * time.Minute

// Investigate carries out a SweepCloudTrail effect: it emits SweepProgress
// per region as the sweep goes and answers SweepFinished, or EffectFailed
// when the sweep was interrupted (a Retry then reads only the regions not
// finished) or could read no region at all.
func Investigate(ctx context.Context, c *Clients, eff runbook.SweepCloudTrail, emit func(runbook.Event)) runbook.Event {
	const effect = "SweepCloudTrail"
	res, err := Sweep(ctx, c, SweepRequest{KeyID: eff.KeyID, From: eff.From, To: eff.To, Regions: eff.Regions, ExposedAt: eff.ExposedAt},
		func(r runbook.RegionSweep) {
			if emit != nil {
				emit(runbook.SweepProgress{Region: r})
			}
		})
	switch {
	case err != nil:
		return effectFailed(effect, "cloudtrail:LookupEvents", err)
	case res.Interrupted:
		return runbook.EffectFailed{Effect: effect, Code: "Interrupted", Message: fmt.Sprintf(
			"The sweep was interrupted. Finished: %s. Not finished: %s. Retry reads only the regions not finished.",
			listOrNone(res.Finished), listOrNone(res.Unfinished))}
	case len(res.Finished) == 0:
		return nothingRead(effect, res)
	}
	return runbook.SweepFinished{Investigation: res.Investigation, Findings: res.Findings}
}

// nothingRead fails the effect when no region could be read: an empty
// investigation must never pass for a clean one.
func nothingRead(effect string, res SweepResult) runbook.EffectFailed {
	f := runbook.EffectFailed{Effect: effect, Message: "No region's event history could be read, so nothing is known of the key's use."}
	for _, r := range res.Investigation.Regions {
		if r.Error == "" {
			continue
		}
		if r.State == runbook.RegionDenied {
			f.Action, f.Code = "cloudtrail:LookupEvents", "AccessDenied"
		}
		f.Message = fmt.Sprintf("No region's event history could be read (%s: %s). Fix that, then retry.", r.Region, strings.TrimSuffix(r.Error, "."))
		break
	}
	return f
}

// result assembles what the run read so far.
func (r *sweepRun) result(interrupted bool) SweepResult {
	callers, indicators, blast := r.agg.Result()
	res := SweepResult{Interrupted: interrupted}
	res.Investigation = runbook.Investigation{From: r.from, To: r.to, Events: r.agg.Events(),
		Callers: callers, Indicators: indicators, BlastRadius: blast, Minted: r.agg.Minted()}
	for _, rr := range r.regions {
		res.Investigation.Regions = append(res.Investigation.Regions, rr.sweep)
		if rr.sweep.State == runbook.RegionDone {
			res.Finished = append(res.Finished, rr.sweep.Region)
		} else {
			res.Unfinished = append(res.Unfinished, rr.sweep.Region)
		}
	}
	res.Investigation.Coverage = append(r.coverage(), r.mintedCoverage(res.Investigation.Minted)...)
	if interrupted {
		return res
	}
	// Preparation findings go out once, with the first result that is not
	// an interruption: the machine keeps every finding it is given.
	if !r.reported {
		res.Findings, r.reported = append(res.Findings, r.findings...), true
	}
	for _, rr := range r.regions {
		s := rr.sweep
		if s.State != runbook.RegionDenied && s.State != runbook.RegionFailed {
			continue
		}
		f := runbook.Finding{Step: runbook.StepInvestigate, Severity: runbook.SeverityWarning,
			Message: fmt.Sprintf("%s was not swept: %s", s.Region, s.Error)}
		if s.State == runbook.RegionDenied {
			f.Action = "cloudtrail:LookupEvents"
		}
		if s.Region == "us-east-1" {
			f.Severity = runbook.SeverityCritical
		}
		res.Findings = append(res.Findings, f)
	}
	r.bad.Range(func(region, n any) bool {
		res.Findings = append(res.Findings, runbook.Finding{Step: runbook.StepInvestigate, Severity: runbook.SeverityWarning,
			Message: fmt.Sprintf("%d events in %s could not be read and were left out.", *n.(*int), region)})
		r.bad.Delete(region)
		return true
	})
	return res
}

// coverage states the sweep's blind spots in sentences for the responder
// and the postmortem.
func (r *sweepRun) coverage() []string {
	var out []string
	switch {
	case r.from.IsZero() || r.to.IsZero():
		out = append(out, "Window: the last 90 days, all that CloudTrail event history keeps.")
	default:
		out = append(out, fmt.Sprintf("Window: %s to %s.", stamp(r.from), stamp(r.to)))
		if kept := r.to.Add(-historyRetention); r.from.Before(kept) {
			out = append(out, fmt.Sprintf("CloudTrail event history keeps 90 days: nothing before %s could be read.", stamp(kept)))
		}
	}
	var done, notDone []string
	for _, rr := range r.regions {
		if rr.sweep.State == runbook.RegionDone {
			done = append(done, rr.sweep.Region)
		} else {
			notDone = append(notDone, fmt.Sprintf("%s (%s)", rr.sweep.Region, rr.sweep.State))
		}
	}
	if len(notDone) == 0 {
		out = append(out, fmt.Sprintf("Swept all %d enabled regions: %s.", len(done), strings.Join(done, ", ")))
	} else {
		out = append(out, fmt.Sprintf("Swept %d of %d regions: %s. Not swept: %s.", len(done), len(r.regions),
			listOrNone(done), strings.Join(notDone, ", ")))
	}
	if len(r.skipped) > 0 {
		out = append(out, fmt.Sprintf("Skipped %d opt-in regions the account has not enabled (no one can call AWS there): %s.",
			len(r.skipped), strings.Join(r.skipped, ", ")))
	}
	for _, rr := range r.regions {
		if rr.sweep.Region == "us-east-1" && rr.sweep.State != runbook.RegionDone {
			out = append(out, "us-east-1 was not swept: IAM, STS and console sign-in events are recorded only there, "+
				"so new users, keys and roles would go unseen.")
		}
	}
	out = append(out,
		"Management events only: data events (S3 object reads and writes, Lambda Invoke, DynamoDB items) are not in "+
			"event history; only a trail or CloudTrail Lake that records data events has them.",
		"Sources this sweep did not read: the trail's log files in S3, Athena tables over them and CloudTrail Lake "+
			"(add one as a trail source for data events and history past 90 days), and the CloudTrail of other accounts.",
		fmt.Sprintf("CloudTrail shows a call up to about 15 minutes after it is made: if this sweep ran before %s, "+
			"calls made after %s may be missing.", stamp(orNow(r.to).Add(deliveryLag)), stamp(orNow(r.to).Add(-deliveryLag))))
	return append(out, r.agg.Notes()...)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func listOrNone(regions []string) string {
	if len(regions) == 0 {
		return "none"
	}
	return strings.Join(regions, ", ")
}

// Report is the JSON document `keyrunbook respond --key … --investigate-only
// --json` prints: the identification, then the classified investigation.
type Report struct {
	Identification runbook.KeyIdentified  `json:"identification"`
	Investigation  *runbook.Investigation `json:"investigation,omitempty"`
	// Findings are the sweep's; the identification carries its own.
	Findings []runbook.Finding `json:"findings,omitempty"`
	// Failure says why there is no investigation, when there is none.
	Failure *runbook.EffectFailed `json:"failure,omitempty"`
}

// InvestigateOptions are the choices of an investigation without the TUI.
type InvestigateOptions struct {
	// From and To bound the window; zero To is Now, zero From is To less
	// 90 days (all event history keeps).
	From, To time.Time
	// Now is the current time (the simulated account's in training);
	// zero is the wall clock.
	Now time.Time
	// Progress, when set, receives each region's state as the sweep goes.
	Progress func(runbook.RegionSweep)
}

// InvestigateOnly identifies the key and sweeps CloudTrail for it, without
// changing anything: the headless path behind --investigate-only.
func InvestigateOnly(ctx context.Context, c *Clients, keyID string, opt InvestigateOptions) Report {
	rep := Report{Identification: Identify(ctx, c, keyID)}
	to := opt.To
	if to.IsZero() {
		to = orNow(opt.Now)
	}
	from := opt.From
	if from.IsZero() {
		from = to.Add(-historyRetention)
	}
	ev := Investigate(ctx, c, runbook.SweepCloudTrail{KeyID: keyID, From: from, To: to}, func(e runbook.Event) {
		if p, ok := e.(runbook.SweepProgress); ok && opt.Progress != nil {
			opt.Progress(p.Region)
		}
	})
	switch e := ev.(type) {
	case runbook.SweepFinished:
		rep.Investigation, rep.Findings = &e.Investigation, e.Findings
	case runbook.EffectFailed:
		rep.Failure = &e
	}
	return rep
}

// WriteJSON writes the report as one indented JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write the investigation as JSON: %w", err)
	}
	return nil
}
