package sim

// iamAPI is IAM (query protocol, Version 2010-05-08): every operation
// the sim serves, whichever file handles it (iam_users.go, iam_policies.go,
// iam_roles.go, iam_oidc.go, iam_simulate.go, iam_report.go; org_ops.go
// and org_member.go for centralized root access).
func iamAPI() *service {
	user := func(s *Sim, c *call) string { return s.userResource(c) }
	role := func(s *Sim, c *call) string {
		return "arn:aws:iam::" + s.acct.id + ":role/" + c.params.Get("RoleName")
	}
	profile := func(s *Sim, c *call) string {
		return "arn:aws:iam::" + s.acct.id + ":instance-profile/" + c.params.Get("InstanceProfileName")
	}
	provider := func(s *Sim, c *call) string {
		if arn := c.params.Get("OpenIDConnectProviderArn"); arn != "" {
			return arn
		}
		return s.oidcARN(oidcHost(c.params.Get("Url")))
	}
	return &service{name: "iam", wires: []string{wireQuery}, global: true, xmlns: "https://iam.amazonaws.com/doc/2010-05-08/", ops: map[string]op{
		// Users and their keys (iam_users.go).
		"ListUsers":            {fn: opListUsers, readOnly: true},
		"GetUser":              {fn: opGetUser, readOnly: true, resource: user},
		"CreateUser":           {fn: opCreateUser, resource: user},
		"DeleteUser":           {fn: opDeleteUser, resource: user},
		"ListAccessKeys":       {fn: opListAccessKeys, readOnly: true, resource: user},
		"GetAccessKeyLastUsed": {fn: opGetAccessKeyLastUsed, readOnly: true, resource: keyOwnerResource},
		"CreateAccessKey":      {fn: opCreateAccessKey, resource: user},
		"UpdateAccessKey":      {fn: opUpdateAccessKey, resource: user},
		"DeleteAccessKey":      {fn: opDeleteAccessKey, resource: user},
		// A user's sign-in, groups and MFA (iam_users.go, org_member.go).
		"GetLoginProfile":    {fn: opGetLoginProfile, readOnly: true, resource: user},
		"DeleteLoginProfile": {fn: opDeleteLoginProfile, resource: user},
		"ListGroupsForUser":  {fn: opListGroupsForUser, readOnly: true, resource: user},
		"ListMFADevices":     {fn: opListMFADevices, readOnly: true, resource: user},
		// A user's policies (iam_policies.go).
		"ListAttachedUserPolicies": {fn: opListAttachedUserPolicies, readOnly: true, resource: user},
		"AttachUserPolicy":         {fn: opAttachUserPolicy, resource: user},
		"DetachUserPolicy":         {fn: opDetachUserPolicy, resource: user},
		"ListUserPolicies":         {fn: opListUserPolicies, readOnly: true, resource: user},
		"GetUserPolicy":            {fn: opGetUserPolicy, readOnly: true, resource: user},
		"PutUserPolicy":            {fn: opPutUserPolicy, resource: user},
		"DeleteUserPolicy":         {fn: opDeleteUserPolicy, resource: user},
		// Roles and instance profiles (iam_policies.go, iam_roles.go).
		"CreateRole":                    {fn: opCreateRole, resource: role},
		"GetRole":                       {fn: opGetRole, readOnly: true, resource: role},
		"DeleteRole":                    {fn: opDeleteRole, resource: role},
		"PutRolePolicy":                 {fn: opPutRolePolicy, resource: role},
		"GetRolePolicy":                 {fn: opGetRolePolicy, readOnly: true, resource: role},
		"DeleteRolePolicy":              {fn: opDeleteRolePolicy, resource: role},
		"ListRolePolicies":              {fn: opListRolePolicies, readOnly: true, resource: role},
		"AttachRolePolicy":              {fn: opAttachRolePolicy, resource: role},
		"DetachRolePolicy":              {fn: opDetachRolePolicy, resource: role},
		"ListAttachedRolePolicies":      {fn: opListAttachedRolePolicies, readOnly: true, resource: role},
		"ListInstanceProfilesForRole":   {fn: opListInstanceProfilesForRole, readOnly: true, resource: role},
		"CreateInstanceProfile":         {fn: opCreateInstanceProfile, resource: profile},
		"GetInstanceProfile":            {fn: opGetInstanceProfile, readOnly: true, resource: profile},
		"AddRoleToInstanceProfile":      {fn: opAddRoleToInstanceProfile, resource: profile},
		"RemoveRoleFromInstanceProfile": {fn: opRemoveRoleFromInstanceProfile, resource: profile},
		"DeleteInstanceProfile":         {fn: opDeleteInstanceProfile, resource: profile},
		// OIDC providers (iam_oidc.go) and the policy simulator (iam_simulate.go).
		"CreateOpenIDConnectProvider": {fn: opCreateOpenIDConnectProvider, resource: provider},
		"GetOpenIDConnectProvider":    {fn: opGetOpenIDConnectProvider, readOnly: true, resource: provider},
		"ListOpenIDConnectProviders":  {fn: opListOpenIDConnectProviders, readOnly: true},
		"SimulateCustomPolicy":        {fn: opSimulateCustomPolicy, readOnly: true},
		// The account's summary and credential report (iam_report.go).
		"GetAccountSummary":        {fn: opGetAccountSummary, readOnly: true},
		"GenerateCredentialReport": {fn: opGenerateCredentialReport, readOnly: true},
		"GetCredentialReport":      {fn: opGetCredentialReport, readOnly: true},
		// Centralized root access in an organization (org_ops.go).
		"ListOrganizationsFeatures":                    {fn: opListOrganizationsFeatures, readOnly: true},
		"EnableOrganizationsRootCredentialsManagement": {fn: opEnableRootFeature},
		"EnableOrganizationsRootSessions":              {fn: opEnableRootFeature},
	}}
}
