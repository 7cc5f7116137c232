package judge

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// classify reads and folds the hand-written fixtures (judge/judgetest),
// which awsops's tests read too.
var classify = judgetest.New(NewAggregator, DecodeTrailLog)

func TestAggregateClassifiesEachCaller(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	tests := []struct {
		name, ip, ua     string
		kind             runbook.CallerKind
		label            runbook.Label
		resource, region string
		tool             string
		events, errors   int
		why              string // a phrase the reason must hold
	}{
		{"ec2 by public IP", "54.10.20.30", "Boto3/1.34.10", runbook.CallerEC2, runbook.LabelLegitimate, "i-0aaa1111", "us-east-1", "boto3", 8, 1, "public IP of EC2 instance i-0aaa1111"},
		{"second tool on the same instance", "54.10.20.30", "aws-cli/2.15.10", runbook.CallerEC2, runbook.LabelLegitimate, "i-0aaa1111", "us-east-1", "aws-cli", 1, 0, "i-0aaa1111"},
		{"ec2 by private IP through a VPC endpoint", "10.0.1.15", "aws-sdk-go-v2", runbook.CallerEC2, runbook.LabelLegitimate, "i-0aaa1111", "us-east-1", "aws-sdk-go-v2", 1, 0, "VPC endpoint vpce-0abc1234"},
		{"behind a NAT gateway, denied calls only noted", "3.3.3.3", "aws-sdk-go-v2", runbook.CallerEC2, runbook.LabelLegitimate, "", "eu-west-1", "aws-sdk-go-v2", 7, 5, "Note: it was denied 5 of 7 calls"},
		{"lambda by user agent, function from inventory", "3.80.1.2", "AWS_Lambda_python3.12", runbook.CallerLambda, runbook.LabelLegitimate, "orders-sync", "us-east-1", "boto3", 3, 0, "AWS Lambda (python3.12)"},
		{"ecs fargate, one caller across service clients", "3.90.5.6", "AWS_ECS_FARGATE", runbook.CallerECS, runbook.LabelLegitimate, "", "", "aws-sdk-go-v2", 2, 0, "ECS task (FARGATE"},
		{"cloudshell is a person: unknown", "44.1.1.1", "exec-env/CloudShell", runbook.CallerCloudShell, runbook.LabelUnknown, "", "", "aws-cli", 1, 0, "CloudShell"},
		{"aws service on the key's behalf", "cloudformation.amazonaws.com", "cloudformation", runbook.CallerAWSService, runbook.LabelLegitimate, "", "", "cloudformation.amazonaws.com", 1, 0, "not a caller to replace"},
		{"off AWS known tool", "203.0.113.10", "Boto3/1.28.57", runbook.CallerOffAWS, runbook.LabelLegitimate, "", "", "boto3", 4, 0, "not this account's"},
		{"attacker", "198.51.100.66", "aws-cli/2.13.0", runbook.CallerOffAWS, runbook.LabelSuspicious, "", "", "aws-cli", 12, 2, "created or changed identities"},
		{"recon only, no AWS tool", "192.0.2.50", "Go-http-client", runbook.CallerUnknown, runbook.LabelSuspicious, "", "", "", 3, 1, "mostly enumerated the account"},
		{"off AWS, mostly denied", "192.0.2.77", "aws-sdk-java", runbook.CallerOffAWS, runbook.LabelSuspicious, "", "", "aws-sdk-java", 7, 5, "was denied 5 of 7 calls"},
	}
	if len(res.Callers) != len(tests) {
		t.Errorf("got %d callers, want %d", len(res.Callers), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := judgetest.CallerAt(t, res, tt.ip, tt.ua)
			if c.Kind != tt.kind || c.Label != tt.label || c.Resource != tt.resource || c.Tool != tt.tool {
				t.Errorf("got kind=%s label=%s resource=%q tool=%q, want %s %s %q %q", c.Kind, c.Label, c.Resource, c.Tool, tt.kind, tt.label, tt.resource, tt.tool)
			}
			if c.ResourceRegion != tt.region {
				t.Errorf("resource region %q, want %q", c.ResourceRegion, tt.region)
			}
			if c.Events != tt.events || c.Errors != tt.errors {
				t.Errorf("events/errors %d/%d, want %d/%d", c.Events, c.Errors, tt.events, tt.errors)
			}
			if !strings.Contains(c.Why, tt.why) {
				t.Errorf("why %q lacks %q", c.Why, tt.why)
			}
			if !strings.HasPrefix(c.ID, "c") || len(c.ID) != 9 {
				t.Errorf("caller ID %q is not c + 8 hex digits", c.ID)
			}
		})
	}
}

func TestAggregateUserAgentTokensThatVaryPerCallStayOneCaller(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	attacker := judgetest.CallerAt(t, res, "198.51.100.66", "aws-cli")
	if strings.Contains(attacker.UserAgent, "command/") {
		t.Errorf("user agent keeps the per-command token: %q", attacker.UserAgent)
	}
	// 12 records from 9 different aws-cli commands: one caller.
	if attacker.Events != 12 {
		t.Errorf("attacker split: %d events in the caller, want 12", attacker.Events)
	}
}

func TestAggregateIndicatorsExactly(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	attacker := judgetest.CallerAt(t, res, "198.51.100.66", "aws-cli").ID
	recon := judgetest.CallerAt(t, res, "192.0.2.50", "Go-http").ID
	java := judgetest.CallerAt(t, res, "192.0.2.77", "java").ID
	nat := judgetest.CallerAt(t, res, "3.3.3.3", "go-v2").ID
	type want struct {
		caller   string
		kind     string
		severity runbook.Severity
		events   []string
		summary  string
	}
	wants := []want{
		{attacker, IndicatorPersistence, runbook.SeverityCritical, []string{"e-704", "e-705", "e-706", "e-707"}, "attempted CreateLoginProfile ×1 (AccessDenied)"},
		{attacker, IndicatorDefenseEvasion, runbook.SeverityCritical, []string{"e-708"}, "StopLogging ×1"},
		{attacker, IndicatorResourceAbuse, runbook.SeverityCritical, []string{"e-709"}, "ap-southeast-2, a region no legitimate caller uses"},
		{attacker, IndicatorResourceAbuse, runbook.SeverityCritical, []string{"e-710"}, "attempted RunInstances ×1 (Client.UnauthorizedOperation)"},
		{java, IndicatorDenied, runbook.SeverityWarning, []string{"e-900", "e-901", "e-902", "e-903", "e-904"}, "5 of 7"},
		{nat, IndicatorDenied, runbook.SeverityWarning, []string{"e-1010", "e-1011", "e-1012", "e-1013", "e-1014"}, "5 of 7"},
		{attacker, IndicatorRecon, runbook.SeverityWarning, []string{"e-701", "e-702", "e-703"}, "new address, starting with GetCallerIdentity"},
		{recon, IndicatorRecon, runbook.SeverityWarning, []string{"e-801", "e-802", "e-803"}, "3 of its 3 calls"},
		{java, IndicatorCredentialAccess, runbook.SeverityInfo, []string{"e-900", "e-901", "e-902", "e-903", "e-904"}, "attempted GetParameter ×5"},
		{attacker, IndicatorResourceAbuse, runbook.SeverityInfo, []string{"e-711"}, "us-east-1, a region the legitimate callers use"},
		{attacker, IndicatorCredentialAccess, runbook.SeverityInfo, []string{"e-712"}, "GetSessionToken ×1"},
	}
	if len(res.Indicators) != len(wants) {
		for _, ind := range res.Indicators {
			t.Logf("got %s %s %s: %s", ind.Severity, ind.Kind, ind.CallerID, ind.Summary)
		}
		t.Fatalf("got %d indicators, want %d", len(res.Indicators), len(wants))
	}
	for i, w := range wants {
		got := res.Indicators[i]
		var ids []string
		for _, e := range got.Events {
			ids = append(ids, e.ID)
		}
		if got.CallerID != w.caller || got.Kind != w.kind || got.Severity != w.severity || !slices.Equal(ids, w.events) {
			t.Errorf("indicator %d: got %s %s %s %v, want %s %s %s %v", i, got.CallerID, got.Kind, got.Severity, ids, w.caller, w.kind, w.severity, w.events)
		}
		if !strings.Contains(got.Summary, w.summary) {
			t.Errorf("indicator %d summary %q lacks %q", i, got.Summary, w.summary)
		}
	}
}

func TestAggregateBlastRadiusExactly(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	var got []string
	for _, r := range res.Blast {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", r.Type, r.ID, r.Region, r.Parent, r.Action))
	}
	// The Lambda function's change to its own configuration is the
	// workload's, not the attacker's: it is left out.
	want := []string{
		"iam-user backup-admin   CreateUser",
		"access-key AKIAQBACKDOORKEY7777  backup-admin CreateAccessKey",
		"policy arn:aws:iam::aws:policy/AdministratorAccess  user/backup-admin AttachUserPolicy",
		"cloudtrail-trail arn:aws:cloudtrail:us-east-1:111122223333:trail/main us-east-1  StopLogging",
		"ec2-instance i-0bad0001 ap-southeast-2  RunInstances",
		"ec2-instance i-0bad0002 ap-southeast-2  RunInstances",
		"ec2-instance i-0bad0003 us-east-1  RunInstances",
		"temporary-credentials ASIAQTEMPKEY00000001 us-east-1  GetSessionToken",
	}
	if !slices.Equal(got, want) {
		t.Errorf("blast radius:\n got %q\nwant %q", got, want)
	}
}

// The fixture's CreateAccessKey and GetSessionToken responses carry secrets,
// and CreateLoginProfile a password: none may reach any output (the
// proposals built from it are checked in awsops).
func TestAggregateNoSecretInAnyOutput(t *testing.T) {
	recs := classify.Records(t, "mixed.json")
	res := classify.Fold(recs, classify.Inventory())
	out, err := json.Marshal(struct {
		R       judgetest.Result
		C       []runbook.UsageCaller
		I       []runbook.Indicator
		B       []runbook.Resource
		Records []TrailRecord
	}{res, res.Callers, res.Indicators, res.Blast, recs})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Sup3rS3cretBackdoorSecretValue0123456789", "TempS3cretTempSecretTempSecret0123456789", "FwoGZXIvYXdzSessionTokenSecretPart", "Hunter2Hunter2!"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("secret %q found in output", secret)
		}
	}
	if !strings.Contains(string(out), "AKIAQBACKDOORKEY7777") {
		t.Error("the created key's ID (not a secret) should be reported")
	}
}

func TestAggregateSameResultInAnyOrder(t *testing.T) {
	recs := classify.Records(t, "mixed.json")
	want := classify.Fold(recs, classify.Inventory())
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		shuffled := slices.Clone(recs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := classify.Fold(shuffled, classify.Inventory()); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: result differs from the ordered fold", i)
		}
	}
}

func TestAggregateConcurrentAdds(t *testing.T) {
	recs := classify.Records(t, "mixed.json")
	want := classify.Fold(recs, classify.Inventory())
	a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(recs); i += 4 {
				a.Add(recs[i])
			}
		})
	}
	wg.Wait()
	c, i, b := a.Result()
	if got := (judgetest.Result{Callers: c, Indicators: i, Blast: b}); !reflect.DeepEqual(got, want) {
		t.Error("concurrent fold differs from the sequential one")
	}
	if a.Events() != len(recs) {
		t.Errorf("Events() = %d, want %d", a.Events(), len(recs))
	}
}

// Memory grows with distinct callers and actions, not with events: folding
// the same traffic ten times over leaves the state the same size, and an
// indicator keeps at most eventRefCap events while counting the rest.
func TestAggregateStateBoundedByCallersNotEvents(t *testing.T) {
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	fold := func(n int) *Aggregator {
		a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", Inventory{})
		for i := range n {
			a.Add(syntheticRecord(i, base))
		}
		return a
	}
	size := func(a *Aggregator) (callers, actions, resources, refs int) {
		for _, c := range a.callers {
			callers++
			actions += len(c.actions)
			for _, act := range c.actions {
				resources += len(act.own) + len(act.passed)
			}
			for _, e := range c.evidence {
				refs += len(e.refs)
			}
		}
		return
	}
	small, large := fold(2_000), fold(20_000)
	c1, a1, r1, e1 := size(small)
	c2, a2, r2, e2 := size(large)
	if c1 != c2 || a1 != a2 || r1 != r2 || e1 != e2 {
		t.Errorf("state grew with events: callers %d→%d actions %d→%d resources %d→%d refs %d→%d", c1, c2, a1, a2, r1, r2, e1, e2)
	}
	_, inds, _ := large.Result()
	var denied *runbook.Indicator
	for i := range inds {
		if inds[i].Kind == IndicatorDenied {
			denied = &inds[i]
		}
	}
	if denied == nil || len(denied.Events) != eventRefCap || !strings.Contains(denied.Summary, "more events not listed") {
		t.Fatalf("denied indicator should list %d events and count the rest: %+v", eventRefCap, denied)
	}
}

// syntheticRecord makes the i-th record of a steady workload: three callers
// (an instance, an on-premises job, a noisy denied client) using a handful
// of actions on a handful of buckets.
func syntheticRecord(i int, base time.Time) TrailRecord {
	type shape struct{ ip, ua, src, name, params, code string }
	shapes := []shape{
		{"54.10.20.30", "Boto3/1.34.10 Botocore/1.34.10", "s3.amazonaws.com", "GetBucketLocation", `{"bucketName":"bucket-%d"}`, ""},
		{"54.10.20.30", "Boto3/1.34.10 Botocore/1.34.10", "ec2.amazonaws.com", "DescribeInstances", `{"instancesSet":{}}`, ""},
		{"203.0.113.10", "aws-cli/2.15.0 Python/3.11 command/s3.cp", "s3.amazonaws.com", "PutObject", `{"bucketName":"bucket-%d","key":"k"}`, ""},
		{"203.0.113.10", "aws-cli/2.15.0 Python/3.11 command/dynamodb.get", "dynamodb.amazonaws.com", "DescribeTable", `{"tableName":"t-%d"}`, ""},
		{"192.0.2.77", "aws-sdk-java/1.12.500", "ssm.amazonaws.com", "GetParameter", `{"name":"/p/%d"}`, "AccessDeniedException"},
	}
	s := shapes[i%len(shapes)]
	params := s.params
	if strings.Contains(params, "%d") {
		params = fmt.Sprintf(params, i%4)
	}
	return TrailRecord{
		UserIdentity:       UserIdentity{Type: "IAMUser", AccountID: judgetest.Account, AccessKeyID: "AKIAJ7LEAKEDKEY2EXAM"},
		EventID:            fmt.Sprintf("ev-%08d", i),
		EventTime:          base.Add(time.Duration(i) * time.Second),
		EventSource:        s.src,
		EventName:          s.name,
		AWSRegion:          "us-east-1",
		SourceIPAddress:    s.ip,
		UserAgent:          s.ua,
		ErrorCode:          s.code,
		RequestParameters:  json.RawMessage(params),
		RecipientAccountID: judgetest.Account,
	}
}

// BenchmarkAggregate folds 1,000,000 CloudTrail records of a few callers,
// each parsed from its JSON as the sweep does, and reports the peak heap in
// use during the fold (sampled every 50,000 records) next to -benchmem's
// allocation totals. Issue 4 asks for under 200 MB.
//
//	go test ./awsops -run '^$' -bench Aggregate -benchtime 1x -benchmem
func BenchmarkAggregate(b *testing.B) {
	const events = 1_000_000
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		runtime.GC()
		a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
		var buf []byte
		for i := range events {
			buf = syntheticJSON(buf[:0], syntheticRecord(i, base))
			r, err := ParseTrailRecord(buf)
			if err != nil {
				b.Fatal(err)
			}
			a.Add(r)
			if i%50_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		callers, _, _ := a.Result()
		if len(callers) != 3 || a.Events() != events {
			b.Fatalf("%d callers of %d events", len(callers), a.Events())
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

// syntheticJSON writes a record as CloudTrail does, for the benchmark.
func syntheticJSON(buf []byte, r TrailRecord) []byte {
	code := ""
	if r.ErrorCode != "" {
		code = `"errorCode":"` + r.ErrorCode + `","errorMessage":"User is not authorized",`
	}
	return fmt.Appendf(buf, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE",`+
		`"arn":"arn:aws:iam::111122223333:user/svc","accountId":"111122223333","accessKeyId":"AKIAJ7LEAKEDKEY2EXAM","userName":"svc"},`+
		`"eventTime":%q,"eventSource":%q,"eventName":%q,"awsRegion":%q,"sourceIPAddress":%q,"userAgent":%q,%s`+
		`"requestParameters":%s,"responseElements":null,"requestID":"r","eventID":%q,"readOnly":true,"eventType":"AwsApiCall",`+
		`"managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		r.EventTime.Format(time.RFC3339), r.EventSource, r.EventName, r.AWSRegion, r.SourceIPAddress, r.UserAgent, code,
		r.RequestParameters, r.EventID)
}

// A caller's actions are named as IAM names them: Lambda's API-version
// suffix goes, monitoring.amazonaws.com is cloudwatch.
func TestAggregateNamesActionsAsIAMDoes(t *testing.T) {
	const key = "AKIAIOSFODNN7EXAMPLE"
	a := NewAggregator(key, Inventory{})
	for _, ev := range []struct{ source, name string }{
		{"lambda.amazonaws.com", "GetFunction20150331v2"},
		{"monitoring.amazonaws.com", "DescribeAlarms"},
	} {
		a.Add(*trailRec(t, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accessKeyId":"`+key+`","userName":"ci"},
			"eventTime":"2026-11-20T10:00:00Z","eventSource":"`+ev.source+`","eventName":"`+ev.name+`","awsRegion":"us-west-2",
			"sourceIPAddress":"20.57.112.9","userAgent":"aws-cli/2.17.0","readOnly":true,"eventID":"`+ev.name+`"}`))
	}
	callers, _, _ := a.Result()
	if len(callers) != 1 {
		t.Fatalf("%d callers, want 1", len(callers))
	}
	var got []string
	for _, u := range callers[0].Actions {
		got = append(got, u.Call())
	}
	if want := []string{"lambda:GetFunction", "cloudwatch:DescribeAlarms"}; !sameSet(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
