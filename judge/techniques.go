package judge

import "github.com/keyrunbook/keyrunbook/runbook"

// Techniques is the technique table: every attacker technique keyrunbook
// recognises in CloudTrail, a row each. The families follow AWS's
// credential-compromise playbook, the MITRE ATT&CK® Enterprise matrix for
// IaaS (technique IDs © The MITRE Corporation, used under its terms of
// use, which allow reproduction with this notice) and the published
// catalogues of CloudTrail detections; the rows and the matching are
// keyrunbook's own. The README's indicator table is generated from it
// (TestREADMEIndicatorTable), and every row is tested both ways
// (TestEveryTechniqueBothWays).
var Techniques = append(identityTechniques, serviceTechniques...)

// Severities, short for the rows.
const (
	crit = runbook.SeverityCritical
	warn = runbook.SeverityWarning
	info = runbook.SeverityInfo
)

// Common conditions.
var (
	anywhereV4 = Condition{Path: "ipPermissions.items[].ipRanges.items[].cidrIp|cidrIp|cidrBlock|destinationCidrBlock", In: []string{"0.0.0.0/0"}}
	suppressed = []string{"SUPPRESSED"}
)

// identityTechniques: identities, credentials, logging and detection.
var identityTechniques = []Technique{
	{"iam-create-user", "iam.amazonaws.com", []string{"CreateUser"}, nil, IndicatorPersistence, crit, "T1136.003",
		"created an IAM user: a way back in after the key is gone", "Delete the user, its keys, login profile and policies.", FollowUpDelete, "userName"},
	{"iam-credentials", "iam.amazonaws.com", []string{"CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "CreateServiceSpecificCredential"}, nil,
		IndicatorPersistence, crit, "T1098.001",
		"added credentials to an IAM user", "Delete the keys and login profiles it created.", FollowUpDelete, "userName|response.accessKey.accessKeyId"},
	{"iam-ssh-key", "iam.amazonaws.com", []string{"UploadSSHPublicKey"}, nil, IndicatorPersistence, crit, "T1098.004",
		"uploaded an SSH public key to an IAM user (CodeCommit access)", "Delete the SSH public key.", FollowUpDelete, "userName"},
	{"iam-create-role", "iam.amazonaws.com", []string{"CreateRole"}, nil, IndicatorPersistence, crit, "T1136.003",
		"created an IAM role that it may assume from elsewhere", "Delete the role after reading its trust policy.", FollowUpDelete, "roleName"},
	{"iam-trust", "iam.amazonaws.com", []string{"UpdateAssumeRolePolicy"}, nil, IndicatorPersistence, crit, "T1484.002",
		"changed who may assume a role", "Restore the role's trust policy from before the incident.", FollowUpRestore, "roleName"},
	{"iam-policy-grant", "iam.amazonaws.com", []string{"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy",
		"PutRolePolicy", "PutGroupPolicy", "CreatePolicy", "CreatePolicyVersion", "SetDefaultPolicyVersion", "AddUserToGroup"}, nil,
		IndicatorPersistence, crit, "T1098.003",
		"granted itself or others more permissions", "Detach or delete the policies and memberships it added.", FollowUpDelete, "policyArn|policyName|groupName"},
	{"iam-boundary-removed", "iam.amazonaws.com", []string{"DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary"}, nil,
		IndicatorPersistence, crit, "T1098.003",
		"removed a permissions boundary", "Put the permissions boundary back.", FollowUpRestore, "userName|roleName"},
	{"iam-federation", "iam.amazonaws.com", []string{"CreateOpenIDConnectProvider", "CreateSAMLProvider", "UpdateSAMLProvider",
		"AddClientIDToOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint"}, nil, IndicatorPersistence, crit, "T1484.002",
		"added or changed an identity provider the account trusts", "Delete the provider or restore its metadata; check the roles that trust it.", FollowUpDelete, "response.sAMLProviderArn|response.openIDConnectProviderArn|sAMLProviderArn|openIDConnectProviderArn"},
	{"iam-mfa", "iam.amazonaws.com", []string{"CreateVirtualMFADevice", "EnableMFADevice", "DeactivateMFADevice", "DeleteVirtualMFADevice"}, nil,
		IndicatorPersistence, crit, "T1556.006",
		"added or removed an MFA device", "Remove MFA devices it added; re-enable MFA it removed.", FollowUpRestore, "serialNumber|virtualMFADeviceName"},
	{"sts-federation-token", "sts.amazonaws.com", []string{"GetFederationToken"}, nil, IndicatorPersistence, crit, "T1550.001",
		"minted a federation token, which outlives the key and opens the console", "Revoke the key's sessions (deny tokens issued before now).", FollowUpRevoke, "response.credentials.accessKeyId"},
	{"sts-session-token", "sts.amazonaws.com", []string{"GetSessionToken"}, nil, IndicatorCredentialAccess, info, "T1550.001",
		"minted a session token, valid after the key is deactivated", "Revoke the key's sessions (deny tokens issued before now).", FollowUpRevoke, "response.credentials.accessKeyId"},
	{"console-signin-token", "signin.amazonaws.com", []string{"GetSigninToken"}, nil, IndicatorPersistence, crit, "T1550.001",
		"turned temporary credentials into a console sign-in", "Revoke the key's sessions; review what the console session did.", FollowUpRevoke, ""},
	{"sso-permission-set", "sso.amazonaws.com", []string{"CreatePermissionSet", "AttachManagedPolicyToPermissionSet",
		"PutInlinePolicyToPermissionSet", "CreateAccountAssignment", "ProvisionPermissionSet"}, nil, IndicatorPersistence, crit, "T1098.003",
		"granted access through IAM Identity Center", "Delete the permission sets and account assignments it made.", FollowUpDelete, "name|permissionSetArn"},
	{"identitystore-user", "identitystore.amazonaws.com", []string{"CreateUser", "CreateGroupMembership"}, nil, IndicatorPersistence, crit, "T1136.003",
		"created an Identity Center user or group membership", "Delete the Identity Center user or membership.", FollowUpDelete, "userName|groupId"},
	{"org-leave", "organizations.amazonaws.com", []string{"LeaveOrganization"}, nil, IndicatorDefenseEvasion, crit, "T1666",
		"took the account out of its organization, away from its SCPs", "Invite the account back; its SCPs did not apply meanwhile.", FollowUpRestore, ""},
	{"account-enable-region", "account.amazonaws.com", []string{"EnableRegion"}, nil, IndicatorDefenseEvasion, crit, "T1535",
		"enabled a region the account did not use", "Sweep that region, then disable it again.", FollowUpRestore, "regionName"},

	{"cloudtrail-off", "cloudtrail.amazonaws.com", []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors",
		"DeleteEventDataStore", "StopEventDataStoreIngestion"}, nil, IndicatorDefenseEvasion, crit, "T1562.008",
		"stopped or narrowed CloudTrail", "Restart logging and restore the trail's settings.", FollowUpRestore, "name|trailName"},
	{"flow-logs-off", "ec2.amazonaws.com", []string{"DeleteFlowLogs"}, nil, IndicatorDefenseEvasion, crit, "T1562.008",
		"deleted VPC flow logs", "Recreate the flow logs.", FollowUpRestore, "flowLogIds[]"},
	{"logs-deleted", "logs.amazonaws.com", []string{"DeleteLogGroup", "DeleteLogStream"}, nil, IndicatorDefenseEvasion, warn, "T1562.008",
		"deleted CloudWatch log groups or streams", "Recreate the log groups; what they held is gone.", FollowUpRestore, "logGroupName"},
	{"s3-logging", "s3.amazonaws.com", []string{"PutBucketLogging"}, nil, IndicatorDefenseEvasion, warn, "T1562.008",
		"changed a bucket's access logging", "Restore the bucket's server access logging.", FollowUpRestore, "bucketName"},
	{"bedrock-logging-off", "bedrock.amazonaws.com", []string{"DeleteModelInvocationLoggingConfiguration"}, nil, IndicatorDefenseEvasion, crit, "T1562.008",
		"turned off Bedrock model invocation logging, as LLM-jackers do first", "Turn model invocation logging back on.", FollowUpRestore, ""},
	{"guardduty-off", "guardduty.amazonaws.com", []string{"DeleteDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount"}, nil,
		IndicatorDefenseEvasion, crit, "T1562.001",
		"deleted GuardDuty or cut it from its administrator", "Re-enable GuardDuty and re-associate the account.", FollowUpRestore, "detectorId"},
	{"guardduty-disabled", "guardduty.amazonaws.com", []string{"UpdateDetector"}, []Condition{{Path: "enable", In: []string{"false"}}},
		IndicatorDefenseEvasion, crit, "T1562.001",
		"suspended GuardDuty's detector", "Enable the detector again (UpdateDetector enable=true).", FollowUpRestore, "detectorId"},
	{"guardduty-trusted-ips", "guardduty.amazonaws.com", []string{"CreateIPSet", "UpdateIPSet"}, nil, IndicatorDefenseEvasion, crit, "T1562.001",
		"added a trusted IP list: GuardDuty raises no finding for those addresses", "Delete the IP set.", FollowUpDelete, "name|ipSetId"},
	{"guardduty-archive-filter", "guardduty.amazonaws.com", []string{"CreateFilter", "UpdateFilter"}, []Condition{{Path: "action", In: []string{"ARCHIVE"}}},
		IndicatorDefenseEvasion, crit, "T1562.001",
		"made GuardDuty archive findings automatically", "Delete the filter and review the findings it archived.", FollowUpDelete, "name"},
	{"guardduty-members", "guardduty.amazonaws.com", []string{"DeleteMembers", "StopMonitoringMembers", "DisassociateMembers"}, nil,
		IndicatorDefenseEvasion, warn, "T1562.001",
		"stopped GuardDuty watching member accounts", "Re-add the member accounts.", FollowUpRestore, "detectorId"},
	{"securityhub-off", "securityhub.amazonaws.com", []string{"DisableSecurityHub", "DisableImportFindingsForProduct"}, nil,
		IndicatorDefenseEvasion, crit, "T1562.001",
		"turned Security Hub or one of its finding sources off", "Enable Security Hub and the integration again.", FollowUpRestore, ""},
	{"securityhub-suppress", "securityhub.amazonaws.com", []string{"BatchUpdateFindings"}, []Condition{{Path: "workflow.status", In: suppressed}},
		IndicatorDefenseEvasion, crit, "T1562.001",
		"suppressed Security Hub findings", "Set the findings it suppressed back to NEW and read them.", FollowUpRestore, "findingIdentifiers[].id"},
	{"securityhub-suppress-rule", "securityhub.amazonaws.com", []string{"CreateAutomationRule", "BatchUpdateAutomationRules"},
		[]Condition{{Path: "actions[].findingFieldsUpdate.workflow.status|updateAutomationRulesRequestItems[].actions[].findingFieldsUpdate.workflow.status", In: suppressed}},
		IndicatorDefenseEvasion, crit, "T1562.001",
		"made Security Hub suppress findings automatically", "Delete the automation rule.", FollowUpDelete, "ruleName"},
	{"config-off", "config.amazonaws.com", []string{"StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"}, nil,
		IndicatorDefenseEvasion, crit, "T1562.008",
		"stopped AWS Config recording", "Start the configuration recorder again.", FollowUpRestore, "configurationRecorderName|deliveryChannelName"},
	{"config-rule-deleted", "config.amazonaws.com", []string{"DeleteConfigRule", "DeleteConformancePack"}, nil, IndicatorDefenseEvasion, warn, "T1562.001",
		"deleted AWS Config rules", "Recreate the rules.", FollowUpRestore, "configRuleName"},
	{"ebs-encryption-off", "ec2.amazonaws.com", []string{"DisableEbsEncryptionByDefault"}, nil, IndicatorDefenseEvasion, crit, "T1562.001",
		"turned EBS encryption by default off", "Enable EBS encryption by default in that region again.", FollowUpRestore, ""},
	{"firewall-opened", "ec2.amazonaws.com", []string{"AuthorizeSecurityGroupIngress"}, []Condition{anywhereV4},
		IndicatorDefenseEvasion, crit, "T1562.007",
		"opened a security group to the whole internet", "Revoke the rule it added.", FollowUpDelete, "groupId"},
	{"nacl-opened", "ec2.amazonaws.com", []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry"},
		[]Condition{anywhereV4, {Path: "ruleAction", In: []string{"allow"}}}, IndicatorDefenseEvasion, crit, "T1562.007",
		"opened a network ACL to the whole internet", "Delete the ACL entry it added.", FollowUpDelete, "networkAclId"},
	{"route-opened", "ec2.amazonaws.com", []string{"CreateRoute", "ReplaceRoute"}, []Condition{anywhereV4, {Path: "gatewayId"}},
		IndicatorDefenseEvasion, warn, "T1562.007",
		"routed a subnet to the internet", "Restore the route table.", FollowUpRestore, "routeTableId"},
}
