package judge

import (
	"os/exec"
	"strings"
	"testing"
)

// The judgement must stay free of the AWS SDK (DESIGN.md): whatever reads
// AWS lives in awsops and hands judge plain records.
func TestJudgeImportsNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "aws-sdk-go") || strings.Contains(dep, "smithy-go") || strings.Contains(dep, "/awsops") {
			t.Errorf("judge depends on %s", dep)
		}
	}
}
