package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// Issue 14: the simulated account omits an oversized responseElements as
// CloudTrail does, and the sweep still finds the attacker's instances and
// key from the events' resources, saying what it could not see.
func TestSweepSeesThroughOmittedFields(t *testing.T) {
	full := func(opts ...sim.Option) (map[string]bool, []string, string) {
		s, url := startSim(t, "attacker-only", opts...)
		c := responder(t, s, url)
		res, err := Sweep(context.Background(), c, SweepRequest{KeyID: s.LeakedKeyID(), From: s.Now().Add(-8 * day), To: s.Now()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range res.Investigation.BlastRadius {
			got[r.Type+" "+r.ID] = true
		}
		// What the record itself holds, as LookupEvents returns it.
		out, err := c.CloudTrail("sa-east-1").LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("RunInstances")}}})
		if err != nil || len(out.Events) == 0 {
			t.Fatalf("look up RunInstances: %v (%d events)", err, len(out.Events))
		}
		return got, res.Investigation.Coverage, aws.ToString(out.Events[0].CloudTrailEvent)
	}
	want, _, record := full()
	if strings.Contains(record, `"omitted"`) {
		t.Fatalf("a RunInstances response within 100 KB was omitted: %s", record)
	}
	got, coverage, record := full(sim.WithTrailFieldLimit(300))
	if !strings.Contains(record, `"responseElements":{"omitted":true}`) {
		t.Fatalf("the oversized response was not omitted: %s", record)
	}
	checked := 0
	for r := range want {
		if strings.HasPrefix(r, "ec2-instance ") || strings.HasPrefix(r, "access-key ") {
			checked++
			if !got[r] {
				t.Errorf("%s is missing from the blast radius once its response is omitted", r)
			}
		}
	}
	if checked < 2 {
		t.Fatalf("the scenario's blast radius %v holds too few instances and keys to test with", want)
	}
	if !strings.Contains(strings.Join(coverage, " "), "could not be seen") {
		t.Errorf("the coverage does not say what could not be seen: %q", coverage)
	}
}
