package sim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// An opt-in region the account has not enabled refuses every regional
// service's calls, whatever its protocol, with the protocol's "invalid
// credentials" error; a global service (IAM, Organizations) answers the
// same whatever region its request was signed for.
func TestDisabledRegionRefusesEveryRegionalService(t *testing.T) {
	e := start(t, "org-iam4")
	id, secret := e.sim.ResponderCredentials()
	cfg := func(region string) aws.Config {
		return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
			HTTPClient: &http.Client{Timeout: 30 * time.Second}, Retryer: fastRetryer, BaseEndpoint: aws.String(e.url)}
	}
	tests := []struct {
		name string
		call func(region string) error
		want string // the error in a disabled region; "" for a global service
	}{
		{"ec2 (ec2Query)", func(r string) error {
			_, err := ec2.NewFromConfig(cfg(r)).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}, "AuthFailure"},
		{"cloudtrail (awsJson1_1)", func(r string) error {
			_, err := cloudtrail.NewFromConfig(cfg(r)).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}, "UnrecognizedClientException"},
		{"sts regional endpoint (awsQuery)", func(r string) error {
			_, err := sts.NewFromConfig(cfg(r)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "InvalidClientTokenId"},
		{"cloudwatch (rpcv2Cbor)", func(r string) error {
			_, err := cloudwatch.NewFromConfig(cfg(r)).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		}, "InvalidClientTokenId"},
		{"athena (awsJson1_1)", func(r string) error {
			_, err := athena.NewFromConfig(cfg(r)).GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String("none")})
			return err
		}, "UnrecognizedClientException"},
		{"ecs (awsJson1_1)", func(r string) error {
			_, err := ecs.NewFromConfig(cfg(r)).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("none")})
			return err
		}, "UnrecognizedClientException"},
		{"lambda (restJson1)", func(r string) error {
			_, err := lambda.NewFromConfig(cfg(r)).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}, "UnrecognizedClientException"},
		{"guardduty (restJson1)", func(r string) error {
			_, err := guardduty.NewFromConfig(cfg(r)).ListDetectors(ctx, &guardduty.ListDetectorsInput{})
			return err
		}, "UnrecognizedClientException"},
		{"securityhub (restJson1)", func(r string) error {
			_, err := securityhub.NewFromConfig(cfg(r)).GetFindings(ctx, &securityhub.GetFindingsInput{})
			return err
		}, "UnrecognizedClientException"},
		{"s3 (restXml)", func(r string) error {
			_, err := s3.NewFromConfig(cfg(r), func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, "InvalidAccessKeyId"},
		{"iam (global)", func(r string) error {
			_, err := iam.NewFromConfig(cfg(r)).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, ""},
		{"organizations (global)", func(r string) error {
			_, err := organizations.NewFromConfig(cfg(r)).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enabled := code(tt.call("us-east-1"))
			if credentialCodes[enabled] {
				t.Fatalf("in an enabled region: %q; the responder's key should be accepted", enabled)
			}
			want := tt.want
			if want == "" {
				want = enabled
			}
			wantCode(t, tt.call("ap-east-1"), want)
		})
	}
}

// credentialCodes are the protocols' errors for credentials AWS does not
// recognise.
var credentialCodes = map[string]bool{"AuthFailure": true, "UnrecognizedClientException": true,
	"InvalidClientTokenId": true, "InvalidAccessKeyId": true}

// CloudWatch speaks three protocols; a disabled region refuses each, with
// the query code AWS gives CloudWatch (it is awsQueryCompatible).
func TestDisabledRegionRefusesCloudWatchOverEveryProtocol(t *testing.T) {
	e := start(t, "org-iam4")
	id, secret := e.sim.ResponderCredentials()
	send := func(region, path, body, target, contentType string) (int, string) {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		sim.SignForTest(r, id, secret, region, "monitoring")
		w := httptest.NewRecorder()
		e.sim.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		return w.Code, string(b)
	}
	tests := []struct {
		name, body, target, contentType string
	}{
		{"awsQuery", "Action=DescribeAlarms&Version=2010-08-01", "", "application/x-www-form-urlencoded; charset=utf-8"},
		{"awsJson1_0", "{}", "GraniteServiceVersion20100801.DescribeAlarms", "application/x-amz-json-1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := send("us-east-1", "/", tt.body, tt.target, tt.contentType); status != http.StatusOK {
				t.Fatalf("enabled region: %d %.300s", status, body)
			}
			status, body := send("ap-east-1", "/", tt.body, tt.target, tt.contentType)
			if status != http.StatusForbidden || !strings.Contains(body, "InvalidClientTokenId") {
				t.Errorf("disabled region: %d %.300s; want 403 InvalidClientTokenId", status, body)
			}
		})
	}
}
