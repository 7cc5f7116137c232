package awsops

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestProposeFromTrail(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	props := Propose(runbook.Investigation{Callers: res.Callers}, judgetest.Account)
	byCaller := map[string]runbook.Proposal{}
	for _, p := range props {
		byCaller[p.CallerID] = p
	}
	tests := []struct {
		name, ip, ua string
		kind         runbook.ReplacementKind
		proposal     string // name
		target       string
		region       string
		warn         string
	}{
		{"on-premises job gets a user", "203.0.113.10", "Boto3", runbook.ReplaceIAMUser, "keyrunbook-203.0.113.10", "203.0.113.10", "", "IAM Roles Anywhere"},
		{"instance gets an instance role", "54.10.20.30", "Boto3", runbook.ReplaceInstanceRole, "keyrunbook-i-0aaa1111-role", "i-0aaa1111", "us-east-1", "Shares keyrunbook-i-0aaa1111-role with caller"},
		{"second tool on the instance shares it", "54.10.20.30", "aws-cli", runbook.ReplaceInstanceRole, "keyrunbook-i-0aaa1111-role", "i-0aaa1111", "us-east-1", "Shares"},
		{"VPC endpoint caller on the instance shares it", "10.0.1.15", "go-v2", runbook.ReplaceInstanceRole, "keyrunbook-i-0aaa1111-role", "i-0aaa1111", "us-east-1", "Shares"},
		{"behind a NAT gateway: target unknown", "3.3.3.3", "go-v2", runbook.ReplaceInstanceRole, "", "", "eu-west-1", "set the target instance"},
		{"lambda gets an execution role with its logs", "3.80.1.2", "Lambda", runbook.ReplaceLambdaRole, "keyrunbook-orders-sync-role", "orders-sync", "us-east-1", "/aws/lambda/orders-sync"},
		{"ecs gets a task role", "3.90.5.6", "ECS", runbook.ReplaceECSTaskRole, "", "", "", "taskRoleArn"},
	}
	if len(props) != len(tests) {
		t.Errorf("got %d proposals, want %d (suspicious, unknown and AWS-service callers get none)", len(props), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := judgetest.CallerAt(t, res, tt.ip, tt.ua)
			p, ok := byCaller[c.ID]
			if !ok {
				t.Fatalf("no proposal for %s", c.ID)
			}
			want := tt.proposal
			if want == "" { // callers without a known target are named after their ID
				want = map[runbook.ReplacementKind]string{runbook.ReplaceInstanceRole: "keyrunbook-ec2-", runbook.ReplaceECSTaskRole: "keyrunbook-ecs-"}[tt.kind] + c.ID + "-role"
			}
			if p.Kind != tt.kind || p.Name != want || p.Target != tt.target || p.Region != tt.region {
				t.Errorf("got %s %s %q %q, want %s %s %q %q", p.Kind, p.Name, p.Target, p.Region, tt.kind, want, tt.target, tt.region)
			}
			if !strings.Contains(strings.Join(p.Warnings, "\n"), tt.warn) {
				t.Errorf("no warning says %q: %q", tt.warn, p.Warnings)
			}
			if p.Decision != runbook.DecisionUndecided || p.Applied {
				t.Errorf("a new proposal is undecided and unapplied: %+v", p)
			}
			if p.Policy != "" {
				checkPolicyDocument(t, p.Policy)
			}
		})
	}
	// One instance holds one instance profile: the three callers on it get
	// one policy covering all their calls.
	shared := byCaller[judgetest.CallerAt(t, res, "54.10.20.30", "aws-cli").ID].Policy
	for _, other := range []runbook.UsageCaller{judgetest.CallerAt(t, res, "54.10.20.30", "Boto3"), judgetest.CallerAt(t, res, "10.0.1.15", "go-v2")} {
		if byCaller[other.ID].Policy != shared {
			t.Errorf("caller %s on the same instance got a different policy", other.ID)
		}
	}
	for _, part := range []string{"logs:CreateLogStream", "s3:PutObject", "s3:ListBucket"} {
		if !strings.Contains(shared, part) {
			t.Errorf("shared policy lacks %s", part)
		}
	}
}

func TestProposeOnlyCallersThatNeedIt(t *testing.T) {
	callers := []runbook.UsageCaller{
		{ID: "c1", Kind: runbook.CallerOffAWS, Label: runbook.LabelAttacker, SourceIP: "198.51.100.1"},
		{ID: "c2", Kind: runbook.CallerOffAWS, Label: runbook.LabelSuspicious, SourceIP: "198.51.100.2"},
		{ID: "c3", Kind: runbook.CallerOffAWS, Label: runbook.LabelUnknown, SourceIP: "198.51.100.3"},
		{ID: "c4", Kind: runbook.CallerAWSService, Label: runbook.LabelLegitimate, SourceIP: "AWS Internal"},
		{ID: "c5", Kind: runbook.CallerCloudShell, Label: runbook.LabelLegitimate, SourceIP: "44.1.1.1"},
	}
	props := Propose(runbook.Investigation{Callers: callers}, judgetest.Account)
	if len(props) != 1 || props[0].CallerID != "c5" || props[0].Kind != runbook.ReplaceIAMUser {
		t.Fatalf("got %+v, want one user proposal for the relabelled CloudShell caller", props)
	}
	if !strings.Contains(strings.Join(props[0].Warnings, " "), "CloudShell already runs with the console user's own credentials") {
		t.Errorf("warnings %q", props[0].Warnings)
	}
}

func TestProposeWarnsWhenThePolicyIsTooLarge(t *testing.T) {
	// 40 buckets of 60-odd characters: past the 2048 characters IAM allows
	// for a user's inline policies, well within a role's 10240.
	var buckets []string
	for i := range 40 {
		buckets = append(buckets, fmt.Sprintf("arn:aws:s3:::a-rather-long-bucket-name-for-the-quota-test-%02d", i))
	}
	uses := []runbook.ActionUse{{Source: "s3.amazonaws.com", Name: "GetBucketLocation", Count: 1, Resources: buckets}}
	tests := []struct {
		kind runbook.CallerKind
		warn bool
	}{
		{runbook.CallerOffAWS, true},
		{runbook.CallerEC2, false},
	}
	for _, tt := range tests {
		caller := runbook.UsageCaller{ID: "c1", Kind: tt.kind, Label: runbook.LabelLegitimate, SourceIP: "203.0.113.1", Resource: "i-1", Actions: uses}
		p := Propose(runbook.Investigation{Callers: []runbook.UsageCaller{caller}}, judgetest.Account)[0]
		if got := strings.Contains(strings.Join(p.Warnings, " "), "IAM allows"); got != tt.warn {
			t.Errorf("%s: size warning %v for a %d-character policy, want %v", tt.kind, got, compactPolicySize(p.Policy), tt.warn)
		}
	}
}

func TestReplacementName(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	tests := []struct {
		kind           runbook.ReplacementKind
		target, caller string
		want           string
	}{
		{runbook.ReplaceInstanceRole, "i-0abc", "c1", "keyrunbook-i-0abc-role"},
		{runbook.ReplaceLambdaRole, "orders", "c1", "keyrunbook-orders-role"},
		{runbook.ReplaceLambdaRole, "", "c1", "keyrunbook-lambda-c1-role"},
		{runbook.ReplaceECSTaskRole, "cluster/service", "c1", "keyrunbook-cluster-service-role"},
		{runbook.ReplaceIAMUser, "203.0.113.7", "c1", "keyrunbook-203.0.113.7"},
		{runbook.ReplaceIAMUser, "2001:db8::1", "c1", "keyrunbook-2001-db8--1"},
		{runbook.ReplaceLambdaRole, strings.Repeat("f", 64), "c1", ""}, // cut with a hash, keeps the suffix
	}
	for _, tt := range tests {
		got := replacementName(tt.kind, tt.target, tt.caller)
		if !valid.MatchString(got) {
			t.Errorf("%q is not a valid IAM name", got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("replacementName(%s, %q) = %q, want %q", tt.kind, tt.target, got, tt.want)
		}
		if tt.want == "" && (len(got) != 64 || !strings.HasSuffix(got, "-role")) {
			t.Errorf("long name %q: want 64 characters ending in -role", got)
		}
	}
	a := replacementName(runbook.ReplaceLambdaRole, strings.Repeat("f", 70)+"a", "c1")
	b := replacementName(runbook.ReplaceLambdaRole, strings.Repeat("f", 70)+"b", "c1")
	if a == b {
		t.Errorf("two long targets share the name %q", a)
	}
}
