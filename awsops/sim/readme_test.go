package sim_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's table of served operations")

const (
	opsBegin = "<!-- sim-operations:begin -->\n"
	opsEnd   = "<!-- sim-operations:end -->"
)

// The README lists every operation the sim serves, with its protocols,
// exactly as the operations table holds them.
func TestREADMEListsEveryOperation(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	a, b := strings.Index(readme, opsBegin), strings.Index(readme, opsEnd)
	if a < 0 || b < a {
		t.Fatalf("README.md has no %q … %q block", strings.TrimSpace(opsBegin), opsEnd)
	}
	want := sim.OperationsMarkdown()
	got := readme[a+len(opsBegin) : b]
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme[:a+len(opsBegin)]+want+readme[b:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's table of served operations is out of date; run go test ./awsops/sim -run TestREADME -update-readme.\nwant:\n%s\ngot:\n%s", want, got)
}

// Every served operation has its protocols, and CloudWatch all three of
// its model's.
func TestOperationsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range sim.Operations() {
		if len(op.Protocols) == 0 || op.Name == "" || seen[op.Service+":"+op.Name] {
			t.Errorf("operation %+v: no protocol, no name, or listed twice", op)
		}
		seen[op.Service+":"+op.Name] = true
		if op.Service == "cloudwatch" && strings.Join(op.Protocols, ",") != "rpcv2Cbor,awsJson1_0,awsQuery" {
			t.Errorf("CloudWatch speaks %v", op.Protocols)
		}
	}
	for _, want := range []string{"s3:ListBuckets", "s3:ListObjects", "lambda:GetFunction", "ec2:RunInstances", "iam:GetUser"} {
		if !seen[want] {
			t.Errorf("%s is not in the operations table", want)
		}
	}
}
