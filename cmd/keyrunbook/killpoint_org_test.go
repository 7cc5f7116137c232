package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The organization's kill points: a member's root key (its SCP and its
// deletion through sts:AssumeRoot, played by TestKillPointChild with
// KP_MEMBER) and `keyrunbook org --retire-unused` (kpOrgRetire).

// kpOrgRetire is the child of the bulk retirement: the org command as
// orgRun runs it once its target is built, on the org action log at log,
// confirmed with --yes; run again on the same log, it resumes. "Used
// within --days" is measured by the simulated clock.
func kpOrgRetire(t *testing.T, ctx context.Context, mgmt aws.Config, log string, clk remoteClock) {
	o := orgOptions{logPath: log, retire: true, yes: true, jsonOut: true, days: 90,
		parallel: awsops.DefaultOrgWorkers, rate: awsops.DefaultAssumeRootRate, clock: clk.Now,
		IO: streams{in: strings.NewReader(""), out: io.Discard, err: os.Stdout}}
	if err := auditOrg(ctx, mgmt, runbook.ModeLive, o); err != nil {
		t.Fatalf("keyrunbook org --retire-unused: %v", err)
	}
}

// checkRetire: every key whose deletion the org log intends has the result
// deleted, the log verifies, and an audit of the organization now finds
// no root key left that the campaign should have retired.
func (r *kpRun) checkRetire(t *testing.T) []string {
	t.Helper()
	j, recs, err := runbook.OpenJournal(r.log, nil)
	if err != nil {
		return []string{"the org action log does not open: " + err.Error()}
	}
	j.Close()
	var problems []string
	_, retired, err := runbook.AuditedAccounts(recs)
	if err != nil {
		problems = append(problems, "the org action log does not read: "+err.Error())
	}
	var intended []string
	for _, rec := range recs {
		var k runbook.RootKeyRetirement
		if rec.Type == runbook.RecordIntent && rec.Name == runbook.RecordRetireRootKey && json.Unmarshal(rec.Data, &k) == nil {
			intended = append(intended, k.KeyID)
			if !retired[k.KeyID] {
				problems = append(problems, "the org action log intends the deletion of "+k.KeyID+" and records no result deleted")
			}
		}
	}
	if len(intended) == 0 {
		problems = append(problems, "the org action log intends no deletion")
	}
	cfg := r.management(t)
	var left []string
	_, err = awsops.NewOrgAudit(cfg).Run(context.Background(), nil, func(a runbook.RootAudit) error {
		for _, k := range a.Keys {
			if retired[k.ID] || a.Retirable(r.s.Now(), campaignWindow) {
				left = append(left, a.Name+" "+k.ID)
			}
		}
		return nil
	}, nil)
	if err != nil {
		problems = append(problems, "audit the organization after the retirement: "+err.Error())
	}
	if len(left) > 0 {
		problems = append(problems, "root keys left that no caller used: "+strings.Join(left, ", "))
	}
	return problems
}

// checkSCP: the member's containment SCP is gone at the close: the
// hardening checklist removed it once the key was deleted (a resumed
// CreatePolicy made no second one, which would be left behind).
func (r *kpRun) checkSCP(t *testing.T, mgmt aws.Config) []string {
	t.Helper()
	c := organizations.NewFromConfig(mgmt, func(o *organizations.Options) { o.Region = awsops.DefaultRegion })
	ctx, name := context.Background(), awsops.RootDenySCPName(r.kc.member)
	count := func(in any) (int, error) {
		n := 0
		var pols []orgtypes.PolicySummary
		switch in := in.(type) {
		case *organizations.ListPoliciesInput:
			out, err := c.ListPolicies(ctx, in)
			if err != nil {
				return 0, err
			}
			pols = out.Policies
		case *organizations.ListPoliciesForTargetInput:
			out, err := c.ListPoliciesForTarget(ctx, in)
			if err != nil {
				return 0, err
			}
			pols = out.Policies
		}
		for _, p := range pols {
			if aws.ToString(p.Name) == name {
				n++
			}
		}
		return n, nil
	}
	made, err := count(&organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		return []string{"list the SCPs: " + err.Error()}
	}
	attached, err := count(&organizations.ListPoliciesForTargetInput{TargetId: aws.String(r.kc.member), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		return []string{"list the SCPs of " + r.kc.member + ": " + err.Error()}
	}
	if made != 0 || attached != 0 {
		return []string{fmt.Sprintf("%d SCPs named %s, %d attached to %s; want none left after the checklist removed it", made, name, attached, r.kc.member)}
	}
	return nil
}

// management is the management account's configuration, on the test's
// account: the responder's credentials.
func (r *kpRun) management(t *testing.T) aws.Config {
	t.Helper()
	id, secret := r.s.ResponderCredentials()
	cfg, err := awsops.LoadConfig(context.Background(), awsops.Target{Region: "us-east-1", Endpoint: r.base,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
