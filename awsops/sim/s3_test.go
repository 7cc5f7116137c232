package sim_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	trailBucket = "northwind-cloudtrail-418295730164"
	trailBase   = "AWSLogs/418295730164/CloudTrail/"
)

// s3As is an S3 client of the sim, path-style as an endpoint override needs.
func (e *env) s3As(keyID, secret string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(e.url), UsePathStyle: true, Retryer: fastRetryer()})
}

func (e *env) s3Responder() *s3.Client {
	id, secret := e.sim.ResponderCredentials()
	return e.s3As(id, secret)
}

func listAll(t *testing.T, c *s3.Client, in *s3.ListObjectsV2Input) (keys, prefixes []string) {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		out := must[*s3.ListObjectsV2Output](t)(p.NextPage(ctx))
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	return keys, prefixes
}

// record is the part of a trail record these tests read.
type record struct {
	EventID       string `json:"eventID"`
	EventTime     string `json:"eventTime"`
	EventName     string `json:"eventName"`
	AWSRegion     string `json:"awsRegion"`
	SourceIP      string `json:"sourceIPAddress"`
	EventCategory string `json:"eventCategory"`
	UserIdentity  struct {
		AccessKeyID string `json:"accessKeyId"`
	} `json:"userIdentity"`
}

func readLog(t *testing.T, c *s3.Client, key string) []record {
	t.Helper()
	out := must[*s3.GetObjectOutput](t)(c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(trailBucket), Key: aws.String(key)}))
	defer out.Body.Close()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		t.Fatalf("%s is not gzip'd: %v", key, err)
	}
	data, _ := io.ReadAll(zr)
	var f struct{ Records []record }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return f.Records
}

// dayRecords reads every log file of a region's day.
func dayRecords(t *testing.T, c *s3.Client, region string, day time.Time) []record {
	t.Helper()
	keys, _ := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket),
		Prefix: aws.String(trailBase + region + "/" + day.Format("2006/01/02") + "/")})
	var out []record
	for _, k := range keys {
		out = append(out, readLog(t, c, k)...)
	}
	return out
}

func TestTrailBucketLayout(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.s3Responder()
	loc := must[*s3.GetBucketLocationOutput](t)(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(trailBucket)}))
	if loc.LocationConstraint != "" {
		t.Errorf("location = %q, want us-east-1's empty constraint", loc.LocationConstraint)
	}
	_, regions := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket), Prefix: aws.String(trailBase), Delimiter: aws.String("/")})
	for _, want := range []string{trailBase + "eu-west-1/", trailBase + "us-east-1/"} {
		if !slices.Contains(regions, want) {
			t.Errorf("regions %v lack %s", regions, want)
		}
	}
	day := e.sim.Now().AddDate(0, 0, -2).Truncate(24 * time.Hour)
	in := &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket), Prefix: aws.String(trailBase + "eu-west-1/" + day.Format("2006/01/02") + "/")}
	all, _ := listAll(t, c, in)
	in.MaxKeys = aws.Int32(7)
	paged, _ := listAll(t, c, in)
	if len(all) < 200 || !slices.Equal(all, paged) {
		t.Fatalf("a busy day has %d files; paged %d", len(all), len(paged))
	}
	for _, k := range all {
		if !strings.HasPrefix(k, *in.Prefix+"418295730164_CloudTrail_eu-west-1_"+day.Format("20060102")) ||
			!strings.HasSuffix(k, ".json.gz") {
			t.Fatalf("key %s is not in CloudTrail's layout", k)
		}
	}
	recs := readLog(t, c, all[0])
	if len(recs) == 0 || recs[0].AWSRegion != "eu-west-1" {
		t.Fatalf("first file: %+v", recs)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(trailBucket), Key: aws.String(strings.Replace(all[0], "_CloudTrail_", "_CloudTrail-Digest_", 1))})
	wantCode(t, err, "NoSuchKey")
	// Files whose five minutes have not passed are not delivered yet.
	future := trailBase + "eu-west-1/" + e.sim.Now().Format("2006/01/02") + "/"
	keys, _ := listAll(t, c, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket), Prefix: aws.String(future)})
	for _, k := range keys {
		if strings.Contains(k, e.sim.Now().Add(5*time.Minute).Format("T1504Z")) {
			t.Fatalf("%s is delivered before its time", k)
		}
	}
}

func TestDataEventsOnlyInTrailFiles(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.s3Responder()
	leaked := e.sim.LeakedKeyID()
	exfil := e.sim.Now().Add(-6*24*time.Hour - 3*time.Hour - 40*time.Minute)
	var reads, management int
	for _, r := range dayRecords(t, c, "eu-west-1", exfil.Truncate(24*time.Hour)) {
		switch {
		case r.EventName == "GetObject" && r.SourceIP == "198.51.100.23":
			if r.EventCategory != "Data" || r.UserIdentity.AccessKeyID != leaked {
				t.Fatalf("the intruder's read: %+v", r)
			}
			reads++
		case r.EventCategory == "Management":
			management++
		}
	}
	if reads != 25 || management == 0 {
		t.Fatalf("%d intruder reads (want 25), %d management events in the files", reads, management)
	}
	ct := e.responder("eu-west-1").ct
	out := must[*cloudtrail.LookupEventsOutput](t)(ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("GetObject")}}}))
	if len(out.Events) != 0 {
		t.Fatalf("event history shows %d GetObject data events", len(out.Events))
	}
}

func TestDataEventsStopWhenTheKeyStops(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	root := e.keyAs(t, "leaked", "us-east-1")
	leaked := e.sim.LeakedKeyID()
	e.sim.Advance(30 * time.Minute)
	stopped := e.sim.Now()
	must[*iam.UpdateAccessKeyOutput](t)(root.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(leaked), Status: "Inactive"}))
	e.sim.Advance(2 * time.Hour)
	var before, after int
	for _, r := range dayRecords(t, e.s3Responder(), "eu-west-1", stopped.Truncate(24*time.Hour)) {
		if r.EventCategory != "Data" || r.UserIdentity.AccessKeyID != leaked {
			continue
		}
		at, _ := time.Parse(time.RFC3339, r.EventTime)
		if at.Before(stopped) {
			before++
		} else {
			after++
		}
	}
	if before == 0 || after != 0 {
		t.Fatalf("data events of the key: %d before it stopped, %d after (want some, then none)", before, after)
	}
}

func TestTrailBucketNeedsS3Permissions(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no-s3")}))
	key := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("no-s3")})).AccessKey
	_, err := e.s3As(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).ListObjectsV2(ctx,
		&s3.ListObjectsV2Input{Bucket: aws.String(trailBucket), Prefix: aws.String(trailBase)})
	wantCode(t, err, "AccessDenied")
	_, err = e.s3As("AKIAUNKNOWNUNKNOWN22", "x").ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket)})
	wantCode(t, err, "InvalidAccessKeyId")
}
