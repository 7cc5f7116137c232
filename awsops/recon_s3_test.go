package awsops

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// intruderUA is the attacker-only scenario's intruder's user agent.
const intruderUA = "Boto3/1.33.13 md/Botocore#1.33.13 ua/2.0 os/linux#5.15.0-91-generic md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.33.13"

// asUserAgent sends every request with one User-Agent, which SigV4 does
// not sign: a client that passes for another tool.
type asUserAgent string

func (ua asUserAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}

// A ListBuckets the leaked key makes through the simulated account lands
// in event history, as on AWS (a bucket-level management event), so the
// sweep's recon-buckets rule (judge) flags it on the intruder.
func TestSweepFlagsBucketListingThroughS3(t *testing.T) {
	sc := loadScenario(t, "attacker-only")
	sc.Responder.SourceIP = "198.51.100.140" // loopback calls come from the intruder's address
	s, url := startScenario(t, sc)
	id, secret, ok := s.KeyCredentials("leaked")
	if !ok {
		t.Fatal("the scenario's leaked key is not live")
	}
	leaked := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient:  &http.Client{Transport: asUserAgent(intruderUA)}})
	if _, err := leaked.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	res, err := Sweep(context.Background(), responder(t, s, url),
		SweepRequest{KeyID: id, From: s.Now().Add(-28 * time.Hour), To: s.Now()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(res.Investigation.Indicators, func(in runbook.Indicator) bool {
		return in.Kind == "recon" && slices.Contains(in.Techniques, "T1619") &&
			slices.ContainsFunc(in.Events, func(e runbook.EventRef) bool { return e.Name == "ListBuckets" && e.Region == "us-east-1" })
	})
	if !found {
		t.Errorf("no recon-buckets indicator for the ListBuckets; indicators %+v callers %+v findings %+v", res.Investigation.Indicators, res.Investigation.Callers, res.Findings)
	}
}
