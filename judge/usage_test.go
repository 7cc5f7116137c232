package judge

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestToolOf(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"APN/1.0 HashiCorp/1.0 Terraform/1.7.0 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux", "terraform"},
		{"aws-cli/2.15.10 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off", "aws-cli"},
		{"aws-cli/1.29.0 Python/3.9 Linux/5 botocore/1.31.0", "aws-cli"},
		{"Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 Botocore/1.34.10", "boto3"},
		{"Botocore/1.34.10 ua/2.0 os/linux", "botocore"},
		{"aws-sdk-go-v2/1.24.1 ua/2.0 os/linux", "aws-sdk-go-v2"},
		{"aws-sdk-java/1.12.500 Linux/5.15.0", "aws-sdk-java"},
		{"aws-sdk-js/3.500.0 ua/2.0 os/linux", "aws-sdk-js"},
		{"AWSPowerShell/4.1.500 .NET_Runtime/6.0", "aws-powershell"},
		{"Go-http-client/1.1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ToolOf(tt.ua); got != tt.want {
			t.Errorf("ToolOf(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

func TestStableUserAgent(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"aws-cli/2.15.0 Python/3.11 prompt/off command/s3.ls", "aws-cli/2.15.0 Python/3.11 prompt/off"},
		{"aws-sdk-go-v2/1.30.3 ua/2.0 os/linux api/s3#1.58.0 m/E,G", "aws-sdk-go-v2/1.30.3 ua/2.0 os/linux"},
		{"Boto3/1.34.10 md/Botocore#1.34.10 Botocore/1.34.10", "Boto3/1.34.10 md/Botocore#1.34.10 Botocore/1.34.10"},
		{"platform/linux", "platform/linux"}, // "m/" inside a token is not the metrics token
	}
	for _, tt := range tests {
		if got := StableUserAgent(tt.ua); got != tt.want {
			t.Errorf("StableUserAgent(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

func TestClassifyCaller(t *testing.T) {
	inv := Inventory{
		Instances: []Instance{
			{ID: "i-west", Region: "us-west-2", PrivateIPs: []string{"10.0.0.5"}},
			{ID: "i-east", Region: "us-east-1", PrivateIPs: []string{"10.0.0.5"}},
			{ID: "i-pub", Region: "us-east-1", PublicIPs: []string{"54.1.1.1"}},
		},
		Addresses: []ElasticIP{
			{PublicIP: "52.2.2.2", Region: "eu-west-1", InstanceID: "i-eip", AllocationID: "eipalloc-1"},
			{PublicIP: "10.0.0.5", Region: "us-east-1", AllocationID: "eipalloc-odd"},
		},
		Functions: []Function{
			{Name: "a", Region: "eu-west-1", Runtime: "python3.12"},
			{Name: "b", Region: "eu-west-1", Runtime: "python3.12"},
			{Name: "c", Region: "eu-west-1", Runtime: "nodejs20.x"},
		},
	}
	idx := indexInventory(inv)
	tests := []struct {
		name, ip, ua string
		regions      []string
		kind         runbook.CallerKind
		label        runbook.Label
		resource     string
	}{
		{"public address of an instance", "54.1.1.1", "curl/8", []string{"us-east-1"}, runbook.CallerEC2, runbook.LabelLegitimate, "i-pub"},
		{"Elastic IP on an instance", "52.2.2.2", "aws-cli/2", nil, runbook.CallerEC2, runbook.LabelLegitimate, "i-eip"},
		{"public owner preferred to private ones", "10.0.0.5", "aws-cli/2", []string{"us-west-2"}, runbook.CallerEC2, runbook.LabelLegitimate, ""},
		{"private address: the caller's region decides", "10.0.0.6", "aws-cli/2", nil, runbook.CallerOffAWS, runbook.LabelLegitimate, ""},
		{"lambda: two functions fit, none holds the key", "3.3.3.3", "Boto3/1 exec-env/AWS_Lambda_python3.12", []string{"eu-west-1"}, runbook.CallerLambda, runbook.LabelLegitimate, ""},
		{"lambda: one function of the runtime", "3.3.3.3", "aws-sdk-js/3 exec-env/AWS_Lambda_nodejs20.x", []string{"eu-west-1"}, runbook.CallerLambda, runbook.LabelLegitimate, "c"},
		{"ecs on ec2", "3.3.3.3", "aws-sdk-go-v2/1 exec-env/AWS_ECS_EC2", nil, runbook.CallerECS, runbook.LabelLegitimate, ""},
		{"AWS Internal", "AWS Internal", "AWS Internal", nil, runbook.CallerAWSService, runbook.LabelLegitimate, ""},
		{"user agent wins over address for lambda in a VPC", "54.1.1.1", "Boto3/1 exec-env/AWS_Lambda_python3.11", nil, runbook.CallerLambda, runbook.LabelLegitimate, ""},
		{"no tool, not ours", "198.51.100.1", "python-requests/2.31", nil, runbook.CallerUnknown, runbook.LabelUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := classifyCaller(tt.ip, StableUserAgent(tt.ua), "", tt.regions, inv, idx)
			if c.kind != tt.kind || c.label != tt.label || c.resource != tt.resource {
				t.Errorf("got %s %s %q, want %s %s %q (%s)", c.kind, c.label, c.resource, tt.kind, tt.label, tt.resource, c.why)
			}
			if c.why == "" || !strings.HasSuffix(c.why, ".") {
				t.Errorf("why is not a sentence: %q", c.why)
			}
		})
	}
	// Two instances share a private address in different VPCs: the one in
	// the caller's region is chosen, and the reason says there were two.
	c := classifyCaller("10.0.0.7", "aws-cli/2", "vpce-1", []string{"us-west-2"}, inv,
		indexInventory(Inventory{Instances: []Instance{
			{ID: "i-east", Region: "us-east-1", PrivateIPs: []string{"10.0.0.7"}},
			{ID: "i-west", Region: "us-west-2", PrivateIPs: []string{"10.0.0.7"}},
		}}))
	if c.resource != "i-west" || !strings.Contains(c.why, "2 resources hold that address") {
		t.Errorf("ambiguous private address: got %q (%s)", c.resource, c.why)
	}
	// An instance's public IP that is also its Elastic IP is one holder.
	c = classifyCaller("52.9.9.9", "aws-cli/2", "", nil, inv, indexInventory(Inventory{
		Instances: []Instance{{ID: "i-1", Region: "us-east-1", PublicIPs: []string{"52.9.9.9"}}},
		Addresses: []ElasticIP{{PublicIP: "52.9.9.9", Region: "us-east-1", InstanceID: "i-1", AllocationID: "eipalloc-1"}},
	}))
	if c.resource != "i-1" || strings.Contains(c.why, "resources hold") {
		t.Errorf("Elastic IP of the instance: got %q (%s)", c.resource, c.why)
	}
}
