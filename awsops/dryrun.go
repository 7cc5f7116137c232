package awsops

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// This file is the one place dry-run is enforced. Every call keyrunbook
// makes that changes an account goes through a client of writeClients;
// in dry-run those are the dry* types below, which implement each write
// interface method by method (no embedding, so a method added to an
// interface and not to its dry type does not compile), journal the call as
// would-call with its full input and answer a plausible success without
// sending anything. Reads go to the real clients.

// DryRunID stands in for identifiers AWS would have generated (a new key's
// ID, an association ID) in the answers of dry-run.
const DryRunID = "(dry-run: not created)"

// iamWriteAPI is every IAM call keyrunbook makes that changes the account.
type iamWriteAPI interface {
	CreateRole(ctx context.Context, params *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	PutRolePolicy(ctx context.Context, params *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	CreateInstanceProfile(ctx context.Context, params *iam.CreateInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	AddRoleToInstanceProfile(ctx context.Context, params *iam.AddRoleToInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
	CreateUser(ctx context.Context, params *iam.CreateUserInput, optFns ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	PutUserPolicy(ctx context.Context, params *iam.PutUserPolicyInput, optFns ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	CreateAccessKey(ctx context.Context, params *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	UpdateAccessKey(ctx context.Context, params *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, params *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	DeleteLoginProfile(ctx context.Context, params *iam.DeleteLoginProfileInput, optFns ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DetachUserPolicy(ctx context.Context, params *iam.DetachUserPolicyInput, optFns ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	DeleteUserPolicy(ctx context.Context, params *iam.DeleteUserPolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	RemoveUserFromGroup(ctx context.Context, params *iam.RemoveUserFromGroupInput, optFns ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	DeactivateMFADevice(ctx context.Context, params *iam.DeactivateMFADeviceInput, optFns ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteUser(ctx context.Context, params *iam.DeleteUserInput, optFns ...func(*iam.Options)) (*iam.DeleteUserOutput, error)
	DetachRolePolicy(ctx context.Context, params *iam.DetachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, params *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	RemoveRoleFromInstanceProfile(ctx context.Context, params *iam.RemoveRoleFromInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteRole(ctx context.Context, params *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	CreateOpenIDConnectProvider(ctx context.Context, params *iam.CreateOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
}

// ec2WriteAPI is every EC2 call keyrunbook makes that changes the account.
type ec2WriteAPI interface {
	AssociateIamInstanceProfile(ctx context.Context, params *ec2.AssociateIamInstanceProfileInput, optFns ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error)
	ReplaceIamInstanceProfileAssociation(ctx context.Context, params *ec2.ReplaceIamInstanceProfileAssociationInput, optFns ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error)
	TerminateInstances(ctx context.Context, params *ec2.TerminateInstancesInput, optFns ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
}

// lambdaWriteAPI is every Lambda call keyrunbook makes that changes the account.
type lambdaWriteAPI interface {
	UpdateFunctionConfiguration(ctx context.Context, params *lambda.UpdateFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
}

// ecsWriteAPI is every ECS call keyrunbook makes that changes the account.
type ecsWriteAPI interface {
	RegisterTaskDefinition(ctx context.Context, params *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(ctx context.Context, params *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

var (
	_ iamWriteAPI    = (*iam.Client)(nil)
	_ ec2WriteAPI    = (*ec2.Client)(nil)
	_ lambdaWriteAPI = (*lambda.Client)(nil)
	_ ecsWriteAPI    = (*ecs.Client)(nil)
	_ iamWriteAPI    = dryIAM{}
	_ ec2WriteAPI    = dryEC2{}
	_ lambdaWriteAPI = dryLambda{}
	_ ecsWriteAPI    = dryECS{}
)

// stsRootSession opens a root session in a member account. It changes
// nothing, but it is the first call of a root key's deletion, so a plan
// shows it and does not send it.
type stsRootSession interface {
	AssumeRoot(ctx context.Context, params *sts.AssumeRootInput, optFns ...func(*sts.Options)) (*sts.AssumeRootOutput, error)
}

var (
	_ stsRootSession = (*sts.Client)(nil)
	_ stsRootSession = drySTS{}
)

// writeClients makes the clients of every mutating call: real ones when
// live, dry ones in dry-run. The executor holds no other way to mutate.
type writeClients struct {
	// iam takes a configuration: root's or an sts:AssumeRoot session's
	// for a root key, the responder's otherwise.
	iam    func(cfg aws.Config) iamWriteAPI
	ec2    func(region string) ec2WriteAPI
	lambda func(region string) lambdaWriteAPI
	ecs    func(region string) ecsWriteAPI
	// scp takes the management account's configuration (orgscp.go).
	scp func(cfg aws.Config) scpWriteAPI
	// rootSession takes the Organizations administrator's configuration.
	rootSession func(cfg aws.Config) stsRootSession
}

func newWriteClients(cfg aws.Config, dry *dryRun) writeClients {
	if dry != nil {
		return writeClients{
			iam:    func(aws.Config) iamWriteAPI { return dryIAM{dry} },
			ec2:    func(region string) ec2WriteAPI { return dryEC2{dry, region} },
			lambda: func(region string) lambdaWriteAPI { return dryLambda{dry, region} },
			ecs:    func(region string) ecsWriteAPI { return dryECS{dry, region} },
			scp:    func(aws.Config) scpWriteAPI { return dryOrgs{dry} },

			rootSession: func(aws.Config) stsRootSession { return drySTS{dry} },
		}
	}
	return writeClients{
		iam: func(c aws.Config) iamWriteAPI { return iam.NewFromConfig(withCallNotes(c)) },
		ec2: func(region string) ec2WriteAPI {
			return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
		},
		lambda: func(region string) lambdaWriteAPI {
			return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region })
		},
		ecs: func(region string) ecsWriteAPI {
			return ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.Region = region })
		},
		scp:         func(c aws.Config) scpWriteAPI { return orgsOf(c) },
		rootSession: func(c aws.Config) stsRootSession { return sts.NewFromConfig(withCallNotes(c)) },
	}
}

// dryRun journals the mutations dry-run does not send.
type dryRun struct {
	// arn builds an ARN of the caller's account from "role/NAME".
	arn func(ctx context.Context, resource string) string
}

// would notes a mutation of a global service (IAM) that was not sent,
// with its full input.
func (d *dryRun) would(ctx context.Context, service, operation string, input any) {
	d.wouldIn(ctx, "", service, operation, input)
}

// wouldIn notes a mutation that was not sent, with its region and input.
func (d *dryRun) wouldIn(ctx context.Context, region, service, operation string, input any) {
	call := runbook.APICall{Service: service, Operation: operation, Region: region, Input: inputJSON(input), WouldCall: true}
	noteActor(ctx, &call)
	emitterOf(ctx)(call)
}

type dryIAM struct{ d *dryRun }

func (x dryIAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	x.d.would(ctx, "iam", "CreateRole", in)
	return &iam.CreateRoleOutput{Role: &iamtypes.Role{RoleName: in.RoleName, Path: in.Path,
		Arn: aws.String(x.d.arn(ctx, "role"+pathOrRoot(in.Path)+aws.ToString(in.RoleName))), AssumeRolePolicyDocument: in.AssumeRolePolicyDocument}}, nil
}

func (x dryIAM) PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	x.d.would(ctx, "iam", "PutRolePolicy", in)
	return &iam.PutRolePolicyOutput{}, nil
}

func (x dryIAM) CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, _ ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error) {
	x.d.would(ctx, "iam", "CreateInstanceProfile", in)
	return &iam.CreateInstanceProfileOutput{InstanceProfile: &iamtypes.InstanceProfile{InstanceProfileName: in.InstanceProfileName,
		Arn: aws.String(x.d.arn(ctx, "instance-profile"+pathOrRoot(in.Path)+aws.ToString(in.InstanceProfileName)))}}, nil
}

func (x dryIAM) AddRoleToInstanceProfile(ctx context.Context, in *iam.AddRoleToInstanceProfileInput, _ ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error) {
	x.d.would(ctx, "iam", "AddRoleToInstanceProfile", in)
	return &iam.AddRoleToInstanceProfileOutput{}, nil
}

func (x dryIAM) CreateUser(ctx context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	x.d.would(ctx, "iam", "CreateUser", in)
	return &iam.CreateUserOutput{User: &iamtypes.User{UserName: in.UserName, Path: in.Path,
		Arn: aws.String(x.d.arn(ctx, "user"+pathOrRoot(in.Path)+aws.ToString(in.UserName)))}}, nil
}

func (x dryIAM) PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, _ ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error) {
	x.d.would(ctx, "iam", "PutUserPolicy", in)
	return &iam.PutUserPolicyOutput{}, nil
}

// CreateAccessKey answers a key without a secret: there is none to show.
func (x dryIAM) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, _ ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	x.d.would(ctx, "iam", "CreateAccessKey", in)
	return &iam.CreateAccessKeyOutput{AccessKey: &iamtypes.AccessKey{UserName: in.UserName,
		AccessKeyId: aws.String(DryRunID), Status: iamtypes.StatusTypeActive}}, nil
}

func (x dryIAM) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, _ ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	x.d.would(ctx, "iam", "UpdateAccessKey", in)
	return &iam.UpdateAccessKeyOutput{}, nil
}

func (x dryIAM) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	x.d.would(ctx, "iam", "DeleteAccessKey", in)
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (x dryIAM) DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, _ ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error) {
	x.d.would(ctx, "iam", "DeleteLoginProfile", in)
	return &iam.DeleteLoginProfileOutput{}, nil
}

func (x dryIAM) DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, _ ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error) {
	x.d.would(ctx, "iam", "DetachUserPolicy", in)
	return &iam.DetachUserPolicyOutput{}, nil
}

func (x dryIAM) DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error) {
	x.d.would(ctx, "iam", "DeleteUserPolicy", in)
	return &iam.DeleteUserPolicyOutput{}, nil
}

func (x dryIAM) RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, _ ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error) {
	x.d.would(ctx, "iam", "RemoveUserFromGroup", in)
	return &iam.RemoveUserFromGroupOutput{}, nil
}

func (x dryIAM) DeactivateMFADevice(ctx context.Context, in *iam.DeactivateMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error) {
	x.d.would(ctx, "iam", "DeactivateMFADevice", in)
	return &iam.DeactivateMFADeviceOutput{}, nil
}

func (x dryIAM) DeleteUser(ctx context.Context, in *iam.DeleteUserInput, _ ...func(*iam.Options)) (*iam.DeleteUserOutput, error) {
	x.d.would(ctx, "iam", "DeleteUser", in)
	return &iam.DeleteUserOutput{}, nil
}

func (x dryIAM) DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	x.d.would(ctx, "iam", "DetachRolePolicy", in)
	return &iam.DetachRolePolicyOutput{}, nil
}

func (x dryIAM) DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	x.d.would(ctx, "iam", "DeleteRolePolicy", in)
	return &iam.DeleteRolePolicyOutput{}, nil
}

func (x dryIAM) RemoveRoleFromInstanceProfile(ctx context.Context, in *iam.RemoveRoleFromInstanceProfileInput, _ ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error) {
	x.d.would(ctx, "iam", "RemoveRoleFromInstanceProfile", in)
	return &iam.RemoveRoleFromInstanceProfileOutput{}, nil
}

func (x dryIAM) DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	x.d.would(ctx, "iam", "DeleteRole", in)
	return &iam.DeleteRoleOutput{}, nil
}

// CreateOpenIDConnectProvider answers the ARN IAM names a provider by:
// its URL without the scheme.
func (x dryIAM) CreateOpenIDConnectProvider(ctx context.Context, in *iam.CreateOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error) {
	x.d.would(ctx, "iam", "CreateOpenIDConnectProvider", in)
	return &iam.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: aws.String(x.d.arn(ctx,
		"oidc-provider/"+strings.TrimPrefix(aws.ToString(in.Url), "https://")))}, nil
}

// The regional dry clients keep their region: a would-call names where it
// would have gone, as a sent call's note does.
type dryEC2 struct {
	d      *dryRun
	region string
}

func (x dryEC2) AssociateIamInstanceProfile(ctx context.Context, in *ec2.AssociateIamInstanceProfileInput, _ ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	x.d.wouldIn(ctx, x.region, "ec2", "AssociateIamInstanceProfile", in)
	return &ec2.AssociateIamInstanceProfileOutput{IamInstanceProfileAssociation: &ec2types.IamInstanceProfileAssociation{
		AssociationId: aws.String(DryRunID), InstanceId: in.InstanceId, State: ec2types.IamInstanceProfileAssociationStateAssociating}}, nil
}

func (x dryEC2) ReplaceIamInstanceProfileAssociation(ctx context.Context, in *ec2.ReplaceIamInstanceProfileAssociationInput, _ ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error) {
	x.d.wouldIn(ctx, x.region, "ec2", "ReplaceIamInstanceProfileAssociation", in)
	return &ec2.ReplaceIamInstanceProfileAssociationOutput{IamInstanceProfileAssociation: &ec2types.IamInstanceProfileAssociation{
		AssociationId: aws.String(DryRunID), State: ec2types.IamInstanceProfileAssociationStateAssociating}}, nil
}

func (x dryEC2) TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, _ ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	x.d.wouldIn(ctx, x.region, "ec2", "TerminateInstances", in)
	out := &ec2.TerminateInstancesOutput{}
	for _, id := range in.InstanceIds {
		out.TerminatingInstances = append(out.TerminatingInstances, ec2types.InstanceStateChange{InstanceId: aws.String(id),
			CurrentState: &ec2types.InstanceState{Name: ec2types.InstanceStateNameShuttingDown}})
	}
	return out, nil
}

type dryLambda struct {
	d      *dryRun
	region string
}

func (x dryLambda) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	x.d.wouldIn(ctx, x.region, "lambda", "UpdateFunctionConfiguration", in)
	return &lambda.UpdateFunctionConfigurationOutput{FunctionName: in.FunctionName, Role: in.Role}, nil
}

type dryECS struct {
	d      *dryRun
	region string
}

func (x dryECS) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	x.d.wouldIn(ctx, x.region, "ecs", "RegisterTaskDefinition", in)
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{Family: in.Family,
		TaskRoleArn: in.TaskRoleArn, TaskDefinitionArn: aws.String(DryRunID)}}, nil
}

func (x dryECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	x.d.wouldIn(ctx, x.region, "ecs", "UpdateService", in)
	return &ecs.UpdateServiceOutput{Service: &ecstypes.Service{ServiceName: in.Service, TaskDefinition: in.TaskDefinition}}, nil
}

type drySTS struct{ d *dryRun }

// AssumeRoot answers a session whose credentials are placeholders: the
// calls made with it are dry too.
func (x drySTS) AssumeRoot(ctx context.Context, in *sts.AssumeRootInput, _ ...func(*sts.Options)) (*sts.AssumeRootOutput, error) {
	x.d.would(ctx, "sts", "AssumeRoot", in)
	return &sts.AssumeRootOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String(DryRunID),
		SecretAccessKey: aws.String(DryRunID), SessionToken: aws.String(DryRunID)}}, nil
}

func pathOrRoot(p *string) string {
	if s := aws.ToString(p); s != "" {
		return s
	}
	return "/"
}

// Every call is noted before it is sent: a middleware at the start of the
// SDK's stack emits an APICall to the emitter the effect's context carries.

type emitterKey struct{}

func withEmitter(ctx context.Context, emit func(runbook.Event)) context.Context {
	return context.WithValue(ctx, emitterKey{}, emit)
}

// emitterOf returns the effect's emitter, or one that drops everything.
func emitterOf(ctx context.Context) func(runbook.Event) {
	if emit, ok := ctx.Value(emitterKey{}).(func(runbook.Event)); ok && emit != nil {
		return emit
	}
	return func(runbook.Event) {}
}

// withCallNotes returns cfg with the call-noting middleware added to the
// clients made from it. It copies APIOptions, so cfg's owner is untouched.
func withCallNotes(cfg aws.Config) aws.Config {
	for _, fn := range cfg.APIOptions {
		if isNoteCalls(fn) {
			return cfg
		}
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), noteCalls)
	return cfg
}

const noteCallsID = "keyrunbook.NoteCall"

func isNoteCalls(fn func(*middleware.Stack) error) bool {
	s := middleware.NewStack("probe", nil)
	if err := fn(s); err != nil {
		return false
	}
	_, ok := s.Initialize.Get(noteCallsID)
	return ok
}

func noteCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(noteCallsID,
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			call := runbook.APICall{
				Service:   serviceName(middleware.GetServiceID(ctx)),
				Operation: middleware.GetOperationName(ctx),
				Input:     inputJSON(in.Parameters),
			}
			if !globalServices[call.Service] {
				call.Region = awsmiddleware.GetRegion(ctx)
			}
			noteActor(ctx, &call)
			emitterOf(ctx)(call)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// globalServices answer from one endpoint whatever the client's region:
// a region on their notes would mislead.
var globalServices = map[string]bool{"iam": true, "organizations": true, "route53": true}

// serviceName turns the SDK's service ID ("CloudTrail") into the IAM prefix
// the report shows ("cloudtrail").
func serviceName(id string) string {
	return strings.ToLower(strings.ReplaceAll(id, " ", ""))
}

// secretFields are input fields that carry secrets in the APIs keyrunbook
// could call (passwords of login profiles, keys, session tokens).
var secretFields = map[string]bool{
	"secretaccesskey": true, "password": true, "newpassword": true, "oldpassword": true,
	"sessiontoken": true, "privatekey": true, "servicepassword": true,
}

// secretValue matches a value shaped exactly like a secret access key.
var secretValue = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)

// inputJSON renders an SDK input for the action log with every secret
// replaced by [REDACTED].
func inputJSON(in any) json.RawMessage {
	raw, err := json.Marshal(in)
	if err != nil {
		b, _ := json.Marshal(map[string]string{"unrenderable": err.Error()})
		return b
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, err := json.Marshal(redactValue("", v))
	if err != nil {
		return raw
	}
	return out
}

func redactValue(field string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			t[k] = redactValue(k, val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = redactValue(field, t[i])
		}
		return t
	case string:
		if secretFields[strings.ToLower(field)] || secretValue.MatchString(t) {
			return "[REDACTED]"
		}
	}
	return v
}
