package awsops

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The simulated account serves Lambda and ECS; this fake stands in for
// what it does not model: a new role that Lambda cannot use for a few
// seconds while IAM propagates it.

type fakeLambda struct {
	role      string
	updates   int
	notYetFor int // UpdateFunctionConfiguration fails this often first, as while IAM propagates a new role
}

const reportBuilderARN = "arn:aws:lambda:us-west-2:730519468211:function:report-builder"

func (f *fakeLambda) GetFunctionConfiguration(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	if aws.ToString(in.FunctionName) != "report-builder" {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Function not found"}
	}
	return &lambda.GetFunctionConfigurationOutput{FunctionName: in.FunctionName, FunctionArn: aws.String(reportBuilderARN), Role: aws.String(f.role)}, nil
}

func (f *fakeLambda) UpdateFunctionConfiguration(_ context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	if f.notYetFor > 0 {
		f.notYetFor--
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValueException", Message: "The role defined for the function cannot be assumed by Lambda."}
	}
	f.role = aws.ToString(in.Role)
	f.updates++
	return &lambda.UpdateFunctionConfigurationOutput{FunctionName: in.FunctionName, Role: in.Role}, nil
}

func TestApplyLambdaRoleSetsTheFunctionsRoleOnce(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	fn := &fakeLambda{role: "arn:aws:iam::730519468211:role/report-builder-exec", notYetFor: 2}
	r.x.read.lambda = func(string) lambdaReads { return fn }
	r.x.write.lambda = func(string) lambdaWriteAPI { return fn }
	p := runbook.Proposal{CallerID: "c-fn", Kind: runbook.ReplaceLambdaRole, Name: "kr-report-builder-role", Target: "report-builder",
		Region: "us-west-2", Policy: allowDoc("ssm:GetParameter", "secretsmanager:GetSecretValue")}
	roleARN := "arn:aws:iam::730519468211:role/kr-report-builder-role"
	for try := range 2 {
		ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
		done, ok := ev.(runbook.ReplacementApplied)
		if !ok || !slices.Equal(done.Created, []string{roleARN, reportBuilderARN}) {
			t.Fatalf("apply %d: %+v", try, ev)
		}
		if fn.role != roleARN || fn.updates != 1 {
			t.Fatalf("apply %d: function role %s after %d updates", try, fn.role, fn.updates)
		}
	}
}

// grafanaECSProposal gives iam-user-lambda-ci's grafana service, on its
// own key today, a task role allowed what it calls.
func grafanaECSProposal() runbook.Proposal {
	return runbook.Proposal{CallerID: "c-grafana", Kind: runbook.ReplaceECSTaskRole, Name: "kr-grafana-role", Target: "monitoring/grafana",
		Region: "us-west-2", Policy: allowDoc("cloudwatch:DescribeAlarms")}
}

// ecsRequests counts the simulated account's ECS requests by action.
func ecsRequests(s *sim.Sim, mutating bool) map[string]int {
	out := map[string]int{}
	for _, r := range s.Requests() {
		if r.Service == "ecs" && r.Mutating == mutating {
			out[r.Action]++
		}
	}
	return out
}

func TestApplyECSTaskRoleMovesTheServiceToTheRole(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	p := grafanaECSProposal()
	roleARN := "arn:aws:iam::730519468211:role/kr-grafana-role"
	revision := "arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:4"
	applied := r.clock.Now()
	for try := range 2 {
		ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
		done, ok := ev.(runbook.ReplacementApplied)
		if !ok || !slices.Equal(done.Created, []string{roleARN, revision}) {
			t.Fatalf("apply %d: %+v", try, ev)
		}
	}
	if got := ecsRequests(r.sim, true); got["RegisterTaskDefinition"] != 1 || got["UpdateService"] != 1 {
		t.Fatalf("want one revision and one service update over two applies, got %v", got)
	}

	// The revision is the old one with the task role.
	c := r.x.read.ecs("us-west-2")
	def, err := c.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("grafana"),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	td := def.TaskDefinition
	if aws.ToString(td.TaskDefinitionArn) != revision || aws.ToString(td.TaskRoleArn) != roleARN || aws.ToString(td.Memory) != "512" ||
		len(td.ContainerDefinitions) != 1 || aws.ToString(td.ContainerDefinitions[0].Image) != "grafana/grafana:10.4.1" {
		t.Errorf("the revision is not the old one with the task role: %+v", td)
	}

	// From the update on, grafana's calls come from the role, in sessions
	// named after its task, and no longer from its key.
	r.sim.Advance(20 * time.Minute)
	grafanaKey, _, _ := r.sim.KeyCredentials("grafana")
	out, err := r.x.read.cloudTrail("us-west-2").LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{StartTime: aws.Time(applied),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DescribeAlarms")}}})
	if err != nil {
		t.Fatal(err)
	}
	asRole := regexp.MustCompile(`"arn":"arn:aws:sts::730519468211:assumed-role/kr-grafana-role/[0-9a-f]{32}"`)
	byRole := 0
	for _, ev := range out.Events {
		body := aws.ToString(ev.CloudTrailEvent)
		switch {
		case strings.Contains(body, grafanaKey):
			t.Errorf("grafana still calls with its key: %s", body)
		case asRole.MatchString(body):
			byRole++
		}
	}
	if byRole == 0 {
		t.Errorf("no call of grafana as kr-grafana-role among %d DescribeAlarms events", len(out.Events))
	}
	if bad := unhealthy(r.sim); len(bad) > 0 {
		t.Errorf("unhealthy after the move: %v", bad)
	}
}

func TestApplyECSTaskRoleDryRunSendsNoECSMutation(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci", dryRun: true})
	digest := r.sim.StateDigest()
	ev, calls := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: grafanaECSProposal()})
	if done, ok := ev.(runbook.ReplacementApplied); !ok || !done.DryRun {
		t.Fatalf("dry-run apply: %+v", ev)
	}
	if got := ecsRequests(r.sim, true); len(got) != 0 {
		t.Errorf("dry-run sent ECS mutations: %v", got)
	}
	if got := ecsRequests(r.sim, false); got["DescribeServices"] == 0 || got["DescribeTaskDefinition"] == 0 {
		t.Errorf("dry-run did not read the service and its task definition: %v", got)
	}
	would := map[string]bool{}
	for _, c := range calls {
		if c.Service == "ecs" && c.WouldCall {
			would[c.Operation] = true
		}
	}
	if !would["RegisterTaskDefinition"] || !would["UpdateService"] {
		t.Errorf("dry-run's plan lacks the ECS calls: %v", would)
	}
	if r.sim.StateDigest() != digest {
		t.Error("dry-run changed the simulated account")
	}
}
