package sim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func newSim(t testing.TB, name string) *sim.Sim {
	t.Helper()
	sc, err := sim.LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, sim.WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedAs says how a raw request is signed: with a key's real secret,
// with a wrong one, or (auth) with a hand-written Authorization header.
type signedAs struct {
	key, secret, region, service, auth string
}

// TestRawRequests checks the error shapes of requests no SDK would send.
func TestRawRequests(t *testing.T) {
	s := newSim(t, "attacker-only")
	key, secret := s.ResponderCredentials()
	as := func(service string) signedAs {
		return signedAs{key: key, secret: secret, region: "us-east-1", service: service}
	}
	tests := []struct {
		name         string
		sig          signedAs
		target, body string
		status       int
		contains     string
		contentType  string
	}{
		{"unsigned", signedAs{}, "", "Action=ListUsers&Version=2010-05-08", 403, "<Code>MissingAuthenticationToken</Code>", ""},
		{"unsigned json", signedAs{}, "CloudTrail_20131101.LookupEvents", "{}", 400, `"__type":"MissingAuthenticationTokenException"`, ""},
		{"unknown IAM action", as("iam"), "", "Action=MakeCoffee&Version=2010-05-08", 400, "<Code>InvalidAction</Code>", ""},
		{"missing action", as("iam"), "", "Version=2010-05-08", 400, "<Code>MissingAction</Code>", ""},
		{"unknown EC2 action", as("ec2"), "", "Action=MakeCoffee&Version=2016-11-15", 400, "<Errors><Error><Code>InvalidAction</Code>", ""},
		{"unknown CloudTrail operation", as("cloudtrail"), "CloudTrail_20131101.StopLogging", "{}", 400, `"__type":"UnknownOperationException"`, ""},
		{"unserved query service", as("sns"), "", "Action=ListTopics&Version=2010-03-31", 400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>`, ""},
		{"unserved JSON service", as("dynamodb"), "DynamoDB_20120810.ListTables", "{}", 404, `"__type":"UnknownOperationException"`, "application/x-amz-json-1.0"},
		{"IAM over JSON", as("iam"), "AWSIdentityManagementV20100508.ListUsers", "{}", 404, `"__type":"UnknownOperationException"`, ""},
		{"S3 method not served", as("s3"), "", "", 501, "<Code>NotImplemented</Code>", ""},
		{"bad form", as("iam"), "", "Action=%zz", 400, "MalformedQueryString", ""},
		{"bad json", as("cloudtrail"), "CloudTrail_20131101.LookupEvents", "{nope", 400, "SerializationException", ""},
		{"json of wrong types", as("cloudtrail"), "CloudTrail_20131101.LookupEvents", `{"MaxResults":"ten","LookupAttributes":7}`, 400, "SerializationException", ""},
		{"unknown key", signedAs{key: "AKIAZZZZZZZZZZZZZZZZ", secret: secret, region: "us-east-1", service: "iam"}, "", "Action=ListUsers", 403, "InvalidClientTokenId", ""},
		{"wrong secret, query", signedAs{key: key, secret: "x" + secret[1:], region: "us-east-1", service: "iam"}, "", "Action=ListUsers", 403, "<Code>SignatureDoesNotMatch</Code>", ""},
		{"wrong secret, EC2", signedAs{key: key, secret: "x" + secret[1:], region: "us-east-1", service: "ec2"}, "", "Action=DescribeRegions", 401, "<Code>AuthFailure</Code>", ""},
		{"wrong secret, JSON", signedAs{key: key, secret: "x" + secret[1:], region: "us-east-1", service: "cloudtrail"}, "CloudTrail_20131101.LookupEvents", "{}", 400, `"__type":"InvalidSignatureException"`, ""},
		{"forged signature", signedAs{auth: "AWS4-HMAC-SHA256 Credential=" + key + "/20250602/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"}, "", "Action=ListUsers", 403, "SignatureDoesNotMatch", ""},
		{"garbled credential", signedAs{auth: "AWS4-HMAC-SHA256 Credential=/x/y"}, "", "Action=ListUsers", 403, "MissingAuthenticationToken", ""},
		{"oversized body", as("iam"), "", "Action=ListUsers&Pad=" + strings.Repeat("a", 2<<20), 400, "larger than 1 MiB", ""},
		{"get with query", as("iam"), "", "", 200, "<ListUsersResult>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := "POST", "/"
			if tt.name == "get with query" {
				method, target = "GET", "/?Action=ListUsers&Version=2010-05-08"
			}
			r := httptest.NewRequest(method, target, strings.NewReader(tt.body))
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			switch {
			case tt.sig.auth != "":
				r.Header.Set("Authorization", tt.sig.auth)
				r.Header.Set("X-Amz-Date", "20250602T093000Z")
			case tt.sig.key != "":
				sim.SignForTest(r, tt.sig.key, tt.sig.secret, tt.sig.region, tt.sig.service)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			body, _ := io.ReadAll(w.Body)
			if w.Code != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Errorf("status %d body %.300s; want %d containing %q", w.Code, body, tt.status, tt.contains)
			}
		})
	}
}

// FuzzServeHTTP feeds arbitrary actions, parameters and bodies to every
// protocol: the sim must answer, never panic.
func FuzzServeHTTP(f *testing.F) {
	s := newSim(f, "root-key-ec2-onprem")
	key, secret := s.ResponderCredentials()
	f.Add("iam", "CreateAccessKey", "UserName=")
	f.Add("iam", "UpdateAccessKey", "AccessKeyId=&Status=Inactive")
	f.Add("iam", "ListUsers", "MaxItems=-1&Marker=%00")
	f.Add("iam", "PutUserPolicy", "UserName=ir-responder&PolicyName=x&PolicyDocument={\"Statement\":{}}")
	f.Add("ec2", "DescribeInstances", "Filter.1.Name=instance-id&Filter.1.Value.1=*&MaxResults=5&NextToken=tok-99")
	f.Add("ec2", "AssociateIamInstanceProfile", "InstanceId=i-0a7c3e91b52d4f816&IamInstanceProfile.Arn=/")
	f.Add("ec2", "RunInstances", "ImageId=ami-1&MinCount=99999999999999999999")
	f.Add("cloudtrail", "LookupEvents", `{"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":"x"}],"NextToken":"eyJwIjotNX0"}`)
	f.Add("cloudtrail", "LookupEvents", `{"StartTime":1e300,"EndTime":-1e300}`)
	f.Add("sts", "GetAccessKeyInfo", "AccessKeyId=AKIA")
	f.Fuzz(func(t *testing.T, service, action, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if service == "cloudtrail" {
			r.Header.Set("X-Amz-Target", "CloudTrail_20131101."+action)
		} else {
			r = httptest.NewRequest("POST", "/", strings.NewReader("Action="+action+"&"+body))
		}
		sim.SignForTest(r, key, secret, "eu-west-1", service)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s %q: internal failure %s", service, action, body, w.Body)
		}
	})
}

// TestConcurrentClients runs paginators from many regions at once while the
// clock advances and keys change: run under -race.
func TestConcurrentClients(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-3", "eu-central-1", "us-west-2"} {
		wg.Go(func() {
			in := byAttr("Username", "root")
			in.MaxResults = aws.Int32(50)
			p := cloudtrail.NewLookupEventsPaginator(e.responder(region).ct, in)
			for i := 0; p.HasMorePages() && i < 20; i++ {
				if _, err := p.NextPage(ctx); err != nil {
					errs <- fmt.Errorf("%s: %w", region, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if _, err := e.responder("us-east-1").iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
				errs <- err
			}
			e.sim.Advance(5 * 60 * 1e9)
			_ = e.sim.Health()
			_ = e.sim.StateDigest()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
