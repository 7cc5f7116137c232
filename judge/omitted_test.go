package judge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
)

// Issue 14: a record whose response CloudTrail omitted for size still
// puts what it made in the blast radius, from the event's resources, and
// the notes say what could not be seen.
func TestOmittedFieldsFallBackToResources(t *testing.T) {
	at := threatBase.Add(72 * time.Hour)
	rec := func(source, name string, req, resp string, res ...TrailResource) TrailRecord {
		r := TrailRecord{EventID: "o-" + name, EventTime: at, EventSource: source, EventName: name, AWSRegion: "ap-southeast-2",
			SourceIPAddress: "198.51.100.9", UserAgent: "python-requests/2.31",
			UserIdentity:      UserIdentity{Type: "IAMUser", UserName: "svc", AccessKeyID: "AKIAJ7LEAKEDKEY2EXAM", AccountID: judgetest.Account},
			RequestParameters: json.RawMessage(req), ResponseElements: json.RawMessage(resp), Resources: res}
		return r
	}
	a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
	a.Add(rec("ec2.amazonaws.com", "RunInstances", `{"instanceType":"p3.16xlarge"}`, `{"omitted":true}`,
		TrailResource{Type: "AWS::EC2::Instance", ARN: "i-0aaa"}, TrailResource{Type: "AWS::EC2::Instance", ARN: "arn:aws:ec2:ap-southeast-2:111122223333:instance/i-0bbb"}))
	a.Add(rec("iam.amazonaws.com", "CreateAccessKey", `{"userName":"backdoor"}`, `{"omitted":true}`,
		TrailResource{Type: "AWS::IAM::AccessKey", ARN: "AKIABACKDOOR00000001"}))
	a.Add(rec("sts.amazonaws.com", "GetSessionToken", `{"omitted":true}`, `{"omitted":true}`,
		TrailResource{Type: "AWS::IAM::AccessKey", ARN: "ASIATEMPORARY0000001"}))
	_, _, blast := a.Result()
	var got []string
	for _, r := range blast {
		got = append(got, r.Type+" "+r.ID+" "+r.Parent)
	}
	want := []string{"access-key AKIABACKDOOR00000001 backdoor", "ec2-instance i-0aaa ", "ec2-instance i-0bbb ", "temporary-credentials ASIATEMPORARY0000001 "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("blast radius\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := a.Minted(); len(m) != 1 || m[0].KeyID != "ASIATEMPORARY0000001" {
		t.Errorf("minted %+v, want the key named by the resources", m)
	}
	notes := strings.Join(a.Notes(), " ")
	for _, w := range []string{"CloudTrail omitted the parameters or response of 3 event(s)", "CreateAccessKey, GetSessionToken, RunInstances", "4 resource(s)", "could not be seen"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q lack %q", notes, w)
		}
	}
}
