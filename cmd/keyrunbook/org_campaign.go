package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The model response to an organization's IAM.4 campaign (issue 20), from
// the management account: audit every account's root user, retire in bulk
// the root keys no caller used (one review, each deletion journaled), then
// run the runbook of each key still in use in its member account, riskiest
// first: the attacker's is contained with an SCP and deleted, the on-prem
// job's is replaced first. Each runbook has its own action log and debrief.

// campaignWindow is the model's "used recently": a key used within it has
// a caller, so it is not retired in bulk (keyrunbook org's --days default).
const campaignWindow = 90 * 24 * time.Hour

// campaign is a simulated organization and the management account's
// credentials, as `keyrunbook org` would hold them.
type campaign struct {
	sim   *sim.Sim
	mgmt  aws.Config
	audit *awsops.OrgAudit
	j     *runbook.Journal
	say   func(step, why string)
	// features are what the audit read of centralized root access: the
	// bulk retirement refuses before its review when deletion needs one
	// that is off.
	features awsops.RootFeatures
}

// startCampaign starts the simulated organization on loopback and the org
// action log at path; stop ends both.
func startCampaign(ctx context.Context, sc *sim.Scenario, path string, out io.Writer) (*campaign, func(), error) {
	s, err := sim.New(sc, sim.WithThrottle(trainingSweepRate))
	if err != nil {
		return nil, nil, fmt.Errorf("start the simulated organization: %w", err)
	}
	url, stopSim, err := s.Start()
	if err != nil {
		return nil, nil, err
	}
	id, secret := s.ResponderCredentials()
	mgmt, err := awsops.LoadConfig(ctx, awsops.Target{Region: "us-east-1", Endpoint: url, Logger: logging.Nop{},
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	if err != nil {
		stopSim()
		return nil, nil, err
	}
	j, err := runbook.CreateJournal(path, string(runbook.ModeTraining), "", s.Now)
	if err != nil {
		stopSim()
		return nil, nil, fmt.Errorf("create the org action log: %w", err)
	}
	c := &campaign{sim: s, mgmt: mgmt, audit: awsops.NewOrgAudit(mgmt), j: j,
		say: func(step, why string) { fmt.Fprintf(out, "%-12s %s\n", step, why) }}
	return c, func() { j.Close(); stopSim() }, nil
}

// inUse plays the campaign up to the runbooks: the audit and the bulk
// retirement. It returns the accounts whose key is in use, riskiest first.
func (c *campaign) inUse(ctx context.Context) ([]runbook.RootAudit, error) {
	accounts, err := c.auditAll(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.retireUnused(ctx, accounts); err != nil {
		return nil, err
	}
	var out []runbook.RootAudit
	for _, a := range accounts {
		if a.HasKeys == runbook.Yes && !a.Retirable(c.sim.Now(), campaignWindow) {
			out = append(out, a)
		}
	}
	return out, nil
}

// pick narrates the choice of an account's runbook.
func (c *campaign) pick(a runbook.RootAudit) error {
	key, ok := keyToRespond(a)
	if !ok {
		return fmt.Errorf("account %s: no root key ID to respond to", a.Account)
	}
	c.say("Pick", fmt.Sprintf("%s (%s): root key %s was used %s: someone depends on it or abuses it. Open its runbook in the account, through %s.",
		a.Account, a.Name, key, a.LastUseText(c.sim.Now()), sim.MemberRole))
	return nil
}

// playCampaign plays the campaign headless, narrating to out; the org log
// is at path, each member's runbook log beside it.
func playCampaign(ctx context.Context, sc *sim.Scenario, path string, watch time.Duration, out io.Writer) error {
	c, stop, err := startCampaign(ctx, sc, path, out)
	if err != nil {
		return err
	}
	defer stop()
	accounts, err := c.inUse(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Org action log: %s\n", path)
	for _, a := range accounts {
		if err := c.pick(a); err != nil {
			return err
		}
		log := filepath.Join(filepath.Dir(path), defaultLogName("demo-"+a.Name, time.Now()))
		db, err := c.memberRunbook(ctx, a.Account, log, watch, out)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.Account, err)
		}
		fmt.Fprint(out, db.Text())
		fmt.Fprintf(out, "Action log: %s\n", log)
		if db.Score != 100 {
			return fmt.Errorf("account %s's runbook scored %d, not 100", a.Account, db.Score)
		}
	}
	return nil
}

// auditAll audits every account, journaling each, riskiest first.
func (c *campaign) auditAll(ctx context.Context) ([]runbook.RootAudit, error) {
	var accounts []runbook.RootAudit
	res, err := c.audit.Run(ctx, nil, func(a runbook.RootAudit) error {
		accounts = append(accounts, a)
		_, err := c.j.Append(runbook.RecordResult, runbook.StepOrgAudit, runbook.RecordRootAudited, a)
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	c.features = res.Features
	runbook.SortByRisk(accounts, c.sim.Now(), campaignWindow)
	var withKeys []string
	for _, a := range accounts {
		if a.HasKeys == runbook.Yes {
			withKeys = append(withKeys, a.Name)
		}
	}
	c.say("Audit", fmt.Sprintf("Organization %s: %d accounts read through sts:AssumeRoot (IAMAuditRootUserCredentials). Root keys in %d: %s. Riskiest first: a key used recently, no MFA.",
		res.Organization, len(accounts), len(withKeys), strings.Join(withKeys, ", ")))
	return accounts, nil
}

// retireUnused deletes, after the one review, the keys no caller used.
func (c *campaign) retireUnused(ctx context.Context, accounts []runbook.RootAudit) error {
	if refusal := c.features.DeleteRefusal(); refusal != "" {
		return fmt.Errorf("bulk retirement: %s", refusal)
	}
	var keys []runbook.RootKeyRetirement
	var names []string
	for _, a := range accounts {
		if !a.Retirable(c.sim.Now(), campaignWindow) {
			continue
		}
		for _, k := range a.Keys {
			keys = append(keys, runbook.RootKeyRetirement{Account: a.Account, KeyID: k.ID})
			names = append(names, a.Name+" "+k.ID+" (last used "+k.LastUse(c.sim.Now())+")")
		}
	}
	c.say("Review", fmt.Sprintf("%d root keys nobody used in 90 days need no replacement: %s. One review, then delete them all: "+
		"through sts:AssumeRoot with IAMDeleteRootUserCredentials, since no root task policy allows UpdateAccessKey (no deactivating first).",
		len(keys), strings.Join(names, "; ")))
	out, err := c.audit.RetireRootKeys(ctx, keys, false, func(typ runbook.RecordType, r runbook.RootKeyRetirement) error {
		_, err := c.j.Append(typ, runbook.StepOrgRetire, runbook.RecordRetireRootKey, r)
		return err
	})
	if err != nil {
		return fmt.Errorf("bulk retirement: %w", err)
	}
	for _, r := range out {
		if r.Outcome != "deleted" {
			return fmt.Errorf("bulk retirement: %s %s: %s", r.Account, r.KeyID, r.Outcome)
		}
	}
	c.say("Retire", fmt.Sprintf("%d keys deleted, each with its intent and result in the org action log.", len(out)))
	return nil
}

// memberRunbook plays the model response of the member's root key in the
// member account and scores it.
func (c *campaign) memberRunbook(ctx context.Context, account, log string, watch time.Duration, out io.Writer) (runbook.Debrief, error) {
	tr, err := c.memberTraining(account, watch)
	if err != nil {
		return runbook.Debrief{}, err
	}
	p, err := newPlayerOn(tr, tr.sc, log, watch)
	if err != nil {
		return runbook.Debrief{}, err
	}
	defer p.close()
	p.plan.orgMember = true
	p.say = func(step runbook.Step, why string) { fmt.Fprintf(out, "%-12s %s\n", step.Title(), why) }
	if err := p.play(ctx); err != nil {
		return runbook.Debrief{}, err
	}
	if st := p.en.Machine().State(); st.Step != runbook.StepClosed {
		return runbook.Debrief{}, fmt.Errorf("ended at %s", st.Step.Title())
	}
	return debrief(p.j, log, p.plan.drill, unhealthy(tr.sim), 0)
}

// memberTraining is the training executor of a member simulated whole:
// identification, investigation and replacements through the member's
// role; containment (an SCP) and deletion (sts:AssumeRoot) through the
// management account; the organization's clock.
func (c *campaign) memberTraining(account string, watch time.Duration) (*training, error) {
	m := c.sim.Member(account)
	if m == nil {
		return nil, fmt.Errorf("the scenario does not simulate account %s whole (its organization member has no \"full\")", account)
	}
	sc := m.Scenario()
	cfg, _ := memberConfig(c.mgmt, account, sim.MemberRole, c.sim.Now)
	t := &training{sim: m, sc: sc, stop: func() {}, org: c.sim}
	t.clock = awsops.NewSimClock(c.sim.Now, c.sim.Advance, 0)
	mgmt := c.mgmt
	opts := drillOptions(m, sc, t.clock, watch)
	opts.OrgAdmin = &mgmt
	t.exec = awsops.NewExecutor(cfg, opts)
	t.exec.Clients().SweepRate = trainingSweepRate
	return t, nil
}
