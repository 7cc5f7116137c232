package sim_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI runs the stock AWS CLI against the sim for the calls this
// simulator once got wrong: CloudWatch over the CLI's JSON 1.0, a dry-run
// RunInstances, a wrong secret, an IAM name outside IAM's pattern, S3's
// ListBuckets. TestBotocoreConformance covers every operation through the
// CLI's library; this one proves the binary itself agrees.
func TestAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not installed: apt-get install awscli (or pip install awscli) to run this test")
	}
	e := start(t, "root-key-ec2-onprem")
	id, secret := e.sim.ResponderCredentials()
	home := t.TempDir()
	run := func(secretKey string, args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", e.url, "--output", "json"}, args...)...)
		// The CLI reads nothing of the machine's own AWS configuration.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_DEFAULT_REGION=eu-west-1",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1"}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	before := instanceCount(t, e.responder("eu-west-1"))
	tests := []struct {
		name   string
		secret string
		args   []string
		ok     bool
		want   string // in stdout when ok, in stderr otherwise
	}{
		{"cloudwatch over JSON 1.0", secret, []string{"cloudwatch", "describe-alarms"}, true, `"AlarmName": "billing-worker-errors"`},
		{"dry-run run-instances", secret, []string{"ec2", "run-instances", "--dry-run", "--image-id", "ami-0abcdef1234567890", "--count", "1"}, false, "(DryRunOperation)"},
		{"wrong secret", "x" + secret[1:], []string{"iam", "list-users"}, false, "(SignatureDoesNotMatch)"},
		{"IAM name outside the pattern", secret, []string{"iam", "get-user", "--user-name", "bad name!!"}, false, "(ValidationError)"},
		{"s3 list-buckets", secret, []string{"s3api", "list-buckets"}, true, `"Name": "northwind-cloudtrail-418295730164"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(tt.secret, tt.args...)
			switch {
			case tt.ok && (err != nil || !strings.Contains(stdout, tt.want)):
				t.Fatalf("aws %s: %v\nstdout: %.500s\nstderr: %.500s\nwant stdout to contain %s", strings.Join(tt.args, " "), err, stdout, stderr, tt.want)
			case !tt.ok && (err == nil || !strings.Contains(stderr, tt.want)):
				t.Fatalf("aws %s: %v\nstderr: %.500s\nwant a failure saying %s", strings.Join(tt.args, " "), err, stderr, tt.want)
			}
		})
	}
	if after := instanceCount(t, e.responder("eu-west-1")); after != before {
		t.Fatalf("aws ec2 run-instances --dry-run launched %d instances", after-before)
	}
}
