package sim_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// cloudWatchAs is the real SDK client, which speaks smithy-rpcv2-cbor.
func (e *env) cloudWatchAs(keyID, secret, region string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
}

func (e *env) cloudWatch(region string) *cloudwatch.Client {
	id, secret := e.sim.ResponderCredentials()
	return e.cloudWatchAs(id, secret, region)
}

// alarmStates reads every alarm of a region through the paginator.
func alarmStates(t *testing.T, cw *cloudwatch.Client, in *cloudwatch.DescribeAlarmsInput) map[string]cwtypes.MetricAlarm {
	t.Helper()
	out := map[string]cwtypes.MetricAlarm{}
	p := cloudwatch.NewDescribeAlarmsPaginator(cw, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		for _, a := range page.MetricAlarms {
			out[aws.ToString(a.AlarmName)] = a
		}
	}
	return out
}

// A workload's alarm is OK while its calls succeed and goes to ALARM from
// its first failed call once its key is deactivated; a workload that has
// not called since stays OK.
func TestExtCloudWatchAlarmsFollowWorkloadHealth(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	cw := e.cloudWatch("us-west-2")
	before := alarmStates(t, cw, &cloudwatch.DescribeAlarmsInput{})
	if len(before) != 2 {
		t.Fatalf("want the two workloads' alarms in us-west-2, got %v", slices.Collect(maps.Keys(before)))
	}
	for name, a := range before {
		if a.StateValue != cwtypes.StateValueOk || aws.ToString(a.Namespace) != "Workloads" || aws.ToString(a.MetricName) != "Errors" ||
			aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-west-2:730519468211:alarm:"+name || a.StateUpdatedTimestamp == nil {
			t.Errorf("%s before the incident: %+v", name, a)
		}
	}
	if other := alarmStates(t, e.cloudWatch("us-east-1"), &cloudwatch.DescribeAlarmsInput{}); len(other) != 0 {
		t.Errorf("alarms in us-east-1, where no workload runs: %v", slices.Collect(maps.Keys(other)))
	}

	leaked, _, _ := e.sim.KeyCredentials("leaked")
	_, err := e.responder("us-east-1").iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("svc-reporting"),
		AccessKeyId: aws.String(leaked), Status: iamtypes.StatusTypeInactive})
	if err != nil {
		t.Fatal(err)
	}
	off := e.sim.Now()
	e.sim.Advance(time.Hour) // report-builder calls every 15 minutes, the pipeline every 8 hours
	alarming := alarmStates(t, cw, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm})
	a, ok := alarming["report-builder-Errors"]
	if len(alarming) != 1 || !ok {
		t.Fatalf("want report-builder-Errors alone in ALARM an hour after, got %v", slices.Collect(maps.Keys(alarming)))
	}
	if at := aws.ToTime(a.StateUpdatedTimestamp); at.Before(off) || at.After(off.Add(16*time.Minute)) {
		t.Errorf("ALARM since %s, want within 16 minutes of the deactivation at %s", at, off)
	}
	// SSM, the function's first call, answers an inactive key so.
	if !strings.Contains(aws.ToString(a.StateReason), "UnrecognizedClientException") {
		t.Errorf("state reason does not say why: %q", aws.ToString(a.StateReason))
	}
	e.sim.Advance(9 * time.Hour)
	if alarming = alarmStates(t, cw, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}); len(alarming) != 2 {
		t.Errorf("want both alarms in ALARM once the pipeline ran, got %v", slices.Collect(maps.Keys(alarming)))
	}
}

func TestExtCloudWatchDescribeAlarmsFilters(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	cw := e.cloudWatch("us-west-2")
	tests := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want []string
	}{
		{"all", cloudwatch.DescribeAlarmsInput{}, []string{"deploy-pipeline-failed", "report-builder-Errors"}},
		{"prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("report-")}, []string{"report-builder-Errors"}},
		{"names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"deploy-pipeline-failed", "nope"}}, []string{"deploy-pipeline-failed"}},
		{"state OK", cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueOk}, []string{"deploy-pipeline-failed", "report-builder-Errors"}},
		{"state ALARM", cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}, nil},
		{"one a page", cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)}, []string{"deploy-pipeline-failed", "report-builder-Errors"}},
		{"composite only", cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}, nil},
		{"action prefix", cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			got := slices.Sorted(maps.Keys(alarmStates(t, cw, &in)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("alarms = %v, want %v", got, tt.want)
			}
		})
	}
	first := must[*cloudwatch.DescribeAlarmsOutput](t)(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)}))
	if len(first.MetricAlarms) != 1 || first.NextToken == nil {
		t.Errorf("MaxRecords 1: %d alarms, next token %v", len(first.MetricAlarms), first.NextToken)
	}
}

func TestExtCloudWatchErrors(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	grafana, grafanaSecret, _ := e.sim.KeyCredentials("grafana")
	leaked, leakedSecret, _ := e.sim.KeyCredentials("leaked")
	tests := []struct {
		name string
		cw   *cloudwatch.Client
		in   cloudwatch.DescribeAlarmsInput
		code string
	}{
		{"read-only user", e.cloudWatchAs(grafana, grafanaSecret, "us-west-2"), cloudwatch.DescribeAlarmsInput{}, ""},
		{"no permission", e.cloudWatchAs(leaked, leakedSecret, "us-west-2"), cloudwatch.DescribeAlarmsInput{}, "AccessDenied"},
		{"unknown key", e.cloudWatchAs("AKIAZZZZZZZZZZZZZZZZ", "x", "us-west-2"), cloudwatch.DescribeAlarmsInput{}, "InvalidClientTokenId"},
		{"names and prefix", e.cloudWatch("us-west-2"), cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")}, "InvalidParameterCombination"},
		{"bad token", e.cloudWatch("us-west-2"), cloudwatch.DescribeAlarmsInput{NextToken: aws.String("not-a-token")}, "InvalidNextToken"},
		{"bad state", e.cloudWatch("us-west-2"), cloudwatch.DescribeAlarmsInput{StateValue: "BROKEN"}, "ValidationError"},
		{"too many records", e.cloudWatch("us-west-2"), cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			_, err := tt.cw.DescribeAlarms(ctx, &in)
			wantCode(t, err, tt.code)
		})
	}
}

// Each DescribeAlarms leaves a read event under monitoring.amazonaws.com,
// as on AWS, a denied one with its error code.
func TestExtCloudWatchCallsAreInCloudTrail(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	leaked, secret, _ := e.sim.KeyCredentials("leaked")
	_, _ = e.cloudWatch("us-west-2").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm, AlarmNamePrefix: aws.String("report")})
	_, _ = e.cloudWatchAs(leaked, secret, "us-west-2").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	out := must[*cloudtrail.LookupEventsOutput](t)(e.responder("us-west-2").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DescribeAlarms")}},
		StartTime:        aws.Time(e.sim.Now().Add(-time.Minute)), EndTime: aws.Time(e.sim.Now().Add(time.Minute))}))
	var responder, denied bool
	for _, ev := range out.Events {
		rec := aws.ToString(ev.CloudTrailEvent)
		if aws.ToString(ev.EventSource) != "monitoring.amazonaws.com" {
			t.Errorf("event source %s", aws.ToString(ev.EventSource))
		}
		switch {
		case strings.Contains(rec, `"userName":"ir-responder"`):
			responder = strings.Contains(rec, `"stateValue":"ALARM"`) && strings.Contains(rec, `"alarmNamePrefix":"report"`) && strings.Contains(rec, `"readOnly":true`)
		case aws.ToString(ev.AccessKeyId) == leaked:
			denied = strings.Contains(rec, `"errorCode":"AccessDenied"`)
		}
	}
	if !responder || !denied {
		t.Errorf("want the responder's call with its parameters and the leaked key's denied call, got %d events (responder %v, denied %v)", len(out.Events), responder, denied)
	}
}

func TestExtCloudWatchBillingAlarm(t *testing.T) {
	sc, err := sim.LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	sc.BillingAlarm = &sim.BillingAlarm{Name: "estimated-charges-over-500", Threshold: 500}
	e := startScenario(t, sc)
	got := alarmStates(t, e.cloudWatch("us-east-1"), &cloudwatch.DescribeAlarmsInput{})
	a, ok := got["estimated-charges-over-500"]
	if len(got) != 1 || !ok || aws.ToString(a.Namespace) != "AWS/Billing" || aws.ToString(a.MetricName) != "EstimatedCharges" ||
		aws.ToFloat64(a.Threshold) != 500 || a.StateValue != cwtypes.StateValueOk {
		t.Errorf("us-east-1 alarms: %+v", got)
	}
	if _, there := alarmStates(t, e.cloudWatch("us-west-2"), &cloudwatch.DescribeAlarmsInput{})["estimated-charges-over-500"]; there {
		t.Error("the billing alarm shows outside us-east-1")
	}
}

func TestExtCloudWatchScenarioErrors(t *testing.T) {
	tests := []struct {
		name  string
		alarm sim.BillingAlarm
		field string
	}{
		{"no name", sim.BillingAlarm{Threshold: 10}, "billingAlarm.name"},
		{"no threshold", sim.BillingAlarm{Name: "b"}, "billingAlarm.threshold"},
		{"unknown state", sim.BillingAlarm{Name: "b", Threshold: 10, State: "FIRING"}, "billingAlarm.state"},
		{"a workload's name", sim.BillingAlarm{Name: "report-builder-Errors", Threshold: 10}, "billingAlarm.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("iam-user-lambda-ci")
			if err != nil {
				t.Fatal(err)
			}
			sc.BillingAlarm = &tt.alarm
			if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("want an error naming %s, got %v", tt.field, err)
			}
		})
	}
}
