package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The model responder's reading of the watch, for the scripted drills of
// scenarios_test.go.

// judgeWatch is the model responder reading the watch before each poll.
// Uses of the key since the window began that all come from the
// attacker's addresses and all failed are containment working (the
// attacker still tries the dead key): the responder restarts the window,
// as the refusal to delete says. Any other use ends the drill: something
// legitimate still holds the key.
func (d *drill) judgeWatch(ctx context.Context) {
	d.t.Helper()
	st := d.state()
	if st.KeyUses == 0 || st.WatchPassed {
		return
	}
	uses := d.keyUses(ctx, st.WatchStart, d.tr.sim.Now())
	if len(uses) == 0 {
		return // a reading asked for before the last restart
	}
	for _, u := range uses {
		if !d.attackerAt(u.SourceIPAddress) || u.ErrorCode == "" {
			d.t.Fatalf("the key was used during the watch by %s (error %q): a legitimate caller was not moved", u.SourceIPAddress, u.ErrorCode)
		}
	}
	if _, err := d.en.Submit(runbook.RestartWatch{}); err != nil {
		d.t.Fatalf("restart the watch after the attacker's %d failed call(s): %v", len(uses), err)
	}
	d.restarts++
}

// keyUse is what the model reads of a CloudTrail event with the key.
type keyUse struct {
	SourceIPAddress string `json:"sourceIPAddress"`
	ErrorCode       string `json:"errorCode"`
}

// keyUses reads the leaked key's events in [from, to) in every region the
// sweep covered, as the responder would in the console.
func (d *drill) keyUses(ctx context.Context, from, to time.Time) []keyUse {
	d.t.Helper()
	var out []keyUse
	for _, r := range d.state().Investigation.Regions {
		ct := d.tr.exec.Clients().NewCloudTrail(r.Region)
		in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(from), EndTime: aws.Time(to),
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(d.state().KeyID)}}}
		for {
			page, err := ct.LookupEvents(ctx, in)
			if err != nil {
				d.t.Fatalf("look up the key's use in %s: %v", r.Region, err)
			}
			for _, ev := range page.Events {
				var u keyUse
				if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &u); err != nil {
					d.t.Fatal(err)
				}
				out = append(out, u)
			}
			if page.NextToken == nil {
				break
			}
			in.NextToken = page.NextToken
		}
	}
	return out
}

// attackerAt reports whether the scenario's attacker calls from ip.
func (d *drill) attackerAt(ip string) bool {
	for _, w := range d.sc.Workloads {
		if !w.Legitimate && w.SourceIP == ip {
			return true
		}
	}
	return false
}
