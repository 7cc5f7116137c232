package judge

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// A call for the rule tables: who, what, when (hours after the base time).
type threatCall struct {
	ip, ua, src, name, region string
	hours                     float64
	code, req, resp           string
}

var threatBase = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

const (
	threatOnInstance = "54.10.20.30" // i-0aaa1111 of classifyInventory, us-east-1
	threatOffAWS     = "198.51.100.9"
	threatCLI        = "aws-cli/2.15.0 Python/3.11"
)

func threatFold(calls []threatCall) judgetest.Result {
	return classify.Fold(threatRecords(calls), classify.Inventory())
}

func threatRecords(calls []threatCall) []TrailRecord {
	var recs []TrailRecord
	for i, c := range calls {
		if c.region == "" {
			c.region = "us-east-1"
		}
		if c.ua == "" {
			c.ua = threatCLI
		}
		r := TrailRecord{
			UserIdentity:    UserIdentity{Type: "IAMUser", UserName: "svc", ARN: "arn:aws:iam::111122223333:user/svc", AccountID: judgetest.Account},
			EventID:         fmt.Sprintf("t-%03d", i),
			EventTime:       threatBase.Add(time.Duration(c.hours * float64(time.Hour))),
			EventSource:     c.src,
			EventName:       c.name,
			AWSRegion:       c.region,
			SourceIPAddress: c.ip,
			UserAgent:       c.ua,
			ErrorCode:       c.code,
		}
		if c.req != "" {
			r.RequestParameters = json.RawMessage(c.req)
		}
		if c.resp != "" {
			r.ResponseElements = json.RawMessage(c.resp)
		}
		recs = append(recs, r)
	}
	return recs
}

func repeatCall(n int, c threatCall) []threatCall {
	out := make([]threatCall, n)
	for i := range out {
		out[i] = c
		out[i].hours += float64(i) / 60
	}
	return out
}

// indicatorKinds lists "caller-ip kind severity" for every indicator.
func indicatorKinds(res judgetest.Result) []string {
	ip := map[string]string{}
	for _, c := range res.Callers {
		ip[c.ID] = c.SourceIP
	}
	var out []string
	for _, ind := range res.Indicators {
		out = append(out, fmt.Sprintf("%s %s %s", ip[ind.CallerID], ind.Kind, ind.Severity))
	}
	slices.Sort(out)
	return out
}

func TestIndicatorRules(t *testing.T) {
	s3read := threatCall{ip: threatOnInstance, src: "s3.amazonaws.com", name: "GetBucketLocation", req: `{"bucketName":"b"}`}
	whoami := threatCall{ip: threatOffAWS, src: "sts.amazonaws.com", name: "GetCallerIdentity", hours: 48}
	denied := threatCall{ip: threatOffAWS, src: "ssm.amazonaws.com", name: "GetParameter", code: "AccessDeniedException"}
	okCall := threatCall{ip: threatOffAWS, src: "ssm.amazonaws.com", name: "DescribeParameters"}
	tests := []struct {
		name   string
		calls  []threatCall
		want   []string
		labels map[string]runbook.Label // by source IP
		why    string                   // a phrase of the off-AWS caller's Why
	}{
		{"four denied of twenty: no indicator", append(repeatCall(4, denied), repeatCall(16, okCall)...), nil,
			map[string]runbook.Label{threatOffAWS: runbook.LabelLegitimate}, ""},
		{"five denied of a hundred", append(repeatCall(5, denied), repeatCall(95, okCall)...), []string{threatOffAWS + " denied warning"},
			map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, "was denied 5 of 100 calls"},
		{"two denied of four: half", append(repeatCall(2, denied), repeatCall(2, okCall)...), []string{threatOffAWS + " denied warning"},
			map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, ""},
		{"one denied of one is not many", repeatCall(1, denied), nil, map[string]runbook.Label{threatOffAWS: runbook.LabelLegitimate}, ""},
		{"denied on this account's instance: noted, still legitimate",
			repeatCall(6, threatCall{ip: threatOnInstance, src: "sqs.amazonaws.com", name: "ListQueues", code: "AccessDenied"}),
			[]string{threatOnInstance + " denied warning"}, map[string]runbook.Label{threatOnInstance: runbook.LabelLegitimate}, ""},
		{"new address starting with GetCallerIdentity",
			append([]threatCall{s3read, whoami}, repeatCall(5, threatCall{ip: threatOffAWS, src: "s3.amazonaws.com", name: "PutObject", hours: 49, req: `{"bucketName":"b"}`})...),
			[]string{threatOffAWS + " recon warning"}, map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, "new address"},
		{"old address starting with GetCallerIdentity is a workload",
			append([]threatCall{s3read, {ip: threatOffAWS, src: "sts.amazonaws.com", name: "GetCallerIdentity"}},
				repeatCall(5, threatCall{ip: threatOffAWS, src: "s3.amazonaws.com", name: "PutObject", hours: 1, req: `{"bucketName":"b"}`})...),
			nil, map[string]runbook.Label{threatOffAWS: runbook.LabelLegitimate}, ""},
		{"terraform always starts with GetCallerIdentity",
			append([]threatCall{s3read, {ip: threatOffAWS, ua: "Terraform/1.7 terraform-provider-aws/5.4", src: "sts.amazonaws.com", name: "GetCallerIdentity", hours: 48}},
				repeatCall(5, threatCall{ip: threatOffAWS, ua: "Terraform/1.7 terraform-provider-aws/5.4", src: "ec2.amazonaws.com", name: "DescribeVpcs", hours: 49})...),
			nil, map[string]runbook.Label{threatOffAWS: runbook.LabelLegitimate}, ""},
		{"mostly enumeration from an old address",
			[]threatCall{{ip: threatOffAWS, src: "iam.amazonaws.com", name: "ListUsers"}, {ip: threatOffAWS, src: "s3.amazonaws.com", name: "ListBuckets"}, okCall},
			[]string{threatOffAWS + " recon warning"}, map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, "mostly enumerated"},
		{"enumeration from this account's instance is not recon",
			repeatCall(3, threatCall{ip: threatOnInstance, src: "iam.amazonaws.com", name: "ListUsers"}), nil,
			map[string]runbook.Label{threatOnInstance: runbook.LabelLegitimate}, ""},
		{"only failed persistence: attempted",
			[]threatCall{{ip: threatOffAWS, src: "iam.amazonaws.com", name: "CreateUser", code: "AccessDenied", req: `{"userName":"x"}`}},
			[]string{threatOffAWS + " persistence critical"}, map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, "attempted (and failed) to create or change"},
		{"persistence from this account's instance is still suspicious",
			[]threatCall{{ip: threatOnInstance, src: "iam.amazonaws.com", name: "CreateAccessKey", req: `{"userName":"x"}`}},
			[]string{threatOnInstance + " persistence critical"}, map[string]runbook.Label{threatOnInstance: runbook.LabelSuspicious}, ""},
		{"RunInstances in the instance's own region",
			[]threatCall{{ip: threatOnInstance, src: "ec2.amazonaws.com", name: "RunInstances", region: "us-east-1"}},
			[]string{threatOnInstance + " resource-abuse info"}, map[string]runbook.Label{threatOnInstance: runbook.LabelLegitimate}, ""},
		{"RunInstances where another legitimate caller works",
			[]threatCall{{ip: threatOnInstance, src: "s3.amazonaws.com", name: "ListBuckets", region: "eu-west-1"},
				{ip: threatOffAWS, src: "ec2.amazonaws.com", name: "RunInstances", region: "eu-west-1"}},
			[]string{threatOffAWS + " resource-abuse info"}, map[string]runbook.Label{threatOffAWS: runbook.LabelLegitimate}, ""},
		{"global calls do not make a region used",
			[]threatCall{{ip: threatOnInstance, src: "iam.amazonaws.com", name: "GetRole", region: "us-east-1"},
				{ip: threatOffAWS, src: "ec2.amazonaws.com", name: "RunInstances", region: "us-east-1"}},
			[]string{threatOffAWS + " resource-abuse critical"}, map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious}, "launched compute in us-east-1"},
		{"a suspicious caller's regions do not count as used",
			[]threatCall{{ip: "203.0.113.5", src: "iam.amazonaws.com", name: "CreateUser", req: `{"userName":"x"}`},
				{ip: "203.0.113.5", src: "ec2.amazonaws.com", name: "DescribeImages", region: "ap-south-1"},
				{ip: threatOffAWS, src: "ec2.amazonaws.com", name: "RequestSpotInstances", region: "ap-south-1"}},
			[]string{threatOffAWS + " resource-abuse critical", "203.0.113.5 persistence critical"},
			map[string]runbook.Label{threatOffAWS: runbook.LabelSuspicious, "203.0.113.5": runbook.LabelSuspicious}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := threatFold(tt.calls)
			if got := indicatorKinds(res); !slices.Equal(got, tt.want) {
				t.Errorf("indicators %q, want %q", got, tt.want)
			}
			for _, c := range res.Callers {
				if want, ok := tt.labels[c.SourceIP]; ok && c.Label != want {
					t.Errorf("%s labelled %s, want %s (%s)", c.SourceIP, c.Label, want, c.Why)
				}
				if c.SourceIP == threatOffAWS && !strings.Contains(c.Why, tt.why) {
					t.Errorf("why %q lacks %q", c.Why, tt.why)
				}
			}
		})
	}
}

// Calls signed with temporary credentials the key minted count as the
// key's, and the caller's reason says so.
func TestAggregateMintedCredentials(t *testing.T) {
	a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
	for i, key := range []string{"AKIAJ7LEAKEDKEY2EXAM", "ASIAQTEMPKEY00000001", "ASIAQTEMPKEY00000001"} {
		a.Add(TrailRecord{EventID: fmt.Sprint(i), SourceIPAddress: threatOffAWS, UserAgent: threatCLI, AWSRegion: "us-east-1",
			EventSource: "s3.amazonaws.com", EventName: "ListBuckets", UserIdentity: UserIdentity{AccessKeyID: key}})
	}
	callers, _, _ := a.Result()
	if len(callers) != 1 || !strings.Contains(callers[0].Why, "2 of its calls used temporary credentials the key minted") {
		t.Errorf("callers %+v", callers)
	}
}

// AWS's own events (AwsServiceEvent) are not calls made with the key.
func TestAggregateSkipsServiceEvents(t *testing.T) {
	a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
	a.Add(TrailRecord{EventID: "s1", EventType: "AwsServiceEvent", SourceIPAddress: "AWS Internal",
		EventSource: "ec2.amazonaws.com", EventName: "SharedSnapshotCopyInitiated"})
	a.Add(TrailRecord{EventID: "s2", EventType: "AwsApiCall", SourceIPAddress: threatOffAWS, UserAgent: threatCLI,
		EventSource: "s3.amazonaws.com", EventName: "ListBuckets"})
	callers, _, _ := a.Result()
	if len(callers) != 1 || callers[0].SourceIP != threatOffAWS || a.Events() != 2 {
		t.Errorf("got %d callers (%+v) of %d events, want only the API call's", len(callers), callers, a.Events())
	}
}

// Two callers that only launch compute, each where the other works: the
// verdicts must not depend on which caller is judged first.
func TestResourceAbuseIndependentOfOrder(t *testing.T) {
	calls := []threatCall{
		{ip: "203.0.113.1", src: "ec2.amazonaws.com", name: "RunInstances", region: "ap-south-1"},
		{ip: "203.0.113.1", src: "ec2.amazonaws.com", name: "DescribeImages", region: "sa-east-1"},
		{ip: "203.0.113.2", src: "ec2.amazonaws.com", name: "RunInstances", region: "sa-east-1", hours: 1},
		{ip: "203.0.113.2", src: "ec2.amazonaws.com", name: "DescribeImages", region: "ap-south-1", hours: 1},
	}
	want := []string{"203.0.113.1 resource-abuse info", "203.0.113.2 resource-abuse info"}
	for range 4 {
		slices.Reverse(calls)
		if got := indicatorKinds(threatFold(calls)); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestIndicatorEventsPerKind(t *testing.T) {
	tests := []struct{ src, name, kind string }{
		{"iam.amazonaws.com", "CreateUser", IndicatorPersistence},
		{"iam.amazonaws.com", "CreateAccessKey", IndicatorPersistence},
		{"iam.amazonaws.com", "CreateLoginProfile", IndicatorPersistence},
		{"iam.amazonaws.com", "UpdateLoginProfile", IndicatorPersistence},
		{"iam.amazonaws.com", "CreateRole", IndicatorPersistence},
		{"iam.amazonaws.com", "UpdateAssumeRolePolicy", IndicatorPersistence},
		{"iam.amazonaws.com", "AttachRolePolicy", IndicatorPersistence},
		{"iam.amazonaws.com", "AttachGroupPolicy", IndicatorPersistence},
		{"iam.amazonaws.com", "PutUserPolicy", IndicatorPersistence},
		{"iam.amazonaws.com", "AddUserToGroup", IndicatorPersistence},
		{"lambda.amazonaws.com", "CreateFunction20150331", IndicatorPersistence},
		{"cloudtrail.amazonaws.com", "StopLogging", IndicatorDefenseEvasion},
		{"cloudtrail.amazonaws.com", "DeleteTrail", IndicatorDefenseEvasion},
		{"cloudtrail.amazonaws.com", "UpdateTrail", IndicatorDefenseEvasion},
		{"cloudtrail.amazonaws.com", "PutEventSelectors", IndicatorDefenseEvasion},
		{"ec2.amazonaws.com", "DeleteFlowLogs", IndicatorDefenseEvasion},
		{"guardduty.amazonaws.com", "DeleteDetector", IndicatorDefenseEvasion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := threatFold([]threatCall{{ip: threatOffAWS, src: tt.src, name: tt.name}})
			want := []string{threatOffAWS + " " + tt.kind + " critical"}
			if got := indicatorKinds(res); !slices.Equal(got, want) {
				t.Errorf("indicators %q, want %q", got, want)
			}
			if len(res.Indicators) == 1 && (len(res.Indicators[0].Events) != 1 || res.Indicators[0].Events[0].Name != tt.name) {
				t.Errorf("indicator does not name its event: %+v", res.Indicators[0].Events)
			}
		})
	}
}

func TestIndicatorKeepsEarliestEvents(t *testing.T) {
	calls := repeatCall(25, threatCall{ip: threatOffAWS, src: "iam.amazonaws.com", name: "CreateUser", req: `{"userName":"x"}`})
	slices.Reverse(calls) // the earliest come last
	res := threatFold(calls)
	ind := res.Indicators[0]
	if len(ind.Events) != eventRefCap || !strings.Contains(ind.Summary, "(5 more events not listed)") {
		t.Fatalf("got %d events, summary %q", len(ind.Events), ind.Summary)
	}
	if !ind.Events[0].Time.Equal(threatBase) || !slices.IsSortedFunc(ind.Events, compareRefs) {
		t.Errorf("events are not the earliest, in order: first %v", ind.Events[0].Time)
	}
}

func TestBlastRadiusPerCall(t *testing.T) {
	tests := []struct {
		name string
		call threatCall
		want string // "type id region parent", "" for nothing
	}{
		{"user", threatCall{src: "iam.amazonaws.com", name: "CreateUser", req: `{"userName":"eve"}`}, "iam-user eve  "},
		{"failed calls create nothing", threatCall{src: "iam.amazonaws.com", name: "CreateUser", req: `{"userName":"eve"}`, code: "AccessDenied"}, ""},
		{"key of the caller itself", threatCall{src: "iam.amazonaws.com", name: "CreateAccessKey",
			resp: `{"accessKey":{"accessKeyId":"AKIANEW","status":"Active","secretAccessKey":"S"}}`}, "access-key AKIANEW  svc"},
		{"login profile", threatCall{src: "iam.amazonaws.com", name: "CreateLoginProfile", req: `{"userName":"eve"}`}, "login-profile eve  eve"},
		{"role trust changed", threatCall{src: "iam.amazonaws.com", name: "UpdateAssumeRolePolicy", req: `{"roleName":"ops"}`}, "iam-role ops  "},
		{"inline role policy", threatCall{src: "iam.amazonaws.com", name: "PutRolePolicy", req: `{"roleName":"ops","policyName":"p"}`}, "policy p  role/ops"},
		{"managed policy", threatCall{src: "iam.amazonaws.com", name: "CreatePolicy", req: `{"policyName":"p"}`, resp: `{"policy":{"arn":"arn:aws:iam::111122223333:policy/p"}}`}, "policy arn:aws:iam::111122223333:policy/p  "},
		{"group membership", threatCall{src: "iam.amazonaws.com", name: "AddUserToGroup", req: `{"groupName":"admins","userName":"eve"}`}, "group-membership eve  admins"},
		{"function", threatCall{src: "lambda.amazonaws.com", name: "CreateFunction20150331", region: "eu-west-1", req: `{"functionName":"miner"}`}, "lambda-function miner eu-west-1 "},
		{"ingress rule", threatCall{src: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress", req: `{"groupId":"sg-1"}`,
			resp: `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]}}`}, "security-group-rule sgr-1 us-east-1 sg-1"},
		{"key pair", threatCall{src: "ec2.amazonaws.com", name: "ImportKeyPair", req: `{"keyName":"evil"}`}, "ec2-key-pair evil us-east-1 "},
		{"assumed role credentials", threatCall{src: "sts.amazonaws.com", name: "AssumeRole", req: `{"roleArn":"arn:aws:iam::444455556666:role/x"}`,
			resp: `{"credentials":{"accessKeyId":"ASIATEMP","sessionToken":"T"}}`}, "temporary-credentials ASIATEMP us-east-1 arn:aws:iam::444455556666:role/x"},
		{"reads create nothing", threatCall{src: "s3.amazonaws.com", name: "ListBuckets"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A caller with no known tool is unknown: what it made counts.
			tt.call.ip, tt.call.ua = threatOffAWS, "python-requests/2.31"
			res := threatFold([]threatCall{tt.call})
			var got []string
			for _, r := range res.Blast {
				got = append(got, strings.Join([]string{r.Type, r.ID, r.Region, r.Parent}, " "))
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("blast %q, want %q", got, want)
			}
		})
	}
}

// Issue 14: a resource is the attacker's only when a caller not labelled
// legitimate created or changed it. A CI's deploy of its own function is
// not; the same function changed by an attacker is, credited to it.
func TestBlastRadiusAttribution(t *testing.T) {
	deploy := threatCall{ip: "20.57.112.9", src: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2", region: "us-west-2", req: `{"functionName":"report-builder"}`}
	backdoor := threatCall{ip: threatOffAWS, ua: "python-requests/2.31", src: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2",
		region: "us-west-2", hours: 30, req: `{"functionName":"report-builder"}`}
	user := threatCall{ip: threatOffAWS, ua: "python-requests/2.31", src: "iam.amazonaws.com", name: "CreateUser", hours: 31, req: `{"userName":"eve"}`}
	tests := []struct {
		name  string
		calls []threatCall
		want  []string // "type id by-ip"
	}{
		{"a workload's own deploy is not the attacker's", []threatCall{deploy, deploy}, nil},
		{"the attacker's change to the same function is", []threatCall{deploy, backdoor, user},
			[]string{"lambda-function report-builder " + threatOffAWS, "iam-user eve " + threatOffAWS}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := threatFold(tt.calls)
			ip := map[string]string{}
			for _, c := range res.Callers {
				ip[c.ID] = c.SourceIP
			}
			var got []string
			for _, r := range res.Blast {
				got = append(got, r.Type+" "+r.ID+" "+ip[r.CallerID])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("blast %q, want %q", got, tt.want)
			}
		})
	}
}
