package judge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 14: a caller that acts only through a session the key minted is
// labelled as the caller that minted it, never a workload of its own.
func TestSessionCallersTakeTheirMintersLabel(t *testing.T) {
	const leaked = "AKIAJ7LEAKEDKEY2EXAM"
	mint := func(ip, ua, session string, h float64) TrailRecord {
		r := TrailRecord{EventID: "m-" + session, EventTime: threatBase.Add(time.Duration(h * float64(time.Hour))), EventSource: "sts.amazonaws.com",
			EventName: "GetSessionToken", AWSRegion: "us-east-1", SourceIPAddress: ip, UserAgent: ua,
			UserIdentity:     UserIdentity{Type: "IAMUser", UserName: "svc", AccessKeyID: leaked, AccountID: judgetest.Account},
			ResponseElements: []byte(`{"credentials":{"accessKeyId":"` + session + `"}}`)}
		return r
	}
	use := func(ip, session string, h float64, i int) TrailRecord {
		return TrailRecord{EventID: fmt.Sprintf("u-%s-%d", session, i), EventTime: threatBase.Add(time.Duration(h*float64(time.Hour)) + time.Minute),
			EventSource: "s3.amazonaws.com", EventName: "ListObjects", AWSRegion: "us-east-1", SourceIPAddress: ip, UserAgent: "Boto3/1.34.51",
			UserIdentity: UserIdentity{Type: "IAMUser", UserName: "svc", AccessKeyID: session, AccountID: judgetest.Account}, RequestParameters: []byte(`{"bucketName":"b"}`)}
	}
	backdoor := TrailRecord{EventID: "evil", EventTime: threatBase.Add(49 * time.Hour), EventSource: "iam.amazonaws.com", EventName: "CreateUser",
		AWSRegion: "us-east-1", SourceIPAddress: "198.51.100.66", UserAgent: "aws-cli/2.13.0",
		UserIdentity: UserIdentity{Type: "IAMUser", UserName: "svc", AccessKeyID: leaked, AccountID: judgetest.Account}, RequestParameters: []byte(`{"userName":"x"}`)}
	tests := []struct {
		name  string
		recs  []TrailRecord
		ip    string
		label runbook.Label
		why   string
	}{
		{"the attacker's session from its own address", []TrailRecord{backdoor, mint("198.51.100.66", "aws-cli/2.13.0", "ASIAATTACKER00000001", 49),
			use("198.51.100.66", "ASIAATTACKER00000001", 49, 1)}, "198.51.100.66", runbook.LabelSuspicious, "acts only through temporary credentials that caller"},
		{"a workload's own session", []TrailRecord{mint("20.57.112.9", "aws-cli/2.17.0", "ASIAWORKLOAD00000001", 1),
			use("20.57.112.9", "ASIAWORKLOAD00000001", 1, 1)}, "20.57.112.9", runbook.LabelLegitimate, "acts only through temporary credentials that caller"},
		{"a session minted outside the window", []TrailRecord{use("192.0.2.10", "ASIAUNSEEN0000000001", 5, 1)}, "192.0.2.10", runbook.LabelUnknown, "no caller of the key minted them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAggregator(leaked, classify.Inventory())
			for _, r := range tt.recs {
				a.Add(r)
			}
			callers, _, _ := a.Result()
			for _, c := range callers {
				if c.SourceIP == tt.ip && strings.HasPrefix(c.UserAgent, "Boto3") {
					if c.Label != tt.label || !strings.Contains(c.Why, tt.why) {
						t.Fatalf("label %s, why %q; want %s, %q", c.Label, c.Why, tt.label, tt.why)
					}
					return
				}
			}
			t.Fatal("no session caller")
		})
	}
}
