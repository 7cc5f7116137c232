package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestReadInventory(t *testing.T) {
	s, url := startSim(t, "root-key-ec2-onprem")
	c := responder(t, s, url)
	inv, findings := ReadInventory(context.Background(), c, s.AccountID(), []string{"us-east-1", "eu-west-1"})
	if len(findings) != 0 {
		t.Errorf("findings %+v", findings)
	}
	want := Instance{ID: "i-0a7c3e91b52d4f816", Region: "eu-west-1", Name: "billing-worker",
		PrivateIPs: []string{"10.20.1.15"}, PublicIPs: []string{"3.249.118.40"}}
	if len(inv.Instances) != 1 || !instanceEqual(inv.Instances[0], want) {
		t.Errorf("instances %+v, want %+v", inv.Instances, want)
	}
	if len(inv.Addresses) != 1 || inv.Addresses[0].PublicIP != "3.249.118.40" ||
		inv.Addresses[0].InstanceID != want.ID || inv.Addresses[0].Region != "eu-west-1" {
		t.Errorf("addresses %+v", inv.Addresses)
	}
	if inv.Account != s.AccountID() {
		t.Errorf("account %q", inv.Account)
	}
}

func instanceEqual(a, b Instance) bool {
	return a.ID == b.ID && a.Region == b.Region && a.Name == b.Name &&
		slices.Equal(a.PrivateIPs, b.PrivateIPs) && slices.Equal(a.PublicIPs, b.PublicIPs)
}

func TestReadInventoryDenied(t *testing.T) {
	tests := []struct {
		name    string
		deny    []string
		actions []string
	}{
		{"instances", []string{"ec2:DescribeInstances"}, []string{"ec2:DescribeInstances"}},
		{"both", []string{"ec2:DescribeInstances", "ec2:DescribeAddresses"}, []string{"ec2:DescribeInstances", "ec2:DescribeAddresses"}},
		{"functions", []string{"lambda:ListFunctions"}, []string{"lambda:ListFunctions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := loadScenario(t, "root-key-ec2-onprem")
			limitResponder(t, sc, []string{"sts:*", "ec2:Describe*", "lambda:ListFunctions"}, tt.deny)
			s, url := startScenario(t, sc)
			regions := []string{"eu-west-1", "us-east-1", "sa-east-1"}
			_, findings := ReadInventory(context.Background(), responder(t, s, url), s.AccountID(), regions)
			var got []string
			for _, f := range findings {
				got = append(got, f.Action)
				if f.Step != runbook.StepInvestigate || f.Severity != runbook.SeverityWarning ||
					!strings.Contains(f.Message, strings.Join(regions, ", ")) {
					t.Errorf("finding %+v: want one warning naming every region", f)
				}
			}
			if !slices.Equal(got, tt.actions) {
				t.Errorf("findings name %v, want one each for %v", got, tt.actions)
			}
		})
	}
}

// The inventory lists the account's functions, so a Lambda caller is
// pinned to the function its replacement role is applied to.
func TestReadInventoryListsFunctions(t *testing.T) {
	s, url := startSim(t, "iam-user-lambda-ci")
	inv, findings := ReadInventory(context.Background(), responder(t, s, url), s.AccountID(), []string{"us-east-1", "us-west-2"})
	if len(findings) != 0 {
		t.Errorf("findings %+v", findings)
	}
	if len(inv.Functions) != 1 {
		t.Fatalf("functions %+v, want report-builder alone", inv.Functions)
	}
	f := inv.Functions[0]
	if f.Name != "report-builder" || f.Region != "us-west-2" || f.Runtime != "python3.12" || !strings.HasSuffix(f.ARN, ":function:report-builder") {
		t.Errorf("function %+v", f)
	}
}
