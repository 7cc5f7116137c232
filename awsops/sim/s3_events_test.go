package sim_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3's bucket-level calls are management events, in event history under
// s3.amazonaws.com (a denied one with its error code); its object-level
// calls are data events, which event history never holds.
func TestS3ManagementCallsAreInEventHistory(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.s3Responder()
	must[*s3.ListBucketsOutput](t)(c.ListBuckets(ctx, &s3.ListBucketsInput{}))
	must[*s3.GetBucketLocationOutput](t)(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(trailBucket)}))
	keys := must[*s3.ListObjectsV2Output](t)(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(trailBucket),
		Prefix: aws.String(trailBase), MaxKeys: aws.Int32(1)}))
	if len(keys.Contents) != 1 {
		t.Fatalf("listed %d objects, want 1", len(keys.Contents))
	}
	readLog(t, c, aws.ToString(keys.Contents[0].Key))

	admin := e.responder("us-east-1").iam
	must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no-s3")}))
	key := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("no-s3")})).AccessKey
	_, err := e.s3As(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "AccessDenied")

	type event struct {
		EventSource, EventName, AWSRegion, ErrorCode string
		ReadOnly                                     bool
		RequestParameters                            map[string]string
	}
	s3Events := func(keyID string) (names []string, evs []event, res [][]cttypes.Resource) {
		t.Helper()
		for _, ev := range lookupAll(t, e.responder("us-east-1").ct, byAttr(cttypes.LookupAttributeKeyAccessKeyId, keyID)) {
			if aws.ToString(ev.EventSource) != "s3.amazonaws.com" {
				continue
			}
			var rec event
			if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &rec); err != nil {
				t.Fatal(err)
			}
			names, evs, res = append(names, rec.EventName), append(evs, rec), append(res, ev.Resources)
		}
		return names, evs, res
	}
	id, _ := e.sim.ResponderCredentials()
	names, evs, res := s3Events(id)
	slices.Sort(names)
	if !slices.Equal(names, []string{"GetBucketLocation", "ListBuckets"}) {
		t.Fatalf("S3 events in event history %v, want the two management calls only", names)
	}
	for i, ev := range evs {
		if ev.AWSRegion != "us-east-1" || !ev.ReadOnly || ev.ErrorCode != "" {
			t.Errorf("%s: %+v", ev.EventName, ev)
		}
		if ev.EventName == "GetBucketLocation" && (ev.RequestParameters["bucketName"] != trailBucket ||
			len(res[i]) != 1 || aws.ToString(res[i][0].ResourceName) != trailBucket || aws.ToString(res[i][0].ResourceType) != "AWS::S3::Bucket") {
			t.Errorf("GetBucketLocation names no bucket: %+v, resources %+v", ev, res[i])
		}
	}
	if _, evs, _ := s3Events(aws.ToString(key.AccessKeyId)); len(evs) != 1 || evs[0].EventName != "ListBuckets" || evs[0].ErrorCode != "AccessDenied" {
		t.Errorf("the denied ListBuckets: %+v", evs)
	}
}
