package awsops

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/time/rate"
)

// STSAPI is the part of STS that identification calls.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	GetAccessKeyInfo(ctx context.Context, params *sts.GetAccessKeyInfoInput, optFns ...func(*sts.Options)) (*sts.GetAccessKeyInfoOutput, error)
}

// IAMReadAPI is the part of IAM that identification reads. Nothing here
// changes the account.
type IAMReadAPI interface {
	GetAccessKeyLastUsed(ctx context.Context, params *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	ListAccessKeys(ctx context.Context, params *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccountSummary(ctx context.Context, params *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	ListAttachedUserPolicies(ctx context.Context, params *iam.ListAttachedUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(ctx context.Context, params *iam.ListUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	ListGroupsForUser(ctx context.Context, params *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	GenerateCredentialReport(ctx context.Context, params *iam.GenerateCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(ctx context.Context, params *iam.GetCredentialReportInput, optFns ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
}

// CloudTrailAPI is the part of CloudTrail the sweep calls.
type CloudTrailAPI interface {
	LookupEvents(ctx context.Context, params *cloudtrail.LookupEventsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// EC2ReadAPI is the part of EC2 the sweep and the inventory read.
type EC2ReadAPI interface {
	DescribeRegions(ctx context.Context, params *ec2.DescribeRegionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
	DescribeInstances(ctx context.Context, params *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeAddresses(ctx context.Context, params *ec2.DescribeAddressesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
}

var (
	_ STSAPI        = (*sts.Client)(nil)
	_ IAMReadAPI    = (*iam.Client)(nil)
	_ CloudTrailAPI = (*cloudtrail.Client)(nil)
	_ EC2ReadAPI    = (*ec2.Client)(nil)
)

// Clients holds the SDK clients of one session. STS and IAM are global;
// CloudTrail and EC2 are regional, made on first use by the factories and
// kept. Tests may build a Clients by hand with fakes.
type Clients struct {
	// Config is the resolved configuration, for clients of other services.
	Config aws.Config
	STS    STSAPI
	IAM    IAMReadAPI
	// NewCloudTrail and NewEC2 make one region's client.
	NewCloudTrail func(region string) CloudTrailAPI
	NewEC2        func(region string) EC2ReadAPI
	// NewLambda makes one region's Lambda client; nil skips functions.
	NewLambda func(region string) LambdaReadAPI
	// SweepRate is the LookupEvents requests per second per region, for
	// every reader of this session together (lookupLimiter); zero means
	// DefaultSweepRate, AWS's quota.
	SweepRate float64

	mu         sync.Mutex
	cloudTrail map[string]CloudTrailAPI
	ec2        map[string]EC2ReadAPI
	lambda     map[string]LambdaReadAPI
	lookups    map[string]*rate.Limiter // by region, see lookupLimiter
	sweeps     sweepMemory
}

// NewClients builds the clients of cfg. CloudTrail clients use the adaptive
// retryer, one per region.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{
		Config: cfg,
		STS:    sts.NewFromConfig(cfg),
		IAM:    iam.NewFromConfig(cfg),
		NewCloudTrail: func(region string) CloudTrailAPI {
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
				o.Region = region
				o.Retryer = adaptiveRetryer()
			})
		},
		NewEC2: func(region string) EC2ReadAPI {
			return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
		},
		NewLambda: newLambdaFactory(cfg),
	}
}

// HomeRegion is the configured region, where global calls are made.
func (c *Clients) HomeRegion() string {
	if c.Config.Region != "" {
		return c.Config.Region
	}
	return DefaultRegion
}

// CloudTrail returns the region's CloudTrail client.
func (c *Clients) CloudTrail(region string) CloudTrailAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if api, ok := c.cloudTrail[region]; ok {
		return api
	}
	if c.cloudTrail == nil {
		c.cloudTrail = map[string]CloudTrailAPI{}
	}
	api := c.NewCloudTrail(region)
	c.cloudTrail[region] = api
	return api
}

// EC2 returns the region's EC2 client.
func (c *Clients) EC2(region string) EC2ReadAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if api, ok := c.ec2[region]; ok {
		return api
	}
	if c.ec2 == nil {
		c.ec2 = map[string]EC2ReadAPI{}
	}
	api := c.NewEC2(region)
	c.ec2[region] = api
	return api
}

// callerKeyID is the access key ID the session signs with, when its
// credentials have one, so identification can warn a responder who runs
// with the leaked key itself. It never touches the secret.
func (c *Clients) callerKeyID(ctx context.Context) string {
	if c.Config.Credentials == nil {
		return ""
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return ""
	}
	return creds.AccessKeyID
}

// lookupLimiter is the region's LookupEvents token bucket, the one every
// reader of this session waits on: the sweep, each minted-key follow, the
// watch and the move check. CloudTrail's quota is 2 requests per second per
// account per region (CloudTrail quotas), so readers paced each on its own
// bucket would together exceed it and earn throttling. A Clients signs in to
// one account, so a bucket per region is a bucket per account and region.
// The rate is SweepRate as it is now, so a caller that raises it after
// building the clients (training) raises it for every reader.
func (c *Clients) lookupLimiter(region string) *rate.Limiter {
	r := rate.Limit(c.SweepRate)
	if r <= 0 {
		r = DefaultSweepRate
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lookups[region]
	if l == nil {
		if c.lookups == nil {
			c.lookups = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(r, 1)
		c.lookups[region] = l
	} else if l.Limit() != r {
		l.SetLimit(r)
	}
	return l
}
