package awsops

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// This file reads what the account holds that identification and the
// classification look things up in: its instances and Elastic IPs, region by
// region, and its users' keys in the IAM credential report.

// ReadInventory reads the account's instances and Elastic IPs in every
// region given, all regions at once, so the classification can tell a
// caller on one of the account's instances by its address. A region whose
// reads fail is left out with a finding: its callers are then judged by
// their user agent alone.
func ReadInventory(ctx context.Context, c *Clients, account string, regions []string) (Inventory, []runbook.Finding) {
	type part struct {
		instances                 []Instance
		addresses                 []ElasticIP
		functions                 []Function
		instErr, addrErr, funcErr error
	}
	parts := make([]part, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			p := &parts[i]
			api := c.EC2(region)
			p.instances, p.instErr = regionInstances(ctx, api, region)
			p.addresses, p.addrErr = regionAddresses(ctx, api, region)
			p.functions, p.funcErr = regionFunctions(ctx, c.lambdaFor(region), region)
		})
	}
	wg.Wait()
	inv := Inventory{Account: account}
	var instFailed, addrFailed, funcFailed failedRegions
	for i, p := range parts {
		inv.Instances = append(inv.Instances, p.instances...)
		inv.Addresses = append(inv.Addresses, p.addresses...)
		inv.Functions = append(inv.Functions, p.functions...)
		instFailed.add(regions[i], p.instErr)
		addrFailed.add(regions[i], p.addrErr)
		funcFailed.add(regions[i], p.funcErr)
	}
	var findings []runbook.Finding
	if f, ok := instFailed.finding("ec2:DescribeInstances", "callers on the account's instances in %s are not recognised by address"); ok {
		findings = append(findings, f)
	}
	if f, ok := addrFailed.finding("ec2:DescribeAddresses", "callers behind Elastic IPs in %s are not recognised by address"); ok {
		findings = append(findings, f)
	}
	if f, ok := funcFailed.finding("lambda:ListFunctions", "Lambda callers in %s are not pinned to their function: set it on the proposal"); ok {
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
		if c := judge.EKSClusterTag(aws.ToString(t.Key), aws.ToString(t.Value)); c != "" {
			inst.EKSCluster = c
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

// reportPoll is how long to wait between GenerateCredentialReport polls;
// AWS builds a report in seconds. A variable so tests need not wait.
var reportPoll = time.Second

// reportRootUser is how the credential report names the root user.
const reportRootUser = "<root_account>"

// credentialReport is the IAM credential report, by user name.
type credentialReport struct{ rows map[string]reportRow }

// reportRow is one user's line: its ARN, MFA and its two key slots.
type reportRow struct {
	arn   string
	mfa   *bool
	slots []reportSlot // the slots that hold a key
}

type reportSlot struct {
	status   runbook.KeyStatus
	created  time.Time // access_key_N_last_rotated: when the key was made
	lastUsed time.Time
}

// match picks the slot of the key last used at lastUsed; n is how many
// keys the row holds.
func (r reportRow) match(lastUsed time.Time) (slot *reportSlot, n int) {
	if len(r.slots) == 1 {
		return &r.slots[0], 1
	}
	var hit *reportSlot
	for i, s := range r.slots {
		if !lastUsed.IsZero() && s.lastUsed.Truncate(time.Second).Equal(lastUsed.Truncate(time.Second)) {
			if hit != nil {
				return nil, len(r.slots)
			}
			hit = &r.slots[i]
		}
	}
	return hit, len(r.slots)
}

// fetchCredentialReport asks IAM to build the report, waits until it is
// complete, and parses it (CSV with a header line).
func fetchCredentialReport(ctx context.Context, api IAMReadAPI) (*credentialReport, error) {
	for tries := 0; ; tries++ {
		out, err := api.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, fmt.Errorf("generate credential report: %w", err)
		}
		if out.State == iamtypes.ReportStateTypeComplete {
			break
		}
		if tries == 30 {
			return nil, fmt.Errorf("the credential report was still %s after %d tries", out.State, tries+1)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(reportPoll):
		}
	}
	out, err := api.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		return nil, fmt.Errorf("get credential report: %w", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out.Content)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("read credential report: not the CSV IAM writes: %v", err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	when := func(s string) time.Time {
		t, _ := time.Parse(time.RFC3339, s) // "N/A" and "no_information" read as never
		return t
	}
	rep := &credentialReport{rows: map[string]reportRow{}}
	for _, rec := range recs[1:] {
		row := reportRow{arn: get(rec, "arn")}
		if v := get(rec, "mfa_active"); v == "true" || v == "false" {
			row.mfa = aws.Bool(v == "true")
		}
		for _, n := range []string{"1", "2"} {
			created := when(get(rec, "access_key_"+n+"_last_rotated"))
			if created.IsZero() {
				continue
			}
			st := runbook.KeyInactive
			if get(rec, "access_key_"+n+"_active") == "true" {
				st = runbook.KeyActive
			}
			row.slots = append(row.slots, reportSlot{status: st, created: created,
				lastUsed: when(get(rec, "access_key_"+n+"_last_used_date"))})
		}
		rep.rows[get(rec, "user")] = row
	}
	return rep, nil
}
