package awsops

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The executor's reads, one narrow interface per service with the SDK's
// own signatures. Its writes are in dryrun.go, where dry-run replaces them.

// iamReads is every IAM read the executor makes (the identification's are
// in IAMReadAPI).
type iamReads interface {
	IAMReadAPI
	GetRole(ctx context.Context, params *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetRolePolicy(ctx context.Context, params *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	GetInstanceProfile(ctx context.Context, params *iam.GetInstanceProfileInput, optFns ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	GetUser(ctx context.Context, params *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	GetUserPolicy(ctx context.Context, params *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListMFADevices(ctx context.Context, params *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListAttachedRolePolicies(ctx context.Context, params *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(ctx context.Context, params *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	ListInstanceProfilesForRole(ctx context.Context, params *iam.ListInstanceProfilesForRoleInput, optFns ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error)
	ListOrganizationsFeatures(ctx context.Context, params *iam.ListOrganizationsFeaturesInput, optFns ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
	GetOpenIDConnectProvider(ctx context.Context, params *iam.GetOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
}

// ec2Reads is every EC2 read the executor makes.
type ec2Reads interface {
	DescribeInstances(ctx context.Context, params *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeIamInstanceProfileAssociations(ctx context.Context, params *ec2.DescribeIamInstanceProfileAssociationsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error)
	DescribeRegions(ctx context.Context, params *ec2.DescribeRegionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

// trailReads is every CloudTrail read the executor makes.
type trailReads interface {
	CloudTrailAPI
	DescribeTrails(ctx context.Context, params *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, params *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
}

// alarmReads reads CloudWatch alarms (the watch, the billing-alarm check).
type alarmReads interface {
	DescribeAlarms(ctx context.Context, params *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// lambdaReads reads a function's configuration before its role changes.
type lambdaReads interface {
	GetFunctionConfiguration(ctx context.Context, params *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// ecsReads reads a service and its task definition before a new revision.
type ecsReads interface {
	DescribeServices(ctx context.Context, params *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, params *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// guardDutyReads tells whether GuardDuty is on.
type guardDutyReads interface {
	ListDetectors(ctx context.Context, params *guardduty.ListDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error)
	GetDetector(ctx context.Context, params *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
}

// orgReads tells whether the account is an Organizations member.
type orgReads interface {
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

// stsRoot is what the root-key paths ask of STS: who the credentials are,
// and a root session of a member account (sts:AssumeRoot).
type stsRoot interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRoot(ctx context.Context, params *sts.AssumeRootInput, optFns ...func(*sts.Options)) (*sts.AssumeRootOutput, error)
}

var (
	_ iamReads       = (*iam.Client)(nil)
	_ ec2Reads       = (*ec2.Client)(nil)
	_ trailReads     = (*cloudtrail.Client)(nil)
	_ alarmReads     = (*cloudwatch.Client)(nil)
	_ lambdaReads    = (*lambda.Client)(nil)
	_ ecsReads       = (*ecs.Client)(nil)
	_ guardDutyReads = (*guardduty.Client)(nil)
	_ orgReads       = (*organizations.Client)(nil)
	_ stsRoot        = (*sts.Client)(nil)
)

// readClients makes the clients of the executor's reads. Tests replace a
// factory to stand in for a service the simulated account does not serve.
type readClients struct {
	iam        func(cfg aws.Config) iamReads
	sts        func(cfg aws.Config) stsRoot
	ec2        func(region string) ec2Reads
	cloudTrail func(region string) trailReads
	cloudWatch func(region string) alarmReads
	lambda     func(region string) lambdaReads
	ecs        func(region string) ecsReads
	guardDuty  func(region string) guardDutyReads
	orgs       func() orgReads
}

func newReadClients(cfg aws.Config) readClients {
	return readClients{
		iam: func(c aws.Config) iamReads { return iam.NewFromConfig(withCallNotes(c)) },
		sts: func(c aws.Config) stsRoot { return sts.NewFromConfig(withCallNotes(c)) },
		ec2: func(region string) ec2Reads {
			return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
		},
		cloudTrail: func(region string) trailReads {
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
				o.Region, o.Retryer = region, adaptiveRetryer()
			})
		},
		cloudWatch: func(region string) alarmReads {
			return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Region = region })
		},
		lambda: func(region string) lambdaReads {
			return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = region })
		},
		ecs: func(region string) ecsReads {
			return ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.Region = region })
		},
		guardDuty: func(region string) guardDutyReads {
			return guardduty.NewFromConfig(cfg, func(o *guardduty.Options) { o.Region = region })
		},
		// Organizations is global: its endpoint is in us-east-1.
		orgs: func() orgReads {
			return organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.Region = DefaultRegion })
		},
	}
}
