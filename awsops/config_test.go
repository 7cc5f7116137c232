package awsops

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestLoadConfig(t *testing.T) {
	const profiles = "[profile responder]\nregion = eu-west-2\n\n[profile sim]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:4566\n"
	const creds = "[responder]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = secret\n\n" +
		"[sim]\naws_access_key_id = AKIAPROFILEKEY000002\naws_secret_access_key = secret\n"
	tests := []struct {
		name     string
		env      map[string]string
		target   Target
		region   string
		endpoint string
		keyID    string
		err      string
	}{
		{name: "nothing configured: us-east-1", target: Target{Credentials: credentials.NewStaticCredentialsProvider("AKIASTATICKEY0000001", "s", "")},
			region: "us-east-1", keyID: "AKIASTATICKEY0000001"},
		{name: "profile's region and credentials", target: Target{Profile: "responder"}, region: "eu-west-2", keyID: "AKIAPROFILEKEY000001"},
		{name: "region flag beats the profile", target: Target{Profile: "responder", Region: "sa-east-1"}, region: "sa-east-1", keyID: "AKIAPROFILEKEY000001"},
		{name: "environment endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9999", "AWS_REGION": "eu-north-1"},
			target: Target{Credentials: credentials.NewStaticCredentialsProvider("AKIASTATICKEY0000001", "s", "")},
			region: "eu-north-1", endpoint: "http://127.0.0.1:9999", keyID: "AKIASTATICKEY0000001"},
		{name: "endpoint flag beats the profile's", target: Target{Profile: "sim", Endpoint: "http://127.0.0.1:1234"},
			region: "ap-south-1", endpoint: "http://127.0.0.1:1234", keyID: "AKIAPROFILEKEY000002"},
		{name: "unknown profile", target: Target{Profile: "nope"}, err: `profile "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			dir := t.TempDir()
			write := func(name, text string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			t.Setenv("AWS_CONFIG_FILE", write("config", profiles))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", write("credentials", creds))
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := LoadConfig(context.Background(), tt.target)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.region || aws.ToString(cfg.BaseEndpoint) != tt.endpoint {
				t.Errorf("region %q endpoint %q, want %q %q", cfg.Region, aws.ToString(cfg.BaseEndpoint), tt.region, tt.endpoint)
			}
			got, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil || got.AccessKeyID != tt.keyID {
				t.Errorf("credentials %q, %v; want %q", got.AccessKeyID, err, tt.keyID)
			}
		})
	}
}

func TestClientsRetryers(t *testing.T) {
	isolate(t)
	cfg, err := LoadConfig(context.Background(), Target{Credentials: credentials.NewStaticCredentialsProvider("AKIASTATICKEY0000001", "s", "")})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClients(cfg)
	west := c.CloudTrail("eu-west-1").(*cloudtrail.Client).Options()
	east := c.CloudTrail("us-east-1").(*cloudtrail.Client).Options()
	if west.Region != "eu-west-1" || east.Region != "us-east-1" {
		t.Errorf("regions %q %q", west.Region, east.Region)
	}
	if _, ok := west.Retryer.(*retry.AdaptiveMode); !ok {
		t.Errorf("CloudTrail retryer %T, want adaptive mode", west.Retryer)
	}
	if west.Retryer == east.Retryer {
		t.Error("two regions share one adaptive retryer: one's throttling would slow the other")
	}
	if c.CloudTrail("eu-west-1") != c.CloudTrail("eu-west-1") {
		t.Error("a region's client is made anew on every call")
	}
	if n := west.Retryer.MaxAttempts(); n != maxAttempts {
		t.Errorf("CloudTrail max attempts %d, want %d", n, maxAttempts)
	}
	if n := c.IAM.(*iam.Client).Options().Retryer.MaxAttempts(); n != maxAttempts {
		t.Errorf("IAM max attempts %d, want %d", n, maxAttempts)
	}
}

// captureClient keeps the request it was given.
type captureClient struct{ got *http.Request }

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestPlainBodiesHideWriteTo(t *testing.T) {
	inner := &captureClient{}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	req.Body = io.NopCloser(bytes.NewReader([]byte("Action=ListUsers")))
	if _, ok := req.Body.(io.WriterTo); !ok {
		t.Fatal("test body has no WriteTo to hide")
	}
	if _, err := (plainBodies{inner}).Do(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := inner.got.Body.(io.WriterTo); ok {
		t.Error("the body handed to net/http still has WriteTo")
	}
	if b, _ := io.ReadAll(inner.got.Body); string(b) != "Action=ListUsers" {
		t.Errorf("body %q", b)
	}
}
