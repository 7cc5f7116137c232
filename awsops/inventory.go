package awsops

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// ReadInventory reads the account's instances and Elastic IPs in every
// region given, all regions at once, so the classification can tell a
// caller on one of the account's instances by its address. A region whose
// reads fail is left out with a finding: its callers are then judged by
// their user agent alone.
func ReadInventory(ctx context.Context, c *Clients, account string, regions []string) (Inventory, []runbook.Finding) {
	type part struct {
		instances []Instance
		addresses []ElasticIP
		findings  []runbook.Finding
	}
	parts := make([]part, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			p := &parts[i]
			api := c.EC2(region)
			var err error
			if p.instances, err = regionInstances(ctx, api, region); err != nil {
				p.findings = append(p.findings, callFinding(runbook.StepInvestigate, "ec2:DescribeInstances", err,
					fmt.Sprintf("callers from instances in %s are not recognised by address", region)))
			}
			if p.addresses, err = regionAddresses(ctx, api, region); err != nil {
				p.findings = append(p.findings, callFinding(runbook.StepInvestigate, "ec2:DescribeAddresses", err,
					fmt.Sprintf("callers behind Elastic IPs in %s are not recognised by address", region)))
			}
		})
	}
	wg.Wait()
	inv := Inventory{Account: account}
	var findings []runbook.Finding
	for _, p := range parts {
		inv.Instances = append(inv.Instances, p.instances...)
		inv.Addresses = append(inv.Addresses, p.addresses...)
		findings = append(findings, p.findings...)
	}
	return inv, findings
}

func regionInstances(ctx context.Context, api EC2ReadAPI, region string) ([]Instance, error) {
	var out []Instance
	p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe instances in %s: %w", region, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				out = append(out, instanceOf(in, region))
			}
		}
	}
	return out, nil
}

// instanceOf keeps an instance's addresses: the primary ones and those of
// every network interface, since a caller may leave by any of them.
func instanceOf(in ec2types.Instance, region string) Instance {
	inst := Instance{ID: aws.ToString(in.InstanceId), Region: region}
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == "Name" {
			inst.Name = aws.ToString(t.Value)
		}
	}
	if in.IamInstanceProfile != nil {
		inst.InstanceProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	private := map[string]bool{}
	public := map[string]bool{}
	addPrivate := func(ip *string) {
		if v := aws.ToString(ip); v != "" && !private[v] {
			private[v] = true
			inst.PrivateIPs = append(inst.PrivateIPs, v)
		}
	}
	addPublic := func(ip *string) {
		if v := aws.ToString(ip); v != "" && !public[v] {
			public[v] = true
			inst.PublicIPs = append(inst.PublicIPs, v)
		}
	}
	addPrivate(in.PrivateIpAddress)
	addPublic(in.PublicIpAddress)
	for _, ni := range in.NetworkInterfaces {
		addPrivate(ni.PrivateIpAddress)
		if ni.Association != nil {
			addPublic(ni.Association.PublicIp)
		}
		for _, a := range ni.PrivateIpAddresses {
			addPrivate(a.PrivateIpAddress)
			if a.Association != nil {
				addPublic(a.Association.PublicIp)
			}
		}
	}
	return inst
}

func regionAddresses(ctx context.Context, api EC2ReadAPI, region string) ([]ElasticIP, error) {
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return nil, fmt.Errorf("describe addresses in %s: %w", region, err)
	}
	var eips []ElasticIP
	for _, a := range out.Addresses {
		eips = append(eips, ElasticIP{
			PublicIP:           aws.ToString(a.PublicIp),
			Region:             region,
			AllocationID:       aws.ToString(a.AllocationId),
			InstanceID:         aws.ToString(a.InstanceId),
			NetworkInterfaceID: aws.ToString(a.NetworkInterfaceId),
			PrivateIP:          aws.ToString(a.PrivateIpAddress),
		})
	}
	return eips, nil
}
