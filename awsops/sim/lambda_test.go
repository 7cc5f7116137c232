package sim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const (
	reportFn     = "report-builder"
	reportFnARN  = "arn:aws:lambda:us-west-2:730519468211:function:report-builder"
	reportExec   = "arn:aws:iam::730519468211:role/report-builder-exec"
	lambdaTrust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	lambdaRegion = "us-west-2"
)

// lambdaAs is a real Lambda client signed with a key, against the sim.
func (e *env) lambdaAs(keyID, secret, region string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
}

func (e *env) responderLambda(region string) *lambda.Client {
	id, secret := e.sim.ResponderCredentials()
	return e.lambdaAs(id, secret, region)
}

func TestExtLambdaReadsTheFunction(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	tests := []struct {
		name, ref, region string
		code              string // empty: found
	}{
		{"by name", reportFn, lambdaRegion, ""},
		{"by ARN", reportFnARN, lambdaRegion, ""},
		{"by qualified ARN", reportFnARN + ":$LATEST", lambdaRegion, ""},
		{"by partial ARN", "730519468211:function:report-builder", lambdaRegion, ""},
		{"in another region", reportFn, "us-east-1", "ResourceNotFoundException"},
		{"no such function", "nope", lambdaRegion, "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.responderLambda(tt.region)
			cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(tt.ref)})
			wantCode(t, err, tt.code)
			fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(tt.ref)})
			wantCode(t, err, tt.code)
			if tt.code != "" {
				return
			}
			if aws.ToString(cfg.FunctionArn) != reportFnARN || aws.ToString(cfg.Role) != reportExec ||
				cfg.Runtime != "python3.12" || aws.ToInt32(cfg.MemorySize) != 512 || aws.ToInt32(cfg.Timeout) != 120 ||
				cfg.State != "Active" || aws.ToString(cfg.RevisionId) == "" {
				t.Errorf("configuration: %+v", cfg)
			}
			if aws.ToString(fn.Configuration.FunctionName) != reportFn || aws.ToString(fn.Code.RepositoryType) != "S3" {
				t.Errorf("GetFunction: %+v %+v", fn.Configuration, fn.Code)
			}
		})
	}

	list := must[*lambda.ListFunctionsOutput](t)(e.responderLambda(lambdaRegion).ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)}))
	if len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != reportFn || list.NextMarker != nil {
		t.Errorf("ListFunctions in us-west-2: %+v, marker %v", list.Functions, list.NextMarker)
	}
	if empty := must[*lambda.ListFunctionsOutput](t)(e.responderLambda("us-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{})); len(empty.Functions) != 0 {
		t.Errorf("ListFunctions in us-east-1: %+v", empty.Functions)
	}
	// A route the sim does not serve answers as Lambda does.
	_, err := e.responderLambda(lambdaRegion).ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(reportFn)})
	wantCode(t, err, "UnknownOperationException")

	// Reads are recorded with Lambda's versioned event names.
	names := map[string]bool{}
	for _, r := range e.sim.Requests() {
		names[r.Action] = !r.Mutating
	}
	for _, want := range []string{"GetFunctionConfiguration20150331v2", "GetFunction20150331v2", "ListFunctions20150331"} {
		if readOnly, ok := names[want]; !ok || !readOnly {
			t.Errorf("request %s: logged %v, read-only %v", want, ok, readOnly)
		}
	}
}

// newLambdaRole creates a role Lambda may assume, or another service.
func newLambdaRole(t *testing.T, c clients, name, trust string) string {
	t.Helper()
	out := must[*iam.CreateRoleOutput](t)(c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","secretsmanager:GetSecretValue"],"Resource":"*"}]}`
	must[*iam.PutRolePolicyOutput](t)(c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
	return aws.ToString(out.Role.Arn)
}

func TestExtLambdaUpdateFunctionConfiguration(t *testing.T) {
	sc, err := sim.LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	// A deployer that may change functions but pass no role.
	sc.Users = append(sc.Users, sim.User{Name: "deployer", Keys: []sim.Key{{Ref: "deployer"}},
		InlinePolicies: []sim.InlinePolicy{{Name: "lambda", Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}`)}}})
	e := startScenario(t, sc)
	c := e.responder("us-east-1")
	fn := e.responderLambda(lambdaRegion)
	newRole := newLambdaRole(t, c, "kr-report-builder", lambdaTrust)
	ec2Role := newLambdaRole(t, c, "ec2-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	deployerID, deployerSecret, _ := e.sim.KeyCredentials("deployer")
	leakedID, leakedSecret, _ := e.sim.KeyCredentials("leaked")
	before := must[*lambda.GetFunctionConfigurationOutput](t)(fn.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(reportFn)}))

	tests := []struct {
		name   string
		client *lambda.Client
		in     lambda.UpdateFunctionConfigurationInput
		code   string
	}{
		{"not a role ARN", fn, lambda.UpdateFunctionConfigurationInput{Role: aws.String("kr-report-builder")}, "ValidationException"},
		{"no such role", fn, lambda.UpdateFunctionConfigurationInput{Role: aws.String("arn:aws:iam::730519468211:role/nope")}, "InvalidParameterValueException"},
		{"role Lambda may not assume", fn, lambda.UpdateFunctionConfigurationInput{Role: aws.String(ec2Role)}, "InvalidParameterValueException"},
		{"caller without iam:PassRole", e.lambdaAs(deployerID, deployerSecret, lambdaRegion), lambda.UpdateFunctionConfigurationInput{Role: aws.String(newRole)}, "AccessDeniedException"},
		{"caller without lambda:UpdateFunctionConfiguration", e.lambdaAs(leakedID, leakedSecret, lambdaRegion), lambda.UpdateFunctionConfigurationInput{Role: aws.String(newRole)}, "AccessDeniedException"},
		{"stale revision", fn, lambda.UpdateFunctionConfigurationInput{Role: aws.String(newRole), RevisionId: aws.String("00000000-0000-4000-8000-000000000000")}, "PreconditionFailedException"},
		{"memory out of range", fn, lambda.UpdateFunctionConfigurationInput{MemorySize: aws.Int32(64)}, "ValidationException"},
	}
	digest := e.sim.StateDigest()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.FunctionName = aws.String(reportFn)
			_, err := tt.client.UpdateFunctionConfiguration(ctx, &in)
			wantCode(t, err, tt.code)
			if e.sim.StateDigest() != digest {
				t.Error("a refused update changed the account")
			}
		})
	}

	out := must[*lambda.UpdateFunctionConfigurationOutput](t)(fn.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(reportFn), Role: aws.String(newRole), RevisionId: before.RevisionId}))
	if aws.ToString(out.Role) != newRole || aws.ToString(out.RevisionId) == aws.ToString(before.RevisionId) {
		t.Fatalf("after the update: role %s, revision %s (was %s)", aws.ToString(out.Role), aws.ToString(out.RevisionId), aws.ToString(before.RevisionId))
	}
	if e.sim.StateDigest() == digest {
		t.Error("the role change did not change the account's digest")
	}

	// The function's code now calls as the new role, no longer with the key.
	updated := e.sim.Now()
	e.sim.Advance(20 * time.Minute)
	ct := e.responder(lambdaRegion).ct
	asRole := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(updated),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String(reportFn)}}}))
	if len(asRole.Events) == 0 || !strings.Contains(aws.ToString(asRole.Events[0].CloudTrailEvent), "assumed-role/kr-report-builder/report-builder") {
		t.Errorf("no call of the function as its new role: %d events", len(asRole.Events))
	}
	for _, h := range e.sim.Health() {
		if h.Workload == "report-builder" && !h.Healthy {
			t.Errorf("the function broke on its new role: %s", h.LastError)
		}
	}
	byKey := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(updated),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(leakedID)}}}))
	for _, ev := range byKey.Events {
		if strings.Contains(aws.ToString(ev.CloudTrailEvent), "44.226.18.77") {
			t.Errorf("the function still signs with the leaked key: %s", aws.ToString(ev.EventName))
		}
	}

	// The update and the refusals are in CloudTrail, in the function's region.
	events := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("UpdateFunctionConfiguration20150331v2")}}}))
	ok, denied := 0, 0
	for _, ev := range events.Events {
		body := aws.ToString(ev.CloudTrailEvent)
		switch {
		case strings.Contains(body, `"errorCode":"AccessDenied"`):
			denied++
		case !strings.Contains(body, `"errorCode"`) && strings.Contains(body, `"eventSource":"lambda.amazonaws.com"`) && strings.Contains(body, newRole):
			ok++
		}
	}
	if ok != 1 || denied != 2 {
		t.Errorf("UpdateFunctionConfiguration events: %d succeeded (want 1), %d denied (want 2) of %d", ok, denied, len(events.Events))
	}
}

// startScenario starts a scenario a test has changed.
func startScenario(t *testing.T, sc *sim.Scenario) *env {
	t.Helper()
	s, err := sim.New(sc, sim.WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &env{sim: s, url: url}
}

func TestExtLambdaScenarioErrors(t *testing.T) {
	tests := []struct {
		name  string
		fn    sim.Function
		field string
	}{
		{"bad name", sim.Function{Name: "report builder", Region: lambdaRegion, Role: "report-builder-exec"}, "functions[1].name"},
		{"disabled region", sim.Function{Name: "f", Region: "ap-east-1", Role: "report-builder-exec"}, "functions[1].region"},
		{"unknown role", sim.Function{Name: "f", Region: lambdaRegion, Role: "nope"}, "functions[1].role"},
		{"declared twice", sim.Function{Name: reportFn, Region: lambdaRegion, Role: "report-builder-exec"}, "functions[1].name"},
		{"too little memory", sim.Function{Name: "f", Region: lambdaRegion, Role: "report-builder-exec", MemorySize: 64}, "functions[1].memorySize"},
		{"future deploy", sim.Function{Name: "f", Region: lambdaRegion, Role: "report-builder-exec", Created: "+1d"}, "functions[1].created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("iam-user-lambda-ci")
			if err != nil {
				t.Fatal(err)
			}
			sc.Functions = append(sc.Functions, tt.fn)
			if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("want an error naming %s, got %v", tt.field, err)
			}
		})
	}
}
