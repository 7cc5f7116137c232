package awsops

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Centralized root access is two IAM organization features, and each gates
// different root sessions (IAM user guide, "Centralize root access for
// member accounts", id_root-enable-root-access.html; IAM API reference,
// EnableOrganizationsRootSessions and
// EnableOrganizationsRootCredentialsManagement):
//
//   - RootSessions, "privileged root actions in member accounts", "allows
//     the management account or delegated administrator to perform
//     privileged tasks on member accounts": every sts:AssumeRoot needs it,
//     the audit's (IAMAuditRootUserCredentials) included.
//   - RootCredentialsManagement lets them "manage root user credentials for
//     member accounts": a session that deletes them
//     (IAMDeleteRootUserCredentials) needs it besides.
//
// So the audit reads members whenever RootSessions is on, and a retirement
// is refused before its review when RootCredentialsManagement is off, rather
// than sending deletions bound to fail. Both features need IAM's trusted
// access in Organizations: without it iam:ListOrganizationsFeatures fails
// with ServiceAccessNotEnabled (IAM API reference, ListOrganizationsFeatures,
// Errors), which therefore means both are off. The simulator gates the same
// (awsops/sim opAssumeRoot, TestAssumeRootNeedsCentralizedRootAccess).

// The calls, from the management account, that enable centralized root
// access, one per fact: each message names only the ones it needs.
const (
	// EnableTrustedAccessCall gives IAM trusted access in Organizations,
	// which both features need.
	EnableTrustedAccessCall = "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com"
	// EnableRootSessionsCall turns on RootSessions: every sts:AssumeRoot.
	EnableRootSessionsCall = "aws iam enable-organizations-root-sessions"
	// EnableRootCredentialsManagementCall turns on RootCredentialsManagement:
	// deleting member root credentials.
	EnableRootCredentialsManagementCall = "aws iam enable-organizations-root-credentials-management"
)

// EnableRootAccessCalls are all the calls that turn on centralized root
// access, in order.
const EnableRootAccessCalls = EnableTrustedAccessCall + "; " + EnableRootSessionsCall + "; " + EnableRootCredentialsManagementCall

// RootFeatures is what iam:ListOrganizationsFeatures said of centralized
// root access in the organization.
type RootFeatures struct {
	// Sessions is RootSessions, CredentialsManagement is
	// RootCredentialsManagement: yes, no, or unknown (Why says why).
	Sessions, CredentialsManagement runbook.Answer
	// TrustedAccessOff: IAM has no trusted access in Organizations
	// (ServiceAccessNotEnabled), so enabling starts there.
	TrustedAccessOff bool
	// Why, when the features could not be read, says why.
	Why string
}

// rootFeatures reads the features. A failed read is not a no: both read
// unknown, and the audit and the retirement try AssumeRoot anyway.
func (a *OrgAudit) rootFeatures(ctx context.Context) RootFeatures {
	out, err := a.IAM.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	switch {
	case err != nil && strings.TrimSuffix(apiCode(err), "Exception") == "ServiceAccessNotEnabled":
		return RootFeatures{Sessions: runbook.No, CredentialsManagement: runbook.No, TrustedAccessOff: true}
	case err != nil:
		_, text := describe("iam:ListOrganizationsFeatures", err)
		return RootFeatures{Sessions: runbook.Unknown, CredentialsManagement: runbook.Unknown, Why: text}
	}
	return RootFeatures{
		Sessions:              yesNo(slices.Contains(out.EnabledFeatures, iamtypes.FeatureTypeRootSessions)),
		CredentialsManagement: yesNo(slices.Contains(out.EnabledFeatures, iamtypes.FeatureTypeRootCredentialsManagement)),
	}
}

// ReadsMembers says whether the audit reads members through AssumeRoot:
// unless RootSessions is known to be off.
func (f RootFeatures) ReadsMembers() bool { return f.Sessions != runbook.No }

// DeleteNeeds are the calls that enable what deleting member root
// credentials needs and is known to be off; none when all is on or unknown.
func (f RootFeatures) DeleteNeeds() []string { return f.needs(true) }

func (f RootFeatures) needs(deletes bool) []string {
	var calls []string
	if f.TrustedAccessOff {
		calls = append(calls, EnableTrustedAccessCall)
	}
	if f.Sessions == runbook.No {
		calls = append(calls, EnableRootSessionsCall)
	}
	if deletes && f.CredentialsManagement == runbook.No {
		calls = append(calls, EnableRootCredentialsManagementCall)
	}
	return calls
}

// Advice is what the audit says of the features: what is off and the calls
// that enable it, or why they are unknown; "" when both are on.
func (f RootFeatures) Advice() string {
	from := ", from the management account: "
	switch {
	case f.Why != "":
		return "Whether centralized root access is enabled is unknown, because " + lowerFirst(f.Why) +
			": the audit tries sts:AssumeRoot in every member anyway, and a retirement tries each deletion."
	case f.Sessions == runbook.No && f.CredentialsManagement == runbook.No:
		return "Centralized root access is not enabled in this organization, so sts:AssumeRoot cannot read member accounts' root users. " +
			"To enable it" + from + strings.Join(f.needs(true), "; ")
	case f.Sessions == runbook.No:
		return "Privileged root actions in member accounts (RootSessions) are not enabled in this organization, so sts:AssumeRoot cannot read member accounts' root users. " +
			"To enable them" + from + strings.Join(f.needs(false), "; ")
	case f.CredentialsManagement == runbook.No:
		return "Root credentials management is not enabled in this organization: sts:AssumeRoot reads every member's root user, but cannot delete its root keys. " +
			"To delete them, enable it from the management account: " + strings.Join(f.needs(true), "; ")
	}
	return ""
}

// DeleteRefusal says why no member's root key can be deleted through
// sts:AssumeRoot, with the calls that enable it, when a feature the
// deletion needs is known to be off; "" otherwise (unknown included: the
// deletion is tried, and RetireNote says so).
func (f RootFeatures) DeleteRefusal() string {
	calls := f.DeleteNeeds()
	if len(calls) == 0 {
		return ""
	}
	off := "root credentials management (RootCredentialsManagement) is not enabled"
	switch {
	case f.Sessions == runbook.No && f.CredentialsManagement == runbook.No:
		off = "centralized root access is not enabled"
	case f.Sessions == runbook.No:
		off = "privileged root actions in member accounts (RootSessions) are not enabled"
	}
	return "No root key can be deleted through sts:AssumeRoot: " + off + " in this organization, so AWS refuses a session with IAMDeleteRootUserCredentials. " +
		"To enable it, from the management account: " + strings.Join(calls, "; ")
}

// RetireNote, when the features could not be read, says that each deletion
// is tried anyway and why whether it can succeed is unknown.
func (f RootFeatures) RetireNote() string {
	if f.Why == "" {
		return ""
	}
	return "Whether root credentials management is enabled is unknown, because " + lowerFirst(f.Why) +
		": each deletion is tried, and fails if it is off."
}
