package awsops

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Named apart from other golden flags of the package's tests.
var updateClassifyGolden = flag.Bool("update-classify", false, "rewrite testdata/classify/golden files")

func classifyGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "classify", "golden", name)
	if *updateClassifyGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./awsops -run Export -update-classify)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// exportProposals are one proposal per kind, written out so the golden
// files change only when the export does.
func exportProposals() map[string]runbook.Proposal {
	policy := marshalPolicy(PolicyDocument{Version: PolicyVersion, Statement: []PolicyStatement{
		{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::reports/*"}},
		{Effect: "Allow", Action: []string{"s3:ListAllMyBuckets"}, Resource: []string{"*"}},
	}})
	return map[string]runbook.Proposal{
		"instance-role": {CallerID: "c1a2b3c4d", Kind: runbook.ReplaceInstanceRole, Name: "keyrunbook-i-0aaa1111-role",
			Target: "i-0aaa1111", Region: "us-east-1", Policy: policy, Attempted: []string{"s3:GetBucketAcl"}},
		"lambda-role": {CallerID: "c2b3c4d5e", Kind: runbook.ReplaceLambdaRole, Name: "keyrunbook-orders-sync-role",
			Target: "orders-sync", Region: "eu-west-1", Policy: policy},
		"ecs-task-role": {CallerID: "c3c4d5e6f", Kind: runbook.ReplaceECSTaskRole, Name: "keyrunbook-jobs-worker-role",
			Target: "jobs/worker", Region: "eu-west-1", Policy: policy},
		"iam-user": {CallerID: "c4d5e6f70", Kind: runbook.ReplaceIAMUser, Name: "keyrunbook-203.0.113.10",
			Target: "203.0.113.10", Policy: policy},
		"iam-user-no-policy": {CallerID: "c5e6f7081", Kind: runbook.ReplaceIAMUser, Name: "keyrunbook-203.0.113.11",
			Target: "203.0.113.11"},
	}
}

func TestExportCLIGolden(t *testing.T) {
	for name, p := range exportProposals() {
		t.Run(name, func(t *testing.T) {
			classifyGolden(t, name+".sh", ExportCLI(p, judgetest.Account))
		})
	}
}

func TestExportTerraformGolden(t *testing.T) {
	for name, p := range exportProposals() {
		t.Run(name, func(t *testing.T) {
			classifyGolden(t, name+".tf", ExportTerraform(p, judgetest.Account))
		})
	}
}

// The CLI export passes each policy as one single-quoted argument that a
// shell hands to aws unchanged: the JSON inside must parse and equal the
// proposal's.
func TestExportCLIPolicyArguments(t *testing.T) {
	p := exportProposals()["instance-role"]
	out := ExportCLI(p, judgetest.Account)
	for _, flagName := range []string{"--policy-document '", "--assume-role-policy-document '"} {
		_, rest, ok := strings.Cut(out, flagName)
		if !ok {
			t.Fatalf("no %s argument", flagName)
		}
		arg, _, _ := strings.Cut(rest, "'")
		var doc map[string]any
		if err := json.Unmarshal([]byte(arg), &doc); err != nil {
			t.Errorf("%s is not JSON: %v", flagName, err)
		}
	}
	if strings.Count(out, "\naws ") != 5 {
		t.Errorf("want create-role, put-role-policy, create-instance-profile, add-role-to-instance-profile, associate:\n%s", out)
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

func TestTrustPolicy(t *testing.T) {
	tests := []struct {
		kind    runbook.ReplacementKind
		service string
	}{
		{runbook.ReplaceInstanceRole, "ec2.amazonaws.com"},
		{runbook.ReplaceLambdaRole, "lambda.amazonaws.com"},
		{runbook.ReplaceECSTaskRole, "ecs-tasks.amazonaws.com"},
		{runbook.ReplaceIAMUser, ""},
	}
	for _, tt := range tests {
		doc := TrustPolicy(tt.kind)
		if tt.service == "" {
			if doc != "" {
				t.Errorf("%s: a user has no trust policy, got %s", tt.kind, doc)
			}
			continue
		}
		var p struct {
			Version   string
			Statement []struct {
				Effect    string
				Principal struct{ Service string }
				Action    string
			}
		}
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("%s: %v", tt.kind, err)
		}
		if p.Version != PolicyVersion || len(p.Statement) != 1 || p.Statement[0].Effect != "Allow" ||
			p.Statement[0].Principal.Service != tt.service || p.Statement[0].Action != "sts:AssumeRole" {
			t.Errorf("%s: %s", tt.kind, doc)
		}
	}
}

func TestTerraformHeredocEscapesTemplates(t *testing.T) {
	got := terraformHeredoc(`{"Resource":"arn:aws:s3:::b/${aws:username}/%{x}"}`)
	if !strings.Contains(got, "$${aws:username}") || !strings.Contains(got, "%%{x}") {
		t.Errorf("template sequences not escaped: %s", got)
	}
	if terraformID("keyrunbook-203.0.113.10") != "keyrunbook_203_0_113_10" || terraformID("9x") != "_9x" {
		t.Error("terraformID")
	}
}
