package judge

import (
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestExposureTime(t *testing.T) {
	const ci, attacker, runner2 = "20.57.112.9", "198.51.100.77", "20.57.112.50"
	ciUA := "aws-cli/2.17.0 exec-env/github-actions"
	exposed := threatBase.Add(48 * time.Hour)
	deploy := func(ip string, hours float64) threatCall {
		return threatCall{ip: ip, ua: ciUA, src: "lambda.amazonaws.com", name: "GetFunction20150331v2", hours: hours, region: "us-west-2"}
	}
	read := threatCall{ip: attacker, ua: "Boto3/1.34.51", src: "secretsmanager.amazonaws.com", name: "GetSecretValue", hours: 60,
		region: "us-west-2", req: `{"secretId":"reporting/warehouse"}`}
	tests := []struct {
		name      string
		exposed   time.Time
		calls     []threatCall
		ip        string
		label     runbook.Label
		undecided bool
		why       string
	}{
		{"a new address and tool after the exposure is unknown", exposed, []threatCall{deploy(ci, 1), read}, attacker, runbook.LabelUnknown, true, "never used before"},
		{"without an exposure time it is judged as before", time.Time{}, []threatCall{deploy(ci, 1), read}, attacker, runbook.LabelLegitimate, false, "not this account's"},
		{"a caller long at work before it is the likely workload", exposed, []threatCall{deploy(ci, 1), read}, ci, runbook.LabelLegitimate, false, "the likely workload"},
		{"a runner's new address with the CI's user agent stays legitimate", exposed, []threatCall{deploy(ci, 1), deploy(runner2, 50)}, runner2, runbook.LabelLegitimate, false, "user agent of a caller from before"},
		{"this account's instance is not judged by time", exposed, []threatCall{{ip: threatOnInstance, src: "s3.amazonaws.com", name: "GetObject", hours: 70, req: `{"bucketName":"b"}`}},
			threatOnInstance, runbook.LabelLegitimate, false, "EC2 instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := foldExposed(tt.calls, tt.exposed)
			for _, c := range res.Callers {
				if c.SourceIP != tt.ip {
					continue
				}
				if c.Label != tt.label || (c.Undecided != "") != tt.undecided || !strings.Contains(c.Why, tt.why) {
					t.Fatalf("label %s, undecided %q, why %q; want %s, undecided %v, %q", c.Label, c.Undecided, c.Why, tt.label, tt.undecided, tt.why)
				}
				return
			}
			t.Fatalf("no caller %s", tt.ip)
		})
	}
}

// An unknown caller's secret read keeps its follow-up: rotate the secret.
func TestUnknownCallerKeepsItsFollowUp(t *testing.T) {
	res := foldExposed([]threatCall{
		{ip: "20.57.112.9", src: "lambda.amazonaws.com", name: "GetFunction20150331v2", region: "us-west-2"},
		{ip: "198.51.100.77", ua: "Boto3/1.34.51", src: "secretsmanager.amazonaws.com", name: "GetSecretValue", hours: 60, region: "us-west-2", req: `{"secretId":"reporting/warehouse"}`},
	}, threatBase.Add(48*time.Hour))
	inv := runbook.Investigation{Callers: res.Callers, Indicators: res.Indicators}
	f := inv.FollowUps()
	if len(f) != 1 || f[0].Kind != FollowUpRotate || len(f[0].Targets) != 1 || f[0].Targets[0] != "reporting/warehouse" {
		t.Fatalf("follow-ups %+v, want rotate reporting/warehouse", f)
	}
}

func foldExposed(calls []threatCall, exposed time.Time) judgetest.Result {
	a := NewAggregator("AKIAJ7LEAKEDKEY2EXAM", classify.Inventory())
	a.SetExposedAt(exposed)
	for _, r := range threatRecords(calls) {
		a.Add(r)
	}
	c, i, b := a.Result()
	return judgetest.Result{Callers: c, Indicators: i, Blast: b}
}
