package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// ListBuckets lists the trail's bucket and those the workloads' data
// events name; another bucket is NoSuchBucket, a bucket the caller may not
// read AccessDenied, both in S3's XML.
func TestS3BucketsOfTheAccount(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.s3Responder()
	out := must[*s3.ListBucketsOutput](t)(c.ListBuckets(ctx, &s3.ListBucketsInput{}))
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	want := []string{"northwind-billing-templates", trailBucket, "northwind-invoices", "northwind-nas-backup"}
	if !slices.Equal(names, want) || out.Owner == nil || len(aws.ToString(out.Owner.ID)) != 64 {
		t.Fatalf("buckets %v owner %+v; want %v and a canonical owner ID", names, out.Owner, want)
	}
	loc := must[*s3.GetBucketLocationOutput](t)(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("northwind-invoices")}))
	if loc.LocationConstraint != "eu-west-1" {
		t.Errorf("northwind-invoices is in %q, want eu-west-1", loc.LocationConstraint)
	}
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("someone-elses-bucket")})
	wantCode(t, err, "NoSuchBucket")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("someone-elses-bucket"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchBucket")

	admin := e.responder("us-east-1").iam
	must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no-s3")}))
	key := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("no-s3")})).AccessKey
	noS3 := e.s3As(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err = noS3.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "AccessDenied")
	_, err = noS3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("northwind-invoices")})
	wantCode(t, err, "AccessDenied")
}

// Version 1 of ListObjects pages by marker and lists what version 2 does.
func TestS3ListObjectsV1(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.s3Responder()
	day := e.sim.Now().AddDate(0, 0, -2).Truncate(24 * time.Hour)
	prefix := trailBase + "eu-west-1/" + day.Format("2006/01/02") + "/"
	v2, _ := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket), Prefix: aws.String(prefix)})
	var v1 []string
	marker := ""
	for pages := 0; ; pages++ {
		out := must[*s3.ListObjectsOutput](t)(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(trailBucket),
			Prefix: aws.String(prefix), Marker: aws.String(marker), MaxKeys: aws.Int32(50)}))
		for _, o := range out.Contents {
			v1 = append(v1, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if pages > 100 || len(out.Contents) == 0 {
			t.Fatalf("ListObjects does not end: page %d", pages)
		}
		marker = aws.ToString(out.Contents[len(out.Contents)-1].Key)
	}
	if len(v1) < 200 || !slices.Equal(v1, v2) {
		t.Fatalf("ListObjects listed %d keys, ListObjectsV2 %d; want the same, over 200", len(v1), len(v2))
	}
	out := must[*s3.ListObjectsOutput](t)(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(trailBucket),
		Prefix: aws.String(trailBase), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)}))
	if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextMarker) == "" || len(out.CommonPrefixes) != 1 {
		t.Fatalf("with a delimiter: truncated %v, next marker %q, prefixes %d", aws.ToBool(out.IsTruncated), aws.ToString(out.NextMarker), len(out.CommonPrefixes))
	}
}

// CloudWatch answers over the three protocols its model lists, chosen by
// the request: the same alarms, each in its protocol's shape.
func TestCloudWatchOverEveryProtocol(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	id, secret := e.sim.ResponderCredentials()
	cbor := must[*cloudwatch.DescribeAlarmsOutput](t)(e.cloudWatchAs(id, secret, "eu-west-1").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}))
	var cborNames []string
	for _, a := range cbor.MetricAlarms {
		cborNames = append(cborNames, aws.ToString(a.AlarmName))
	}
	send := func(body, target, contentType string) (int, http.Header, string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		sim.SignForTest(r, id, secret, "eu-west-1", "monitoring")
		w := httptest.NewRecorder()
		e.sim.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		return w.Code, w.Header(), string(b)
	}
	status, h, body := send("{}", "GraniteServiceVersion20100801.DescribeAlarms", "application/x-amz-json-1.0")
	var j struct{ MetricAlarms []struct{ AlarmName string } }
	if err := json.Unmarshal([]byte(body), &j); err != nil || status != 200 || h.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("JSON 1.0: %d %s %q (%v)", status, h.Get("Content-Type"), body, err)
	}
	var jsonNames []string
	for _, a := range j.MetricAlarms {
		jsonNames = append(jsonNames, a.AlarmName)
	}
	if !slices.Equal(jsonNames, cborNames) || len(jsonNames) == 0 {
		t.Errorf("JSON 1.0 alarms %v, CBOR alarms %v", jsonNames, cborNames)
	}
	status, _, body = send("Action=DescribeAlarms&Version=2010-08-01", "", "application/x-www-form-urlencoded; charset=utf-8")
	if status != 200 || !strings.Contains(body, `<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult>`) ||
		!strings.Contains(body, "<MetricAlarms><member>") || !strings.Contains(body, "<AlarmName>"+cborNames[0]+"</AlarmName>") {
		t.Errorf("query: %d %.400s", status, body)
	}
	// A query-compatible error carries the query code in JSON too.
	status, h, body = send(`{"StateValue":"MAYBE"}`, "GraniteServiceVersion20100801.DescribeAlarms", "application/x-amz-json-1.0")
	if status != 400 || h.Get("X-Amzn-Query-Error") != "ValidationError;Sender" || !strings.Contains(body, "stateValue") {
		t.Errorf("JSON 1.0 error: %d %q %s", status, h.Get("X-Amzn-Query-Error"), body)
	}
	status, _, body = send("Action=DescribeAlarms&Version=2010-08-01&StateValue=MAYBE", "", "application/x-www-form-urlencoded")
	if status != 400 || !strings.Contains(body, `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>ValidationError</Code>`) {
		t.Errorf("query error: %d %s", status, body)
	}
}

// A presigned URL is checked as a signed request is: the right secret
// reads the object, a wrong one is SignatureDoesNotMatch.
func TestS3PresignedURL(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	id, secret := e.sim.ResponderCredentials()
	page := must[*s3.ListObjectsV2Output](t)(e.s3Responder().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket),
		Prefix: aws.String(trailBase + "eu-west-1/"), MaxKeys: aws.Int32(1)}))
	if len(page.Contents) == 0 {
		t.Fatal("no log file to presign")
	}
	key := aws.ToString(page.Contents[0].Key)
	for _, tt := range []struct {
		name, secret string
		status       int
	}{{"right secret", secret, 200}, {"wrong secret", "x" + secret[1:], 403}} {
		t.Run(tt.name, func(t *testing.T) {
			p := s3.NewPresignClient(e.s3As(id, tt.secret))
			req := must[*v4req](t)(p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(trailBucket), Key: aws.String(key)}))
			resp, err := http.Get(req.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || tt.status == 403 && !strings.Contains(string(body), "<Code>SignatureDoesNotMatch</Code>") {
				t.Fatalf("GET presigned URL: %d %.300s; want %d", resp.StatusCode, body, tt.status)
			}
		})
	}
}

type v4req = v4.PresignedHTTPRequest
