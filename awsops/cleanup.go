package awsops

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// cleanUp removes or disables one thing the attacker created. Something
// already gone counts as removed, so a retry after a partial clean-up
// finishes the job instead of failing on what was done.
func (x *Executor) cleanUp(ctx context.Context, e runbook.CleanUpResource) runbook.Event {
	const effect = "CleanUpResource"
	res := e.Resource
	var err error
	// with collects what goes with the resource (a user's keys and
	// policies), read from the account as it is removed.
	var with []runbook.Resource
	switch res.Type {
	case "access-key":
		if res.Parent == "" || res.Parent == "root" {
			return failed(effect, "Key %s has no IAM user owner in the investigation (root's keys are contained like the leaked key, not here): remove it by hand.", res.ID)
		}
		err = x.removeUserKey(ctx, res.Parent, res.ID)
	case "iam-user":
		err = x.removeUser(ctx, res.ID, &with)
	case "login-profile":
		err = x.removeLoginProfile(ctx, res.ID)
	case "policy":
		err = x.removePolicy(ctx, res)
	case "iam-role":
		err = x.removeRole(ctx, res.ID, &with)
	case "ec2-instance":
		_, err = x.write.ec2(orValue(res.Region, x.homeRegion())).TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{res.ID}})
		if strings.HasPrefix(apiCode(err), "InvalidInstanceID") {
			err = nil // already gone
		}
		err = step("ec2:TerminateInstances", err)
	default:
		return failed(effect, "keyrunbook does not remove resources of type %s: remove %s by hand (the report lists the event that made it, %s at %s).",
			res.Type, res.ID, res.Action, res.Time.Format("2006-01-02 15:04Z"))
	}
	if err != nil {
		var s *applyStep
		if errors.As(err, &s) {
			return effectFailed(effect, s.action, s.err)
		}
		return runbook.EffectFailed{Effect: effect, Message: err.Error()}
	}
	return runbook.ResourceCleanedUp{Resource: res, With: with, DryRun: x.opts.DryRun}
}

// removeUserKey deactivates, then deletes, one key of a user.
func (x *Executor) removeUserKey(ctx context.Context, user, keyID string) error {
	w := x.write.iam(x.cfg)
	_, err := w.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID), Status: iamtypes.StatusTypeInactive})
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	if err != nil {
		return step("iam:UpdateAccessKey", err)
	}
	_, err = w.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)})
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	return step("iam:DeleteAccessKey", err)
}

// removeUser takes away what IAM's DeleteUser requires gone first (keys,
// console password, policies, groups, MFA devices), then the user.
func (x *Executor) removeUser(ctx context.Context, user string, with *[]runbook.Resource) error {
	r, w := x.read.iam(x.cfg), x.write.iam(x.cfg)
	name := aws.String(user)
	keys, err := r.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name})
	if apiCode(err) == "NoSuchEntity" {
		return nil // the user is gone already
	}
	if err != nil {
		return step("iam:ListAccessKeys", err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if err := x.removeUserKey(ctx, user, aws.ToString(k.AccessKeyId)); err != nil {
			return err
		}
		*with = append(*with, runbook.Resource{Type: "access-key", ID: aws.ToString(k.AccessKeyId), Parent: user})
	}
	if err := x.removeLoginProfile(ctx, user); err != nil {
		return err
	}
	*with = append(*with, runbook.Resource{Type: "login-profile", ID: user, Parent: user})
	policyOf := func(id string) runbook.Resource {
		return runbook.Resource{Type: "policy", ID: id, Parent: "user/" + user}
	}
	attached, err := r.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: name})
	if err != nil {
		return step("iam:ListAttachedUserPolicies", err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := w.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: p.PolicyArn}); err != nil && apiCode(err) != "NoSuchEntity" {
			return step("iam:DetachUserPolicy", err)
		}
		*with = append(*with, policyOf(aws.ToString(p.PolicyArn)))
	}
	inline, err := r.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: name})
	if err != nil {
		return step("iam:ListUserPolicies", err)
	}
	for _, p := range inline.PolicyNames {
		if _, err := w.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String(p)}); err != nil && apiCode(err) != "NoSuchEntity" {
			return step("iam:DeleteUserPolicy", err)
		}
		*with = append(*with, policyOf(p))
	}
	// Groups and MFA devices: an endpoint that does not list them (the
	// simulated account) has none to remove.
	if groups, err := r.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name}); err == nil {
		for _, g := range groups.Groups {
			if _, err := w.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: g.GroupName}); err != nil {
				return step("iam:RemoveUserFromGroup", err)
			}
		}
	} else if !isUnsupported(err) {
		return step("iam:ListGroupsForUser", err)
	}
	if mfa, err := r.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: name}); err == nil {
		for _, d := range mfa.MFADevices {
			if _, err := w.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: d.SerialNumber}); err != nil {
				return step("iam:DeactivateMFADevice", err)
			}
		}
	} else if !isUnsupported(err) {
		return step("iam:ListMFADevices", err)
	}
	_, err = w.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	if apiCode(err) == "DeleteConflict" {
		return sentence("IAM would not delete user %s: %s. Remove that (signing certificates, SSH keys, service-specific credentials) and retry.", user, oneLine(err))
	}
	return step("iam:DeleteUser", err)
}

// removeLoginProfile takes a user's console password away; none (or an
// endpoint without login profiles) is nothing to do.
func (x *Executor) removeLoginProfile(ctx context.Context, user string) error {
	_, err := x.write.iam(x.cfg).DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(user)})
	if err == nil || apiCode(err) == "NoSuchEntity" || isUnsupported(err) {
		return nil
	}
	return step("iam:DeleteLoginProfile", err)
}

// removePolicy undoes an attachment (ID is an ARN) or deletes an inline
// policy (ID is a name) on the user or role the investigation named.
func (x *Executor) removePolicy(ctx context.Context, res runbook.Resource) error {
	w := x.write.iam(x.cfg)
	kind, owner, _ := strings.Cut(res.Parent, "/")
	arn := strings.HasPrefix(res.ID, "arn:")
	var err error
	var action string
	switch {
	case kind == "user" && arn:
		action = "iam:DetachUserPolicy"
		_, err = w.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(owner), PolicyArn: aws.String(res.ID)})
	case kind == "user":
		action = "iam:DeleteUserPolicy"
		_, err = w.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(owner), PolicyName: aws.String(res.ID)})
	case kind == "role" && arn:
		action = "iam:DetachRolePolicy"
		_, err = w.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(owner), PolicyArn: aws.String(res.ID)})
	case kind == "role":
		action = "iam:DeleteRolePolicy"
		_, err = w.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(owner), PolicyName: aws.String(res.ID)})
	default:
		return sentence("keyrunbook removes policies from users and roles only: remove policy %s (%s) by hand.", res.ID, orValue(res.Parent, "a managed policy"))
	}
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	return step(action, err)
}

// removeRole takes the role out of its instance profiles, removes its
// policies, then deletes it.
func (x *Executor) removeRole(ctx context.Context, role string, with *[]runbook.Resource) error {
	r, w := x.read.iam(x.cfg), x.write.iam(x.cfg)
	name := aws.String(role)
	profiles, err := r.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: name})
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	if err != nil {
		return step("iam:ListInstanceProfilesForRole", err)
	}
	for _, p := range profiles.InstanceProfiles {
		if _, err := w.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: name, InstanceProfileName: p.InstanceProfileName}); err != nil {
			return step("iam:RemoveRoleFromInstanceProfile", err)
		}
	}
	attached, err := r.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name})
	if err != nil {
		return step("iam:ListAttachedRolePolicies", err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := w.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: p.PolicyArn}); err != nil {
			return step("iam:DetachRolePolicy", err)
		}
		*with = append(*with, runbook.Resource{Type: "policy", ID: aws.ToString(p.PolicyArn), Parent: "role/" + role})
	}
	inline, err := r.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name})
	if err != nil {
		return step("iam:ListRolePolicies", err)
	}
	for _, p := range inline.PolicyNames {
		if _, err := w.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String(p)}); err != nil {
			return step("iam:DeleteRolePolicy", err)
		}
		*with = append(*with, runbook.Resource{Type: "policy", ID: p, Parent: "role/" + role})
	}
	_, err = w.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	if apiCode(err) == "NoSuchEntity" {
		return nil
	}
	return step("iam:DeleteRole", err)
}
