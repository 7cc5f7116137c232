package awsops

import (
	"cmp"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The reversible containment of a member account's root key: no root task
// policy allows iam:UpdateAccessKey, so sts:AssumeRoot cannot deactivate
// the key; instead the management account attaches RootDenySCP to the
// member, which denies the root user everything unless it acts through an
// AssumeRoot session (aws:AssumedRoot), so the deletion still works.
// Detaching it (and deleting it) is the rollback. The SCP is named after
// the account, so a retry or a resumed run finds the one it made.

// scpWriteAPI is every Organizations call keyrunbook makes that changes
// the organization.
type scpWriteAPI interface {
	CreatePolicy(ctx context.Context, params *organizations.CreatePolicyInput, optFns ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error)
	AttachPolicy(ctx context.Context, params *organizations.AttachPolicyInput, optFns ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error)
	DetachPolicy(ctx context.Context, params *organizations.DetachPolicyInput, optFns ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error)
	DeletePolicy(ctx context.Context, params *organizations.DeletePolicyInput, optFns ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error)
}

// scpReadAPI finds the containment SCP.
type scpReadAPI interface {
	ListPoliciesForTarget(ctx context.Context, params *organizations.ListPoliciesForTargetInput, optFns ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error)
	ListPolicies(ctx context.Context, params *organizations.ListPoliciesInput, optFns ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error)
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

var (
	_ scpWriteAPI = (*organizations.Client)(nil)
	_ scpReadAPI  = (*organizations.Client)(nil)
	_ scpWriteAPI = dryOrgs{}
)

// RootDenySCPName is the containment SCP's name for an account.
func RootDenySCPName(account string) string { return "keyrunbook-deny-root-" + account }

// orgsOf is the Organizations client of a configuration (the service is
// global, its endpoint in us-east-1).
func orgsOf(cfg aws.Config) *organizations.Client {
	return organizations.NewFromConfig(withCallNotes(cfg), func(o *organizations.Options) { o.Region = DefaultRegion })
}

// memberRootKey says whether the key is a member account's root key that
// the management account's credentials (OrgAdmin) can contain with an SCP.
func (x *Executor) memberRootKey(ctx context.Context) bool {
	if x.opts.OrgAdmin == nil {
		return false
	}
	out, err := orgsOf(*x.opts.OrgAdmin).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	return err == nil && out.Organization != nil && aws.ToString(out.Organization.MasterAccountId) != x.account(ctx)
}

// findRootDenySCP finds the account's containment SCP: its ID ("" when
// none exists) and whether it is attached to the account.
func findRootDenySCP(ctx context.Context, c scpReadAPI, account string) (id string, attached bool, err error) {
	name := RootDenySCPName(account)
	on := organizations.NewListPoliciesForTargetPaginator(c, &organizations.ListPoliciesForTargetInput{
		TargetId: aws.String(account), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for on.HasMorePages() {
		page, err := on.NextPage(ctx)
		if err != nil {
			return "", false, err
		}
		for _, p := range page.Policies {
			if aws.ToString(p.Name) == name {
				return aws.ToString(p.Id), true, nil
			}
		}
	}
	all := organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for all.HasMorePages() {
		page, err := all.NextPage(ctx)
		if err != nil {
			return "", false, err
		}
		for _, p := range page.Policies {
			if aws.ToString(p.Name) == name {
				return aws.ToString(p.Id), false, nil
			}
		}
	}
	return "", false, nil
}

// containWithSCP attaches RootDenySCP to the key's member account, making
// it first if needed, and reads the attachment back.
func (x *Executor) containWithSCP(ctx context.Context, effect string) runbook.Event {
	acct := x.account(ctx)
	admin := *x.opts.OrgAdmin
	reads, writes := orgsOf(admin), x.write.scp(admin)
	id, attached, err := findRootDenySCP(ctx, reads, acct)
	if err != nil {
		return effectFailed(effect, "organizations:ListPoliciesForTarget", err)
	}
	done := runbook.KeyDeactivated{At: x.now(), DryRun: x.rehearsing(), Via: runbook.ContainedBySCP}
	if attached {
		return done // a retry after the attachment answered, or a resumed run
	}
	if id == "" {
		out, err := writes.CreatePolicy(ctx, &organizations.CreatePolicyInput{
			Name: aws.String(RootDenySCPName(acct)), Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(RootDenySCP),
			Description: aws.String("keyrunbook: contains the leaked root key of " + acct + " (root denied unless aws:AssumedRoot)")})
		if err != nil {
			return effectFailed(effect, "organizations:CreatePolicy", err)
		}
		id = aws.ToString(out.Policy.PolicySummary.Id)
	}
	if _, err := writes.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(acct)}); err != nil {
		return effectFailed(effect, "organizations:AttachPolicy", err)
	}
	if x.rehearsing() {
		return done
	}
	if _, attached, err := findRootDenySCP(ctx, reads, acct); err != nil || !attached {
		return failed(effect, "AttachPolicy was sent, but %s does not read as attached to account %s (%v). Retry.", RootDenySCPName(acct), acct, err)
	}
	return done
}

// releaseSCP detaches and deletes the account's containment SCP: the
// member's root user works again, the key with it.
func (x *Executor) releaseSCP(ctx context.Context, effect string) runbook.Event {
	if f := x.removeRootDenySCP(ctx, effect, x.account(ctx)); f != nil {
		return *f
	}
	return runbook.KeyReactivated{At: x.now(), DryRun: x.rehearsing()}
}

// removeRootDenySCP detaches the account's containment SCP if attached and
// deletes it if it exists; what is gone already is not asked again, so a
// retry or a resumed run finishes what the last one began.
func (x *Executor) removeRootDenySCP(ctx context.Context, effect, acct string) *runbook.EffectFailed {
	admin := *x.opts.OrgAdmin
	writes := x.write.scp(admin)
	id, attached, err := findRootDenySCP(ctx, orgsOf(admin), acct)
	if err != nil {
		f := effectFailed(effect, "organizations:ListPoliciesForTarget", err)
		return &f
	}
	if attached {
		if _, err := writes.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(acct)}); err != nil {
			f := effectFailed(effect, "organizations:DetachPolicy", err)
			return &f
		}
	}
	if id != "" {
		if _, err := writes.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)}); err != nil {
			f := effectFailed(effect, "organizations:DeletePolicy", err)
			return &f
		}
	}
	return nil
}

// removeContainmentSCP is the hardening checklist's removal of the SCP
// that contained a member's root key, once the key is deleted.
func (x *Executor) removeContainmentSCP(ctx context.Context, e runbook.RemoveContainmentSCP) runbook.Event {
	effect := e.EffectName()
	if x.opts.OrgAdmin == nil {
		return failed(effect, "The SCP %s is removed from the organization's management account: give its credentials with --org-admin-profile, or detach and delete it there: "+
			"aws organizations detach-policy --policy-id ID --target-id %s, then aws organizations delete-policy --policy-id ID.", RootDenySCPName(e.Account), e.Account)
	}
	acct := cmp.Or(e.Account, x.account(ctx))
	if f := x.removeRootDenySCP(ctx, effect, acct); f != nil {
		return *f
	}
	done := runbook.ContainmentSCPRemoved{Policy: RootDenySCPName(acct), At: x.now(), DryRun: x.rehearsing()}
	if x.rehearsing() {
		return done
	}
	if id, _, err := findRootDenySCP(ctx, orgsOf(*x.opts.OrgAdmin), acct); err != nil || id != "" {
		return failed(effect, "DetachPolicy and DeletePolicy were sent, but %s still reads as existing (%v). Retry.", RootDenySCPName(acct), err)
	}
	return done
}

// containmentSCPCheck is the checklist's item on the SCP that contained a
// member's root key: none left (OK), or still there, named with the
// account, for the responder to remove. It applies only where keyrunbook
// holds the management account's credentials for a member account.
func (x *Executor) containmentSCPCheck(ctx context.Context) (runbook.CheckItem, bool) {
	if !x.memberRootKey(ctx) {
		return runbook.CheckItem{}, false
	}
	acct, name := x.account(ctx), RootDenySCPName(x.account(ctx))
	it := runbook.CheckItem{ID: runbook.CheckContainmentSCP, Title: "The SCP that contained the root key is removed"}
	id, attached, err := findRootDenySCP(ctx, orgsOf(*x.opts.OrgAdmin), acct)
	switch {
	case err != nil:
		it.State = couldNotRead("organizations:ListPoliciesForTarget", err)
	case attached:
		it.State = fmt.Sprintf("SCP %s (%s) is still attached to account %s: its root user is denied everything outside an sts:AssumeRoot session", name, id, acct)
		it.Fix = fmt.Sprintf("Detach and delete it from the management account: aws organizations detach-policy --policy-id %s --target-id %s, then aws organizations delete-policy --policy-id %s; keep it only if the root user should stay locked out.", id, acct, id)
	case id != "":
		it.State = fmt.Sprintf("SCP %s (%s) is detached from account %s but still exists", name, id, acct)
		it.Fix = fmt.Sprintf("Delete it from the management account: aws organizations delete-policy --policy-id %s.", id)
	default:
		it.OK, it.State = true, "no keyrunbook containment SCP on account "+acct
	}
	return it, true
}

// scpContains says whether the containment SCP is attached to the key's
// account: the key reads Active, yet root cannot use it.
func (x *Executor) scpContains(ctx context.Context) bool {
	if x.opts.OrgAdmin == nil {
		return false
	}
	_, attached, err := findRootDenySCP(ctx, orgsOf(*x.opts.OrgAdmin), x.account(ctx))
	return err == nil && attached
}

// dryOrgs journals the SCP calls dry-run does not send.
type dryOrgs struct{ d *dryRun }

func (x dryOrgs) CreatePolicy(ctx context.Context, in *organizations.CreatePolicyInput, _ ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error) {
	x.d.would(ctx, "organizations", "CreatePolicy", in)
	return &organizations.CreatePolicyOutput{Policy: &orgtypes.Policy{Content: in.Content,
		PolicySummary: &orgtypes.PolicySummary{Id: aws.String(DryRunID), Name: in.Name}}}, nil
}

func (x dryOrgs) AttachPolicy(ctx context.Context, in *organizations.AttachPolicyInput, _ ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error) {
	x.d.would(ctx, "organizations", "AttachPolicy", in)
	return &organizations.AttachPolicyOutput{}, nil
}

func (x dryOrgs) DetachPolicy(ctx context.Context, in *organizations.DetachPolicyInput, _ ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error) {
	x.d.would(ctx, "organizations", "DetachPolicy", in)
	return &organizations.DetachPolicyOutput{}, nil
}

func (x dryOrgs) DeletePolicy(ctx context.Context, in *organizations.DeletePolicyInput, _ ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error) {
	x.d.would(ctx, "organizations", "DeletePolicy", in)
	return &organizations.DeletePolicyOutput{}, nil
}
