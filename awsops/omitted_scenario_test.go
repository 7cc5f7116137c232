package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// Issue 19 point 5: minted-session declares CloudTrail's real 100 KB field
// limit, and its attacker's launch of 48 instances, from a role session it minted, has a response past
// it: the record carries "omitted": true as AWS writes it, and the blast
// radius still names every instance, from the event's Resources, and says
// what it could not see.
func TestShippedScenarioOmitsAnOversizedResponse(t *testing.T) {
	s, url := startSim(t, "minted-session")
	if got := s.Scenario().TrailFieldLimit; got != 100*1024 {
		t.Fatalf("the scenario declares a field limit of %d, want CloudTrail's 102400", got)
	}
	c := responder(t, s, url)
	ctx := context.Background()
	out, err := c.CloudTrail("ap-southeast-2").LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("RunInstances")}}})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("look up the launch: %v (%d events)", err, len(out.Events))
	}
	ev := out.Events[0]
	if rec := aws.ToString(ev.CloudTrailEvent); !strings.Contains(rec, `"responseElements":{"omitted":true}`) {
		t.Fatalf("the launch's response was not omitted (%d bytes): %.400s", len(rec), rec[strings.Index(rec, "sourceIPAddress"):])
	}
	var launched []string
	for _, r := range ev.Resources {
		if aws.ToString(r.ResourceType) == "AWS::EC2::Instance" {
			launched = append(launched, aws.ToString(r.ResourceName))
		}
	}
	if len(launched) != 48 {
		t.Fatalf("the event's resources name %d instances, want 48", len(launched))
	}
	res, err := Sweep(ctx, c, SweepRequest{KeyID: s.LeakedKeyID(), From: s.Now().Add(-1 * day), To: s.Now()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var inBlast []string
	for _, r := range res.Investigation.BlastRadius {
		if r.Type == "ec2-instance" && r.Region == "ap-southeast-2" {
			inBlast = append(inBlast, r.ID)
		}
	}
	slices.Sort(launched)
	slices.Sort(inBlast)
	if !slices.Equal(inBlast, launched) {
		t.Fatalf("the blast radius names %d instances in us-east-2, want the 48 of the event's resources", len(inBlast))
	}
	if cov := strings.Join(res.Investigation.Coverage, " "); !strings.Contains(cov, "CloudTrail omitted the parameters or response of 1 event(s) for their size (RunInstances)") ||
		!strings.Contains(cov, "could not be seen") {
		t.Errorf("the coverage does not say what could not be seen: %q", cov)
	}
}
