package awsops

import (
	"context"
	"fmt"
	"strings"
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
		instances        []Instance
		addresses        []ElasticIP
		instErr, addrErr error
	}
	parts := make([]part, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			p := &parts[i]
			api := c.EC2(region)
			p.instances, p.instErr = regionInstances(ctx, api, region)
			p.addresses, p.addrErr = regionAddresses(ctx, api, region)
		})
	}
	wg.Wait()
	inv := Inventory{Account: account}
	var instFailed, addrFailed failedRegions
	for i, p := range parts {
		inv.Instances = append(inv.Instances, p.instances...)
		inv.Addresses = append(inv.Addresses, p.addresses...)
		instFailed.add(regions[i], p.instErr)
		addrFailed.add(regions[i], p.addrErr)
	}
	var findings []runbook.Finding
	if f, ok := instFailed.finding("ec2:DescribeInstances", "callers on the account's instances in %s are not recognised by address"); ok {
		findings = append(findings, f)
	}
	if f, ok := addrFailed.finding("ec2:DescribeAddresses", "callers behind Elastic IPs in %s are not recognised by address"); ok {
		findings = append(findings, f)
	}
	return inv, findings
}

// failedRegions gathers one call's failures over regions, so that a
// permission missing everywhere is one finding, not one per region.
type failedRegions struct {
	regions []string
	first   error
}

func (f *failedRegions) add(region string, err error) {
	if err == nil {
		return
	}
	if f.first == nil {
		f.first = err
	}
	f.regions = append(f.regions, region)
}

func (f *failedRegions) finding(action, consequence string) (runbook.Finding, bool) {
	if f.first == nil {
		return runbook.Finding{}, false
	}
	return callFinding(runbook.StepInvestigate, action, f.first, fmt.Sprintf(consequence, strings.Join(f.regions, ", "))), true
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
