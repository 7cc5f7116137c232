package awsops

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Applying a role replacement on its target: an EC2 instance gets an
// instance profile, a Lambda function a new execution role, an ECS service
// a task definition revision with the task role.

func (x *Executor) applyInstanceRole(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller) ([]string, error) {
	if p.Target == "" {
		return nil, sentence("The proposal names no instance: set the target instance ID, then apply.")
	}
	// Find the instance before creating anything for it.
	region, inst, err := x.findInstance(ctx, p, c)
	if err != nil {
		return nil, err
	}
	roleARN, err := x.ensureRole(ctx, p)
	if err != nil {
		return nil, err
	}
	created := []string{roleARN}
	profileARN, err := x.ensureInstanceProfile(ctx, p.Name)
	if err != nil {
		return created, err
	}
	created = append(created, profileARN)
	assoc, err := x.associateProfile(ctx, p, region, inst, profileARN)
	if err != nil {
		return created, err
	}
	return append(created, assoc), nil
}

// ensureInstanceProfile makes the instance profile of the role's name
// hold that role, creating it unless it exists.
func (x *Executor) ensureInstanceProfile(ctx context.Context, name string) (string, error) {
	w := x.write.iam(x.cfg)
	var prof *iamtypes.InstanceProfile
	got, err := x.read.iam(x.cfg).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	switch {
	case err == nil:
		prof = got.InstanceProfile
	case apiCode(err) == "NoSuchEntity":
		out, cerr := w.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if cerr != nil {
			return "", step("iam:CreateInstanceProfile", cerr)
		}
		prof = out.InstanceProfile
	default:
		return "", step("iam:GetInstanceProfile", err)
	}
	if len(prof.Roles) > 0 {
		r := prof.Roles[0] // a profile holds at most one role
		if aws.ToString(r.RoleName) == name {
			return aws.ToString(prof.Arn), nil
		}
		return "", sentence("Instance profile %s exists already and holds role %s (a profile holds one role): rename the replacement, or check that profile.", name, aws.ToString(r.RoleName))
	}
	_, err = w.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)})
	return aws.ToString(prof.Arn), step("iam:AddRoleToInstanceProfile", err)
}

// associateProfile gives the instance the profile: associate when it has
// none, replace the association when it has another, nothing when it has
// this one. It returns the association's ID.
func (x *Executor) associateProfile(ctx context.Context, p runbook.Proposal, region string, inst ec2types.Instance, profileARN string) (string, error) {
	current, assocID := "", ""
	if inst.IamInstanceProfile != nil {
		current = aws.ToString(inst.IamInstanceProfile.Arn)
	}
	out, err := x.read.ec2(region).DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{p.Target}}}})
	switch {
	case err == nil:
		for _, a := range out.IamInstanceProfileAssociations {
			if a.State == ec2types.IamInstanceProfileAssociationStateAssociated || a.State == ec2types.IamInstanceProfileAssociationStateAssociating {
				assocID = aws.ToString(a.AssociationId)
				if a.IamInstanceProfile != nil {
					current = aws.ToString(a.IamInstanceProfile.Arn)
				}
			}
		}
	case !isUnsupported(err):
		return "", step("ec2:DescribeIamInstanceProfileAssociations", err)
	}
	if current != "" && sameProfile(current, profileARN) {
		return orValue(assocID, "association of "+p.Target), nil
	}
	if current != "" && assocID == "" {
		// An endpoint without the association list (the simulated account)
		// leaves no association ID to replace.
		return "", step("ec2:DescribeIamInstanceProfileAssociations", err)
	}
	w := x.write.ec2(region)
	ref := &ec2types.IamInstanceProfileSpecification{Name: aws.String(p.Name)}
	return x.retryPropagation(ctx, func() (string, error) {
		if assocID != "" {
			r, err := w.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{AssociationId: aws.String(assocID), IamInstanceProfile: ref})
			if err != nil {
				return "", step("ec2:ReplaceIamInstanceProfileAssociation", err)
			}
			return aws.ToString(r.IamInstanceProfileAssociation.AssociationId), nil
		}
		r, err := w.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(p.Target), IamInstanceProfile: ref})
		if err != nil {
			return "", step("ec2:AssociateIamInstanceProfile", err)
		}
		return aws.ToString(r.IamInstanceProfileAssociation.AssociationId), nil
	})
}

// findInstance looks the target instance up in the proposal's region, or
// in the caller's regions and the home region when the proposal has none.
func (x *Executor) findInstance(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller) (string, ec2types.Instance, error) {
	var lastErr error
	for _, region := range x.candidateRegions(p, c) {
		out, err := x.read.ec2(region).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{p.Target}})
		if err != nil {
			if strings.HasPrefix(apiCode(err), "InvalidInstanceID") {
				continue
			}
			lastErr = err
			continue
		}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				if aws.ToString(in.InstanceId) == p.Target {
					return region, in, nil
				}
			}
		}
	}
	if lastErr != nil {
		return "", ec2types.Instance{}, step("ec2:DescribeInstances", lastErr)
	}
	return "", ec2types.Instance{}, sentence("Instance %s was not found in %s: check the proposal's target and region.", p.Target, strings.Join(x.candidateRegions(p, c), ", "))
}

func (x *Executor) applyLambdaRole(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller) ([]string, error) {
	if p.Target == "" {
		return nil, sentence("The proposal names no function: set the target function name, then apply.")
	}
	var region string
	var fn *lambda.GetFunctionConfigurationOutput
	for _, r := range x.candidateRegions(p, c) {
		out, err := x.read.lambda(r).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(p.Target)})
		if apiCode(err) == "ResourceNotFoundException" {
			continue
		}
		if err != nil {
			return nil, step("lambda:GetFunctionConfiguration", err)
		}
		region, fn = r, out
		break
	}
	if fn == nil {
		return nil, sentence("Function %s was not found in %s: check the proposal's target and region.", p.Target, strings.Join(x.candidateRegions(p, c), ", "))
	}
	roleARN, err := x.ensureRole(ctx, p)
	if err != nil {
		return nil, err
	}
	created := []string{roleARN, aws.ToString(fn.FunctionArn)}
	if aws.ToString(fn.Role) == roleARN {
		return created, nil
	}
	_, err = x.retryPropagation(ctx, func() (string, error) {
		_, err := x.write.lambda(region).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(p.Target), Role: aws.String(roleARN)})
		return "", step("lambda:UpdateFunctionConfiguration", err)
	})
	if err != nil {
		return created[:1], err
	}
	return created, nil
}

// applyECSTaskRole registers a revision of the service's task definition
// that differs only in taskRoleArn, and moves the service to it.
func (x *Executor) applyECSTaskRole(ctx context.Context, p runbook.Proposal, c runbook.UsageCaller) ([]string, error) {
	cluster, service, ok := strings.Cut(p.Target, "/")
	if !ok || cluster == "" || service == "" {
		return nil, sentence("The proposal's target %q is not CLUSTER/SERVICE: set it to the ECS service that runs the caller, then apply.", p.Target)
	}
	var region string
	var svc *ecstypes.Service
	for _, r := range x.candidateRegions(p, c) {
		out, err := x.read.ecs(r).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
		if apiCode(err) == "ClusterNotFoundException" {
			continue
		}
		if err != nil {
			return nil, step("ecs:DescribeServices", err)
		}
		if len(out.Services) > 0 {
			region, svc = r, &out.Services[0]
			break
		}
	}
	if svc == nil {
		return nil, sentence("ECS service %s was not found in %s: check the proposal's target and region.", p.Target, strings.Join(x.candidateRegions(p, c), ", "))
	}
	def, err := x.read.ecs(region).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: svc.TaskDefinition, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, step("ecs:DescribeTaskDefinition", err)
	}
	roleARN, err := x.ensureRole(ctx, p)
	if err != nil {
		return nil, err
	}
	created := []string{roleARN}
	td := def.TaskDefinition
	if aws.ToString(td.TaskRoleArn) == roleARN {
		return append(created, aws.ToString(td.TaskDefinitionArn)), nil
	}
	w := x.write.ecs(region)
	reg, err := w.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, TaskRoleArn: aws.String(roleARN), ContainerDefinitions: td.ContainerDefinitions,
		Cpu: td.Cpu, Memory: td.Memory, ExecutionRoleArn: td.ExecutionRoleArn, NetworkMode: td.NetworkMode,
		PlacementConstraints: td.PlacementConstraints, RequiresCompatibilities: td.RequiresCompatibilities,
		Volumes: td.Volumes, RuntimePlatform: td.RuntimePlatform, ProxyConfiguration: td.ProxyConfiguration,
		IpcMode: td.IpcMode, PidMode: td.PidMode,
		EphemeralStorage: td.EphemeralStorage, EnableFaultInjection: td.EnableFaultInjection, Tags: def.Tags})
	if err != nil {
		return created, step("ecs:RegisterTaskDefinition", err)
	}
	revision := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	created = append(created, revision)
	_, err = w.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(revision)})
	return created, step("ecs:UpdateService", err)
}
