package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// orgTUI shows the audit's table in the terminal. Retiring journals each
// deletion; picking an account opens the runbook of its root key there.
func orgTUI(ctx context.Context, mgmt aws.Config, audit *awsops.OrgAudit, j *runbook.Journal, t orgTable, mode runbook.Mode, o orgOptions) error {
	retire := func(ctx context.Context, keys []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error) {
		return audit.RetireRootKeys(ctx, keys, mode == runbook.ModeDryRun, func(typ runbook.RecordType, r runbook.RootKeyRetirement) error {
			_, err := j.Append(typ, runbook.StepOrgRetire, runbook.RecordRetireRootKey, r)
			return err
		})
	}
	final, err := o.runProgram(ctx, tui.NewOrg(tui.OrgOptions{Mode: mode, Organization: t.Result.Organization, Accounts: t.Accounts,
		Now: t.Now, Window: t.Window, Advice: t.Result.Advice, RetireRefusal: t.Result.Features.DeleteRefusal(), Retire: retire}))
	if err != nil {
		return fmt.Errorf("org: %w", err)
	}
	chosen, ok := final.(tui.OrgModel).Chosen()
	if !ok {
		return nil
	}
	key, ok := keyToRespond(chosen)
	if !ok {
		fmt.Fprintf(o.IO.err, "account %s: no root key ID is known (%s); sign in to it and check by hand\n", chosen.Account, chosen.Why)
		return nil
	}
	return memberRunbook(ctx, mgmt, chosen.Account, key, mode, o)
}

// keyToRespond is the root key a runbook is opened for: the one used
// last, else the first active one.
func keyToRespond(a runbook.RootAudit) (string, bool) {
	if k, ok := a.LatestUse(); ok {
		return k.ID, true
	}
	for _, k := range a.Keys {
		if k.Status == "Active" {
			return k.ID, true
		}
	}
	if len(a.Keys) > 0 {
		return a.Keys[0].ID, true
	}
	return "", false
}

// memberRunbook runs the runbook of a member's root key: identification,
// investigation and replacements through --member-role in the member
// account (the SDK's assume-role provider, refreshed as it expires);
// deletion through sts:AssumeRoot from the management account.
func memberRunbook(ctx context.Context, mgmt aws.Config, account, keyID string, mode runbook.Mode, o orgOptions) error {
	io := o.IO
	member, roleARN := memberConfig(mgmt, account, o.memberRole, nil)
	path := defaultLogName("incident-"+keyID, o.now())
	opts := executorOptions(mode, o.watch, path)
	opts.OrgAdmin = &mgmt
	x := awsops.NewExecutor(member, opts)
	topts := tui.Options{KeyID: keyID, SweepWindow: time.Duration(o.days) * 24 * time.Hour, Export: exportProposal}
	var now func() time.Time
	if o.simOrg != nil {
		// Training: the member simulated whole, on the organization's clock.
		c := &campaign{sim: o.simOrg, mgmt: mgmt}
		tr, err := c.memberTraining(account, o.watch)
		if err != nil {
			return err
		}
		x, now = tr.exec, o.simOrg.Now
		topts.Now, topts.Plan = now, x.Plan
		topts.Training = &tui.TrainingInfo{Scenario: tr.sc.Name, Brief: "Root key " + keyID + " of member account " + account +
			": contain it with an SCP (no root task policy allows UpdateAccessKey), delete it through AssumeRoot.", ClockSpeed: "simulated time, jumps while waiting", Hints: hint}
	}
	j, err := runbook.CreateJournal(path, string(mode), "", now)
	if err != nil {
		return fmt.Errorf("create the action log: %w", err)
	}
	defer j.Close()
	en, err := runbook.StartEngine(runbook.Config{Mode: mode, WatchWindow: o.watch}, j)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.err, "opening the runbook of root key %s in account %s as %s\n", keyID, account, roleARN)
	topts.Engine, topts.Executor, topts.LogPath, topts.Plan = en, x, path, x.Plan
	final, err := o.runProgram(ctx, tui.New(topts))
	if err != nil {
		return fmt.Errorf("runbook of %s: %w (the action log is %s; resume with 'keyrunbook resume %s')", keyID, err, path, path)
	}
	if msg := final.(tui.Model).ExitMessage(); msg != "" {
		fmt.Fprintln(io.out, msg)
	}
	return nil
}
