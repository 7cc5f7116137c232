package awsops

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// use is one ActionUse for the policy tables: n calls, errs of them failed.
func policyUse(source, name string, n, errs int, resources ...string) runbook.ActionUse {
	return runbook.ActionUse{Source: source, Name: name, Count: n, Errors: errs, Resources: resources}
}

// checkPolicyDocument fails unless doc is a valid IAM policy as keyrunbook
// writes it: version 2012-10-17, Allow statements, each with sorted unique
// actions and at least one resource, no action in two statements.
func checkPolicyDocument(t *testing.T, doc string) PolicyDocument {
	t.Helper()
	var p PolicyDocument
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("not a policy document: %v\n%s", err, doc)
	}
	if p.Version != "2012-10-17" || len(p.Statement) == 0 {
		t.Fatalf("version %q with %d statements", p.Version, len(p.Statement))
	}
	seen := map[string]bool{}
	for _, st := range p.Statement {
		if st.Effect != "Allow" || len(st.Resource) == 0 || len(st.Action) == 0 {
			t.Errorf("statement %+v", st)
		}
		if !slices.IsSorted(st.Action) || len(slices.Compact(slices.Clone(st.Action))) != len(st.Action) {
			t.Errorf("actions not sorted and unique: %v", st.Action)
		}
		for _, a := range st.Action {
			if seen[a] && a != "iam:PassRole" {
				t.Errorf("%s in two statements", a)
			}
			seen[a] = true
		}
	}
	return p
}

// statements renders a document as "actions -> resources [condition]" lines.
func policyStatements(p PolicyDocument) []string {
	var out []string
	for _, st := range p.Statement {
		line := strings.Join(st.Action, ",") + " -> " + strings.Join(st.Resource, ",")
		if v := st.Condition["StringEquals"]["iam:PassedToService"]; v != "" {
			line += " if " + v
		}
		out = append(out, line)
	}
	return out
}

func TestBuildPolicy(t *testing.T) {
	const fn = "arn:aws:lambda:eu-west-1:111122223333:function:f"
	tests := []struct {
		name      string
		uses      []runbook.ActionUse
		want      []string // statements, in order
		attempted []string
		warns     []string // phrases some warning must hold
	}{
		{"CloudWatch's API host is monitoring", []runbook.ActionUse{policyUse("monitoring.amazonaws.com", "PutMetricData", 3, 0)},
			[]string{"cloudwatch:PutMetricData -> *"}, nil, []string{`Resource "*" for cloudwatch:PutMetricData`}},
		{"Lambda's versioned names, narrowed to the function, PassRole for its role",
			[]runbook.ActionUse{policyUse("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", 1, 0, fn, "arn:aws:iam::111122223333:role/exec"),
				policyUse("lambda.amazonaws.com", "GetFunction20150331v2", 4, 0, fn)},
			[]string{"lambda:GetFunction,lambda:UpdateFunctionConfiguration -> " + fn,
				"iam:PassRole -> arn:aws:iam::111122223333:role/exec if lambda.amazonaws.com"}, nil, nil},
		{"ListBuckets needs s3:ListAllMyBuckets", []runbook.ActionUse{policyUse("s3.amazonaws.com", "ListBuckets", 1, 0, "*")},
			[]string{"s3:ListAllMyBuckets -> *"}, nil, nil},
		{"GetCallerIdentity needs no permission", []runbook.ActionUse{policyUse("sts.amazonaws.com", "GetCallerIdentity", 9, 0, "*"),
			policyUse("s3.amazonaws.com", "GetBucketLocation", 1, 0, "arn:aws:s3:::b")},
			[]string{"s3:GetBucketLocation -> arn:aws:s3:::b"}, nil, nil},
		{"calls that always failed are attempted, not granted",
			[]runbook.ActionUse{policyUse("iam.amazonaws.com", "CreateUser", 2, 2), policyUse("s3.amazonaws.com", "GetBucketAcl", 1, 1),
				policyUse("s3.amazonaws.com", "GetBucketLocation", 1, 0, "arn:aws:s3:::b")},
			[]string{"s3:GetBucketLocation -> arn:aws:s3:::b"}, []string{"iam:CreateUser", "s3:GetBucketAcl"}, nil},
		{"a call that failed once but worked is granted",
			[]runbook.ActionUse{policyUse("s3.amazonaws.com", "GetBucketLocation", 5, 2, "arn:aws:s3:::b")},
			[]string{"s3:GetBucketLocation -> arn:aws:s3:::b"}, nil, nil},
		{"three event names, one action, one statement",
			[]runbook.ActionUse{policyUse("s3.amazonaws.com", "ListObjects", 1, 0, "arn:aws:s3:::b"), policyUse("s3.amazonaws.com", "ListObjectsV2", 1, 0, "arn:aws:s3:::b"),
				policyUse("s3.amazonaws.com", "HeadBucket", 1, 0, "arn:aws:s3:::c")},
			[]string{"s3:ListBucket -> arn:aws:s3:::b,arn:aws:s3:::c"}, nil, nil},
		{"a resource-less call of an action widens it to *",
			[]runbook.ActionUse{policyUse("dynamodb.amazonaws.com", "DescribeTable", 1, 0, "arn:aws:dynamodb:eu-west-1:1:table/t", "*")},
			[]string{"dynamodb:DescribeTable -> *"}, nil, nil},
		{"copy needs read and write, objects widened to buckets",
			[]runbook.ActionUse{policyUse("s3.amazonaws.com", "CopyObject", 1, 0, "arn:aws:s3:::dst/*", "arn:aws:s3:::src/*")},
			[]string{"s3:GetObject,s3:PutObject -> arn:aws:s3:::dst/*,arn:aws:s3:::src/*"}, nil, []string{"whole buckets (bucket/*)"}},
		{"instance profile: PassRole to EC2 on any role, said plainly",
			[]runbook.ActionUse{policyUse("ec2.amazonaws.com", "RunInstances", 1, 0, "*", "arn:aws:iam::111122223333:instance-profile/web")},
			[]string{"iam:PassRole -> arn:aws:iam::111122223333:role/* if ec2.amazonaws.com", "ec2:RunInstances -> *"}, nil,
			[]string{"instance profile arn:aws:iam::111122223333:instance-profile/web, not the role inside it"}},
		{"task definition passes two roles to ECS tasks",
			[]runbook.ActionUse{policyUse("ecs.amazonaws.com", "RegisterTaskDefinition", 1, 0, "*", "arn:aws:iam::1:role/b", "arn:aws:iam::1:role/a")},
			[]string{"iam:PassRole -> arn:aws:iam::1:role/a,arn:aws:iam::1:role/b if ecs-tasks.amazonaws.com", "ecs:RegisterTaskDefinition -> *"}, nil, nil},
		{"SES v1's host is email", []runbook.ActionUse{policyUse("email.amazonaws.com", "SendEmail", 1, 0)},
			[]string{"ses:SendEmail -> *"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := BuildPolicy(runbook.UsageCaller{ID: "c1", Actions: tt.uses})
			p := checkPolicyDocument(t, res.Document)
			if got := policyStatements(p); !slices.Equal(got, tt.want) {
				t.Errorf("statements:\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(res.Attempted, tt.attempted) {
				t.Errorf("attempted %v, want %v", res.Attempted, tt.attempted)
			}
			all := strings.Join(res.Warnings, "\n")
			for _, w := range append(tt.warns, "management events only") {
				if !strings.Contains(all, w) {
					t.Errorf("no warning says %q:\n%s", w, all)
				}
			}
			// The same document whatever order the actions come in.
			rev := slices.Clone(tt.uses)
			slices.Reverse(rev)
			if again := BuildPolicy(runbook.UsageCaller{Actions: rev}); again.Document != res.Document {
				t.Errorf("document depends on action order")
			}
		})
	}
}

func TestBuildPolicyNothingToGrant(t *testing.T) {
	res := BuildPolicy(runbook.UsageCaller{Actions: []runbook.ActionUse{
		policyUse("sts.amazonaws.com", "GetCallerIdentity", 3, 0, "*"),
		policyUse("iam.amazonaws.com", "ListUsers", 1, 1),
	}})
	if res.Document != "" || len(res.Actions) != 0 {
		t.Errorf("document %q actions %v, want none", res.Document, res.Actions)
	}
	if !slices.Equal(res.Attempted, []string{"iam:ListUsers"}) || !strings.Contains(strings.Join(res.Warnings, " "), "no policy to attach") {
		t.Errorf("attempted %v warnings %v", res.Attempted, res.Warnings)
	}
}

// The policy of the fixture's instance caller, end to end from the trail.
func TestBuildPolicyFromTrail(t *testing.T) {
	res := classify.Fold(classify.Records(t, "mixed.json"), classify.Inventory())
	c := judgetest.CallerAt(t, res, "54.10.20.30", "Boto3")
	pol := BuildPolicy(c)
	p := checkPolicyDocument(t, pol.Document)
	want := []string{
		"ec2:StopInstances -> arn:aws:ec2:us-east-1:111122223333:instance/i-0ccc3333",
		"s3:GetBucketLocation -> arn:aws:s3:::reports-111122223333",
		"s3:PutObject -> arn:aws:s3:::reports-111122223333/*",
		"cloudwatch:PutMetricData,ec2:DescribeInstances,s3:ListAllMyBuckets -> *",
	}
	if got := policyStatements(p); !slices.Equal(got, want) {
		t.Errorf("statements:\n got %q\nwant %q", got, want)
	}
	if !slices.Equal(pol.Attempted, []string{"s3:GetBucketAcl"}) {
		t.Errorf("attempted %v", pol.Attempted)
	}
	if slices.Contains(pol.Actions, "sts:GetCallerIdentity") || !slices.IsSorted(pol.Actions) {
		t.Errorf("actions %v", pol.Actions)
	}
}
