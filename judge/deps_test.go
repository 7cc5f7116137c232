package judge

import (
	"os/exec"
	"strings"
	"testing"
)

// The judgement must stay free of the AWS SDK (DESIGN.md): whatever reads
// AWS lives in awsops and hands judge plain records. Its tests and their
// fixtures (judgetest, which awsops's tests import too) stay free of it as
// well.
func TestJudgeImportsNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", ".", "./judgetest").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "aws-sdk-go") || strings.Contains(dep, "smithy-go") || strings.Contains(dep, "/awsops") {
			t.Errorf("judge depends on %s", dep)
		}
	}
}

// judgetest is test fixture code: a program that imported it would carry
// the fixtures' trail log and inventory.
func TestJudgetestOnlyInTests(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "../...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		if strings.Contains(" "+imports+" ", "/judge/judgetest ") {
			t.Errorf("%s imports judge/judgetest outside its tests", pkg)
		}
	}
}
