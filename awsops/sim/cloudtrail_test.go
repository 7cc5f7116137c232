package sim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// lookupAll pages through LookupEvents with the SDK's paginator.
func lookupAll(t *testing.T, c *cloudtrail.Client, in *cloudtrail.LookupEventsInput) []types.Event {
	t.Helper()
	var out []types.Event
	p := cloudtrail.NewLookupEventsPaginator(c, in)
	for p.HasMorePages() {
		page := must[*cloudtrail.LookupEventsOutput](t)(p.NextPage(ctx))
		out = append(out, page.Events...)
	}
	return out
}

// withoutLookups drops the test's own LookupEvents calls, which CloudTrail
// records like any other; an SDK retry of a first page can see its first
// attempt's event.
func withoutLookups(evs []types.Event) []types.Event {
	return slices.DeleteFunc(evs, func(ev types.Event) bool { return *ev.EventSource == "cloudtrail.amazonaws.com" })
}

func byAttr(key types.LookupAttributeKey, val string) *cloudtrail.LookupEventsInput {
	return &cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{{AttributeKey: key, AttributeValue: &val}}}
}

// trailRecord is the part of a CloudTrail record the tests read.
type trailRecord struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		ARN         string `json:"arn"`
		AccountID   string `json:"accountId"`
		AccessKeyID string `json:"accessKeyId"`
		UserName    string `json:"userName"`
	} `json:"userIdentity"`
	EventTime          time.Time       `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           *bool           `json:"readOnly"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
}

func parseRecord(t *testing.T, ev types.Event) trailRecord {
	t.Helper()
	var r trailRecord
	if err := json.Unmarshal([]byte(*ev.CloudTrailEvent), &r); err != nil {
		t.Fatalf("CloudTrailEvent is not JSON: %v", err)
	}
	return r
}

func TestLookupByLeakedKey(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	leaked := e.sim.LeakedKeyID()
	tests := []struct {
		region  string
		days    int
		sources []string // every event source the key shows in that region
		min     int
	}{
		// IAM and STS-global calls land in us-east-1, as does s3 ListBuckets;
		// the intrusion began 6 days ago.
		{"us-east-1", 7, []string{"ec2.amazonaws.com", "iam.amazonaws.com", "s3.amazonaws.com", "sts.amazonaws.com"}, 2000},
		{"eu-west-1", 2, []string{"ec2.amazonaws.com", "kms.amazonaws.com", "ssm.amazonaws.com"}, 1150},
		{"ap-southeast-3", 7, []string{"ec2.amazonaws.com"}, 1},
		{"eu-central-1", 7, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			in := byAttr(types.LookupAttributeKeyAccessKeyId, leaked)
			in.StartTime = aws.Time(e.sim.Now().Add(-time.Duration(tt.days) * 24 * time.Hour))
			evs := lookupAll(t, e.responder(tt.region).ct, in)
			if len(evs) < tt.min {
				t.Fatalf("%d events, want at least %d", len(evs), tt.min)
			}
			var sources []string
			for i, ev := range evs {
				if *ev.AccessKeyId != leaked {
					t.Fatalf("event %d has key %s", i, *ev.AccessKeyId)
				}
				if i > 0 && ev.EventTime.After(*evs[i-1].EventTime) {
					t.Fatalf("event %d is newer than event %d: not newest first", i, i-1)
				}
				if !slices.Contains(sources, *ev.EventSource) {
					sources = append(sources, *ev.EventSource)
				}
			}
			slices.Sort(sources)
			if !slices.Equal(sources, tt.sources) {
				t.Errorf("sources %v, want %v", sources, tt.sources)
			}
		})
	}
}

func TestLookupRecordShape(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	ct := e.responder("us-east-1").ct
	evs := lookupAll(t, ct, byAttr(types.LookupAttributeKeyEventName, "CreateUser"))
	if len(evs) != 1 {
		t.Fatalf("%d CreateUser events", len(evs))
	}
	ev := evs[0]
	r := parseRecord(t, ev)
	if r.UserIdentity.Type != "Root" || r.UserIdentity.ARN != "arn:aws:iam::418295730164:root" ||
		r.UserIdentity.AccessKeyID != e.sim.LeakedKeyID() || r.UserIdentity.AccountID != "418295730164" ||
		r.EventSource != "iam.amazonaws.com" || r.AWSRegion != "us-east-1" || r.SourceIPAddress != "198.51.100.23" ||
		!strings.HasPrefix(r.UserAgent, "Boto3/") || r.ReadOnly == nil || *r.ReadOnly || r.EventType != "AwsApiCall" ||
		!r.ManagementEvent || r.RecipientAccountID != "418295730164" || r.EventID != *ev.EventId || r.EventVersion == "" {
		t.Errorf("record %+v", r)
	}
	if !strings.Contains(string(r.RequestParameters), `"userName":"backup-admin"`) ||
		!strings.Contains(string(r.ResponseElements), `"userName":"backup-admin"`) {
		t.Errorf("params %s response %s", r.RequestParameters, r.ResponseElements)
	}
	if *ev.Username != "root" || *ev.ReadOnly != "false" || len(ev.Resources) != 1 || *ev.Resources[0].ResourceName != "backup-admin" {
		t.Errorf("lookup fields %+v", ev)
	}
	// The planted key's creation: resources name it, the secret never shows.
	keys := lookupAll(t, ct, byAttr(types.LookupAttributeKeyEventName, "CreateAccessKey"))
	backdoor, _, _ := e.sim.KeyCredentials("backdoor")
	if len(keys) != 1 || !strings.Contains(*keys[0].CloudTrailEvent, backdoor) || strings.Contains(strings.ToLower(*keys[0].CloudTrailEvent), "secret") {
		t.Errorf("CreateAccessKey event %v", keys)
	}
}

func TestLookupAttributes(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	ct := e.responder("ap-southeast-3").ct
	// The test's own LookupEvents calls are recorded too (a retried first
	// page sees its first attempt's event): count only the EC2 history.
	all := withoutLookups(lookupAll(t, ct, &cloudtrail.LookupEventsInput{}))
	run := lookupAll(t, ct, byAttr(types.LookupAttributeKeyEventName, "RunInstances"))
	if len(run) != 1 || len(run[0].Resources) != 4 {
		t.Fatalf("RunInstances events %+v", run)
	}
	tests := []struct {
		key  types.LookupAttributeKey
		val  string
		want int
	}{
		{types.LookupAttributeKeyEventId, *run[0].EventId, 1},
		{types.LookupAttributeKeyEventName, "DescribeInstances", len(all) - 1},
		{types.LookupAttributeKeyEventSource, "ec2.amazonaws.com", len(all)},
		{types.LookupAttributeKeyReadOnly, "false", 1},
		{types.LookupAttributeKeyReadOnly, "true", len(all) - 1},
		{types.LookupAttributeKeyResourceType, "AWS::EC2::Instance", 1},
		{types.LookupAttributeKeyResourceName, *run[0].Resources[0].ResourceName, 1},
		{types.LookupAttributeKeyUsername, "backup-admin", len(all) - 1},
		{types.LookupAttributeKeyUsername, "root", 1},
		{types.LookupAttributeKeyEventId, "00000000-0000-4000-8000-000000000000", 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.key)+"="+tt.val, func(t *testing.T) {
			got := 0
			for _, ev := range lookupAll(t, ct, byAttr(tt.key, tt.val)) {
				if *ev.EventSource != "cloudtrail.amazonaws.com" { // the test's own lookups
					got++
				}
			}
			if got != tt.want {
				t.Errorf("%d events, want %d", got, tt.want)
			}
		})
	}
	if len(all) < 60 { // every 2h for almost 6 days
		t.Errorf("only %d events in ap-southeast-3", len(all))
	}
}

func TestLookupPagesAndTimeRange(t *testing.T) {
	e := start(t, "attacker-only")
	ct := e.responder("eu-central-1").ct
	now := e.sim.Now()
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(now.Add(-3 * time.Hour)), EndTime: aws.Time(now), MaxResults: aws.Int32(7)}
	var pages, n int
	var seen []string
	p := cloudtrail.NewLookupEventsPaginator(ct, in)
	for p.HasMorePages() {
		out := must[*cloudtrail.LookupEventsOutput](t)(p.NextPage(ctx))
		pages++
		if len(out.Events) > 7 {
			t.Fatalf("page of %d events", len(out.Events))
		}
		for _, ev := range withoutLookups(out.Events) {
			n++
			if ev.EventTime.Before(now.Add(-3*time.Hour)) || ev.EventTime.After(now) || slices.Contains(seen, *ev.EventId) {
				t.Fatalf("event %s at %v out of range or repeated", *ev.EventId, ev.EventTime)
			}
			seen = append(seen, *ev.EventId)
		}
	}
	// metrics-push calls every 10 minutes: 18 in 3 hours, so 3 pages of 7.
	if n != 18 || pages != 3 {
		t.Errorf("%d events in %d pages, want 18 in 3", n, pages)
	}
	// 90-day retention: nothing older is served however far back one asks.
	old := lookupAll(t, ct, &cloudtrail.LookupEventsInput{StartTime: aws.Time(now.Add(-400 * 24 * time.Hour)), EndTime: aws.Time(now.Add(-89 * 24 * time.Hour))})
	for _, ev := range old {
		if ev.EventTime.Before(now.Add(-90 * 24 * time.Hour)) {
			t.Fatalf("event from %v served past retention", ev.EventTime)
		}
	}
	if len(old) == 0 || len(old) > 150 {
		t.Errorf("%d events on the 90th day, want one day's worth", len(old))
	}
}

func TestLookupErrors(t *testing.T) {
	e := start(t, "attacker-only")
	ct := e.responder("us-east-1").ct
	now := e.sim.Now()
	two := &cloudtrail.LookupEventsInput{LookupAttributes: []types.LookupAttribute{
		{AttributeKey: types.LookupAttributeKeyUsername, AttributeValue: aws.String("a")},
		{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String("b")}}}
	tests := []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		{"two attributes", two, "InvalidLookupAttributesException"},
		{"unknown attribute", byAttr("Colour", "red"), "InvalidLookupAttributesException"},
		{"empty value", byAttr(types.LookupAttributeKeyUsername, ""), "InvalidLookupAttributesException"},
		{"max results 51", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"bad token", &cloudtrail.LookupEventsInput{NextToken: aws.String("bm9wZQ")}, "InvalidNextTokenException"},
		{"start after end", &cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"bad category", &cloudtrail.LookupEventsInput{EventCategory: "data"}, "InvalidEventCategoryException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ct.LookupEvents(ctx, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	// A token from one query is refused for another.
	out := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)}))
	_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: out.NextToken, LookupAttributes: byAttr(types.LookupAttributeKeyUsername, "root").LookupAttributes})
	wantCode(t, err, "InvalidNextTokenException")
	// Without LookupEvents permission: the CloudTrail protocol's AccessDenied.
	_, err = e.keyAs(t, "metrics", "us-east-1").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	wantCode(t, err, "AccessDeniedException")
	// A region the account has not enabled does not recognise the key.
	_, err = e.responder("ap-east-1").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	wantCode(t, err, "UnrecognizedClientException")
}

func TestLookupThrottledAndRetried(t *testing.T) {
	e := start(t, "attacker-only", sim.WithThrottle(2))
	id, secret := e.sim.ResponderCredentials()
	ct := e.as(id, secret, "eu-central-1", fastRetryer).ct
	// 5 pages of 40 at 2 requests per second: the SDK must retry through.
	in := &cloudtrail.LookupEventsInput{EndTime: aws.Time(e.sim.Now()), StartTime: aws.Time(e.sim.Now().Add(-200 * time.Minute)), MaxResults: aws.Int32(4)}
	evs := withoutLookups(lookupAll(t, ct, in))
	if len(evs) != 20 {
		t.Fatalf("%d events, want 20 (every 10 minutes for 200 minutes)", len(evs))
	}
	throttled := 0
	for _, r := range e.sim.Requests() {
		if r.ErrorCode == "ThrottlingException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no request was throttled at 2 per second")
	}
	// Without retries the error surfaces, and the SDK classifies it as a
	// throttle (which is what the retryer and adaptive mode key on).
	bare := e.as(id, secret, "eu-central-1", func() aws.Retryer { return aws.NopRetryer{} }).ct
	var err error
	for range 5 {
		if _, err = bare.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
			break
		}
	}
	wantCode(t, err, "ThrottlingException")
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Error("SDK does not see the error as a throttle")
	}
	// Throttling is per region: another region answers at once.
	must[*cloudtrail.LookupEventsOutput](t)(e.as(id, secret, "us-east-1").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}))
}

func TestDescribeTrails(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	tests := []struct {
		region string
		shadow *bool
		want   int
	}{
		{"us-east-1", nil, 1},
		{"eu-west-1", nil, 1},
		{"eu-west-1", aws.Bool(false), 0},
	}
	for _, tt := range tests {
		out := must[*cloudtrail.DescribeTrailsOutput](t)(e.responder(tt.region).ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: tt.shadow}))
		if len(out.TrailList) != tt.want {
			t.Errorf("%s shadow=%v: %d trails, want %d", tt.region, tt.shadow, len(out.TrailList), tt.want)
		}
		if tt.want == 1 && (*out.TrailList[0].TrailARN != "arn:aws:cloudtrail:us-east-1:418295730164:trail/management-events" || !*out.TrailList[0].IsMultiRegionTrail) {
			t.Errorf("trail %+v", out.TrailList[0])
		}
	}
}
