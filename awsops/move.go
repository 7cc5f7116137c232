package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// moveLookback is how far before the verification a caller's first call
// under its replacement may lie when the proposal does not say when it
// was applied (Proposal.AppliedAt; a log written before it did).
const moveLookback = time.Hour

// verifyMove watches CloudTrail until the caller shows up under its new
// identity (same place, new principal), or MoveTimeout passes on the
// clock. A caller that still signs with the leaked key after its first
// call as the replacement is flagged in Detail: turning the key off would
// break that part of it.
func (x *Executor) verifyMove(ctx context.Context, e runbook.VerifyMove) runbook.Event {
	const effect = "VerifyMove"
	p, c := e.Proposal, e.Caller
	if x.opts.DryRun {
		return runbook.CallerMoved{CallerID: p.CallerID, Detail: "dry-run: nothing was applied, so there is no move to see"}
	}
	start := x.now().Add(-moveLookback)
	if !p.AppliedAt.IsZero() {
		start = p.AppliedAt
	}
	deadline := x.now().Add(x.opts.MoveTimeout)
	next, scheduled := c.NextRun(x.now())
	if scheduled && x.opts.WaitForNextRun {
		// A scheduled caller shows nothing before its next run: wait for
		// it, and for CloudTrail to deliver it, rather than answer "not
		// moved" in between.
		deadline = later(deadline, next.Add(time.Hour+deliveryLag))
	}
	regions := dedupe(append(append([]string{p.Region}, c.Regions...), x.homeRegion()))
	for {
		now := x.now()
		first, n, err := x.firstAsReplacement(ctx, p, c, regions, start, now)
		if err != nil {
			return effectFailed(effect, "cloudtrail:LookupEvents", err)
		}
		if n > 0 {
			detail := fmt.Sprintf("%s called as %s from %s: %d call(s) since %s", callerName(c), p.Name, orValue(c.SourceIP, "its usual place"), n, first.Format(time.RFC3339))
			stale, err := x.leakedUses(ctx, e.KeyID, c, regions, first.Add(time.Millisecond), now)
			if err != nil {
				return effectFailed(effect, "cloudtrail:LookupEvents", err)
			}
			if stale > 0 {
				detail += fmt.Sprintf("; FLAGGED: it still signed %d call(s) with the leaked key after that: some of its code still holds the key", stale)
			}
			return runbook.CallerMoved{CallerID: p.CallerID, Moved: true, Detail: detail}
		}
		if !now.Before(deadline) {
			detail := fmt.Sprintf("%s was not seen as %s within %s", callerName(c), p.Name, x.opts.MoveTimeout)
			if next, ok := c.NextRun(now); ok {
				detail += fmt.Sprintf("; it runs on a schedule, next expected at %s: verify again after %s",
					next.Format("15:04 UTC"), next.Add(time.Hour+deliveryLag).Format("15:04 UTC"))
			}
			if stale, err := x.leakedUses(ctx, e.KeyID, c, regions, start, now); err == nil && stale > 0 {
				detail += fmt.Sprintf("; it signed %d call(s) with the leaked key meanwhile: restart it so it picks up the new credentials, then verify again", stale)
			}
			return runbook.CallerMoved{CallerID: p.CallerID, Moved: false, Detail: detail}
		}
		if err := x.opts.Clock.Sleep(ctx, x.opts.PollInterval); err != nil {
			return runbook.EffectFailed{Effect: effect, Code: "Canceled", Message: "Verifying the move was interrupted; verify again to go on."}
		}
	}
}

// firstAsReplacement finds the caller's calls as the replacement: by the
// replacement's session or user name, made by that principal, and from the
// caller's source IP where one place means one IP (not Lambda, whose
// addresses change).
func (x *Executor) firstAsReplacement(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller, regions []string, since, until time.Time) (time.Time, int, error) {
	names, err := x.replacementSessions(ctx, p, regions, since, until)
	if err != nil {
		return time.Time{}, 0, err
	}
	var first time.Time
	n := 0
	for _, region := range regions {
		for _, name := range names {
			recs, err := x.lookup(ctx, region, cttypes.LookupAttributeKeyUsername, name, since, until)
			if err != nil {
				return time.Time{}, 0, err
			}
			for _, r := range recs {
				if !isPrincipal(r.UserIdentity, p.Name) || !samePlace(p, c, r) {
					continue
				}
				n++
				if first.IsZero() || r.EventTime.Before(first) {
					first = r.EventTime
				}
			}
		}
	}
	return first, n, nil
}

// replacementSessions are the names the replacement's calls are recorded
// under (LookupEvents' Username is an assumed role's session name). An
// instance's or a function's session is named after it (sessionName), but
// ECS names a task role's session after the task ID, and a CI's web
// identity session carries the name the workflow sets
// (aws-actions/configure-aws-credentials: "GitHubActions" unless told),
// neither of which the proposal knows. Those are read off the
// AssumeRole/AssumeRoleWithWebIdentity events that opened a session of the
// replacement role (requestParameters.roleArn, roleSessionName); the calls
// found under them still count only when made by the role's sessions
// (isPrincipal: the assumed-role ARN, whose session issuer is the role).
func (x *Executor) replacementSessions(ctx context.Context, p runbook.Proposal, regions []string, since, until time.Time) ([]string, error) {
	names := []string{sessionName(p)}
	if p.Kind != runbook.ReplaceECSTaskRole && p.Kind != runbook.ReplaceOIDCRole {
		return names, nil
	}
	for _, region := range regions {
		for _, event := range []string{"AssumeRole", "AssumeRoleWithWebIdentity"} {
			recs, err := x.lookup(ctx, region, cttypes.LookupAttributeKeyEventName, event, since, until)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				var in struct {
					RoleARN     string `json:"roleArn"`
					SessionName string `json:"roleSessionName"`
				}
				if r.Failed() || json.Unmarshal(r.RequestParameters, &in) != nil || in.SessionName == "" || !isRoleARN(in.RoleARN, p.Name) {
					continue
				}
				if !slices.Contains(names, in.SessionName) {
					names = append(names, in.SessionName)
				}
			}
		}
	}
	return names, nil
}

// isRoleARN reports whether arn is the role of that name (at any path).
func isRoleARN(arn, name string) bool {
	_, res, ok := strings.Cut(arn, ":role/")
	return ok && (res == name || strings.HasSuffix(res, "/"+name))
}

// leakedUses counts the caller's calls signed with the leaked key.
func (x *Executor) leakedUses(ctx context.Context, keyID string, c runbook.UsageCaller, regions []string, since, until time.Time) (int, error) {
	if !since.Before(until) {
		return 0, nil
	}
	n := 0
	for _, region := range regions {
		recs, err := x.lookup(ctx, region, cttypes.LookupAttributeKeyAccessKeyId, keyID, since, until)
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			if r.SourceIPAddress == c.SourceIP && (c.UserAgent == "" || r.UserAgent == c.UserAgent) {
				n++
			}
		}
	}
	return n, nil
}

// samePlace reports whether r comes from where the caller ran. Lambda and
// ECS tasks change addresses, and so do hosted CI runners (GitHub's come
// from a pool of Azure ranges): for them the role's session is the place,
// and an OIDC role's trust admits only the workflow's tokens.
func samePlace(p runbook.Proposal, c runbook.UsageCaller, r TrailRecord) bool {
	if p.Kind == runbook.ReplaceLambdaRole || p.Kind == runbook.ReplaceECSTaskRole || p.Kind == runbook.ReplaceOIDCRole || c.SourceIP == "" {
		return true
	}
	return r.SourceIPAddress == c.SourceIP
}

func callerName(c runbook.UsageCaller) string {
	if c.Resource != "" {
		return "Caller " + c.ID + " (" + c.Resource + ")"
	}
	return "Caller " + c.ID
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
