package awsops

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The simulated account serves no Lambda or ECS: these fakes stand in for
// them while IAM stays the simulated account's.

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

type fakeECS struct {
	current    ecstypes.TaskDefinition
	registered []*ecs.RegisterTaskDefinitionInput
	updated    []*ecs.UpdateServiceInput
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if aws.ToString(in.Cluster) != "monitoring" {
		return nil, &smithy.GenericAPIError{Code: "ClusterNotFoundException", Message: "Cluster not found."}
	}
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{{ServiceName: aws.String("grafana"), TaskDefinition: f.current.TaskDefinitionArn}}}, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	def := f.current
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &def, Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}, nil
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.registered = append(f.registered, in)
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{Family: in.Family, TaskRoleArn: in.TaskRoleArn,
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:4")}}, nil
}

func (f *fakeECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.updated = append(f.updated, in)
	// The service now runs the new revision.
	f.current.TaskDefinitionArn, f.current.TaskRoleArn = in.TaskDefinition, f.registered[len(f.registered)-1].TaskRoleArn
	return &ecs.UpdateServiceOutput{}, nil
}

func TestApplyECSTaskRoleRegistersARevisionAndMovesTheService(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	svc := &fakeECS{current: ecstypes.TaskDefinition{Family: aws.String("grafana"),
		TaskDefinitionArn:    aws.String("arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:3"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("grafana"), Image: aws.String("grafana/grafana:10.4.1")}},
		Cpu:                  aws.String("256"), Memory: aws.String("512"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::730519468211:role/ecsTaskExecutionRole")}}
	r.x.read.ecs = func(string) ecsReads { return svc }
	r.x.write.ecs = func(string) ecsWriteAPI { return svc }
	p := runbook.Proposal{CallerID: "c-grafana", Kind: runbook.ReplaceECSTaskRole, Name: "kr-grafana-role", Target: "monitoring/grafana",
		Region: "us-west-2", Policy: allowDoc("cloudwatch:DescribeAlarms")}
	roleARN := "arn:aws:iam::730519468211:role/kr-grafana-role"
	revision := "arn:aws:ecs:us-west-2:730519468211:task-definition/grafana:4"
	for try := range 2 {
		ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p})
		done, ok := ev.(runbook.ReplacementApplied)
		if !ok || !slices.Equal(done.Created, []string{roleARN, revision}) {
			t.Fatalf("apply %d: %+v", try, ev)
		}
	}
	if len(svc.registered) != 1 || len(svc.updated) != 1 {
		t.Fatalf("want one revision and one service update over two applies, got %d and %d", len(svc.registered), len(svc.updated))
	}
	in := svc.registered[0]
	if aws.ToString(in.TaskRoleArn) != roleARN || aws.ToString(in.Family) != "grafana" || aws.ToString(in.Memory) != "512" ||
		len(in.ContainerDefinitions) != 1 || aws.ToString(in.ExecutionRoleArn) == "" || len(in.Tags) != 1 {
		t.Errorf("the revision is not the old one with the task role: %+v", in)
	}
	if up := svc.updated[0]; aws.ToString(up.Cluster) != "monitoring" || aws.ToString(up.Service) != "grafana" || aws.ToString(up.TaskDefinition) != revision {
		t.Errorf("service update %+v", up)
	}
}
