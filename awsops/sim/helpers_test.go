package sim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// env is a started sim and the endpoint the SDK clients use.
type env struct {
	sim *sim.Sim
	url string
}

func start(t *testing.T, scenario string, opts ...sim.Option) *env {
	t.Helper()
	sc, err := sim.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, append([]sim.Option{sim.WithThrottle(0)}, opts...)...)
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

// clients are the real SDK clients, signed with one key.
type clients struct {
	iam *iam.Client
	sts *sts.Client
	ct  *cloudtrail.Client
	ec2 *ec2.Client
}

// as builds clients for a key in a region. They keep the SDK's standard
// retryer (with short backoff): against a loopback server the SDK can close
// its own connection mid-response and relies on retrying net.ErrClosed
// (aws-sdk-go-v2 #2737). Errors the tests expect are not retryable, so they
// still surface at once; a test passes aws.NopRetryer to see a throttle.
func (e *env) as(keyID, secret, region string, retryer ...func() aws.Retryer) clients {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Retryer:     fastRetryer,
	}
	if len(retryer) > 0 {
		cfg.Retryer = retryer[0]
	}
	ep := aws.String(e.url)
	return clients{
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
		ct:  cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.BaseEndpoint = ep }),
		ec2: ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = ep }),
	}
}

// responder are clients with the scenario's responder credentials.
func (e *env) responder(region string) clients {
	id, secret := e.sim.ResponderCredentials()
	return e.as(id, secret, region)
}

// keyAs are clients signed with a scenario key, by ref.
func (e *env) keyAs(t *testing.T, ref, region string) clients {
	t.Helper()
	id, secret, ok := e.sim.KeyCredentials(ref)
	if !ok {
		t.Fatalf("no live key with ref %q", ref)
	}
	return e.as(id, secret, region)
}

// code is the AWS error code of err, or "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var ctx = context.Background()

// fastRetryer retries like the SDK's standard retryer (same retryable and
// throttle classification) with short, fixed backoff so tests stay fast.
func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 20
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 150 * time.Millisecond, nil })
	})
}
