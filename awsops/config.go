// Package awsops carries the runbook's effects out against AWS (or the
// simulated account in awsops/sim): it owns the SDK clients, the CloudTrail
// sweep, the usage classification and the replacement proposals.
package awsops

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// DefaultRegion is the home region when neither the target nor the SDK's
// default chain names one. IAM, STS-global and sign-in events are recorded
// in us-east-1, so it is the region that matters most to the sweep.
const DefaultRegion = "us-east-1"

// maxAttempts bounds each call's attempts (the first try included). The
// SDK's default of 3 gives up too soon on a throttled LookupEvents when a
// sweep runs every region at its quota.
const maxAttempts = 6

// idleConnsPerHost keeps one idle connection per region when every region
// goes to one endpoint (the simulated account, an AWS_ENDPOINT_URL proxy):
// the SDK's default of 10 would redial for every request past the tenth
// parallel region.
const idleConnsPerHost = 64

// Target says which account and how to reach it. The zero value uses the
// SDK's default chain alone: environment, shared config, SSO, IMDS.
type Target struct {
	// Region is the home region; empty takes the default chain's, then
	// DefaultRegion.
	Region string
	// Profile names a shared-config profile (--profile).
	Profile string
	// Endpoint overrides every service's endpoint (the simulated account).
	// Empty leaves AWS_ENDPOINT_URL and the shared config's endpoint_url in
	// charge, as the SDK reads them.
	Endpoint string
	// Credentials, when set, replaces the default chain's credentials
	// (training passes the simulated responder's).
	Credentials aws.CredentialsProvider
	// HTTPClient, when set, replaces the SDK's HTTP client. With
	// AWS_CA_BUNDLE set, the SDK accepts only its own *BuildableClient.
	HTTPClient aws.HTTPClient
	// Logger receives the SDK's warnings; nil leaves the SDK's default,
	// which writes to stderr (under a TUI, pass one that does not).
	Logger logging.Logger
}

// LoadConfig resolves the target into an aws.Config with the standard
// retryer. CloudTrail clients made by NewClients switch to adaptive mode.
func LoadConfig(ctx context.Context, t Target) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		}),
	}
	if t.Region != "" {
		opts = append(opts, config.WithRegion(t.Region))
	}
	if t.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(t.Profile))
	}
	if t.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(t.Endpoint))
	}
	if t.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(t.Credentials))
	}
	client := t.HTTPClient
	if client == nil {
		client = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConnsPerHost = idleConnsPerHost
		})
	}
	opts = append(opts, config.WithHTTPClient(client))
	if t.Logger != nil {
		opts = append(opts, config.WithLogger(t.Logger))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if t.Profile != "" {
			return aws.Config{}, fmt.Errorf("load AWS configuration for profile %q (check ~/.aws/config, or run aws sso login): %w", t.Profile, err)
		}
		return aws.Config{}, fmt.Errorf("load AWS configuration (environment, ~/.aws/config): %w", err)
	}
	// Wrapped only now: AWS_CA_BUNDLE needs the SDK's own client type
	// while the configuration loads.
	cfg.HTTPClient = plainBodies{cfg.HTTPClient}
	return cfg, nil
}

// plainBodies works around a race between smithy-go and net/http: once a
// response arrives the SDK closes the request body, while net/http may
// still read past Content-Length to check for extra bytes; the closed body
// answers WriteTo with io.EOF as an error, and net/http drops the
// connection (a "failed to discard remaining HTTP response body" warning on
// stderr, a new connection for the next call; 8 in 1,084 LookupEvents pages
// against the simulated account). Without WriteTo that late read is a
// plain EOF.
type plainBodies struct{ aws.HTTPClient }

// Do implements aws.HTTPClient.
func (c plainBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readCloserOnly{r.Body}
	}
	return c.HTTPClient.Do(r)
}

type readCloserOnly struct{ io.ReadCloser }

// adaptiveRetryer is the retryer of CloudTrail clients: adaptive mode slows
// a client down when LookupEvents answers ThrottlingException, on top of
// the sweep's own pacing. Each region's client gets its own, so one
// region's throttling never slows another.
func adaptiveRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
		})
	})
}
