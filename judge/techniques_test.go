package judge

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// call is "EventName {requestParameters}" or "EventName {req} => {resp}",
// signed with the row's event source.
type techniqueCase struct{ yes, no string }

// techniqueCases hold, for every row of the table, a record that must
// match it and a look-alike that must not (another event of the same
// service, or the same event without the condition).
var techniqueCases = map[string]techniqueCase{
	"iam-create-user":           {`CreateUser {"userName":"svc-backup"}`, `GetUser {"userName":"svc-backup"}`},
	"iam-credentials":           {`CreateAccessKey {"userName":"x"} => {"accessKey":{"accessKeyId":"AKIAEXAMPLE000000001"}}`, `ListAccessKeys {"userName":"x"}`},
	"iam-ssh-key":               {`UploadSSHPublicKey {"userName":"x"}`, `ListSSHPublicKeys {"userName":"x"}`},
	"iam-create-role":           {`CreateRole {"roleName":"r"}`, `GetRole {"roleName":"r"}`},
	"iam-trust":                 {`UpdateAssumeRolePolicy {"roleName":"r"}`, `UpdateRole {"roleName":"r"}`},
	"iam-policy-grant":          {`AttachUserPolicy {"userName":"x","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, `DetachUserPolicy {"userName":"x"}`},
	"iam-boundary-removed":      {`DeleteRolePermissionsBoundary {"roleName":"r"}`, `PutRolePermissionsBoundary {"roleName":"r"}`},
	"iam-federation":            {`CreateSAMLProvider {"name":"okta"}`, `ListSAMLProviders {}`},
	"iam-mfa":                   {`DeactivateMFADevice {"userName":"x"}`, `ListMFADevices {"userName":"x"}`},
	"sts-federation-token":      {`GetFederationToken {"name":"x"} => {"credentials":{"accessKeyId":"ASIAEXAMPLE000000001"}}`, `GetCallerIdentity {}`},
	"sts-session-token":         {`GetSessionToken {}`, `GetAccessKeyInfo {}`},
	"console-signin-token":      {`GetSigninToken {}`, `ConsoleLogin {}`},
	"sso-permission-set":        {`CreateAccountAssignment {"permissionSetArn":"arn:aws:sso:::permissionSet/x"}`, `ListPermissionSets {}`},
	"identitystore-user":        {`CreateUser {"userName":"x"}`, `ListUsers {}`},
	"org-leave":                 {`LeaveOrganization {}`, `DescribeOrganization {}`},
	"account-enable-region":     {`EnableRegion {"regionName":"me-central-1"}`, `ListRegions {}`},
	"cloudtrail-off":            {`StopLogging {"name":"main"}`, `StartLogging {"name":"main"}`},
	"flow-logs-off":             {`DeleteFlowLogs {"flowLogIds":["fl-1"]}`, `CreateFlowLogs {}`},
	"logs-deleted":              {`DeleteLogGroup {"logGroupName":"/aws/lambda/x"}`, `CreateLogGroup {"logGroupName":"x"}`},
	"s3-logging":                {`PutBucketLogging {"bucketName":"b"}`, `GetBucketLogging {"bucketName":"b"}`},
	"bedrock-logging-off":       {`DeleteModelInvocationLoggingConfiguration {}`, `GetModelInvocationLoggingConfiguration {}`},
	"guardduty-off":             {`DeleteDetector {"detectorId":"d"}`, `CreateDetector {}`},
	"guardduty-disabled":        {`UpdateDetector {"detectorId":"d","enable":false}`, `UpdateDetector {"detectorId":"d","enable":true}`},
	"guardduty-trusted-ips":     {`CreateIPSet {"detectorId":"d","name":"ok"}`, `CreateThreatIntelSet {"detectorId":"d"}`},
	"guardduty-archive-filter":  {`CreateFilter {"name":"quiet","action":"ARCHIVE"}`, `CreateFilter {"name":"watch","action":"NOOP"}`},
	"guardduty-members":         {`StopMonitoringMembers {"detectorId":"d"}`, `StartMonitoringMembers {"detectorId":"d"}`},
	"securityhub-off":           {`DisableSecurityHub {}`, `EnableSecurityHub {}`},
	"securityhub-suppress":      {`BatchUpdateFindings {"workflow":{"status":"SUPPRESSED"}}`, `BatchUpdateFindings {"workflow":{"status":"RESOLVED"}}`},
	"securityhub-suppress-rule": {`CreateAutomationRule {"ruleName":"r","actions":[{"findingFieldsUpdate":{"workflow":{"status":"SUPPRESSED"}}}]}`, `CreateAutomationRule {"ruleName":"r","actions":[{"findingFieldsUpdate":{"severity":{"label":"LOW"}}}]}`},
	"config-off":                {`StopConfigurationRecorder {"configurationRecorderName":"default"}`, `StartConfigurationRecorder {}`},
	"config-rule-deleted":       {`DeleteConfigRule {"configRuleName":"r"}`, `PutConfigRule {}`},
	"ebs-encryption-off":        {`DisableEbsEncryptionByDefault {}`, `EnableEbsEncryptionByDefault {}`},
	"firewall-opened":           {`AuthorizeSecurityGroupIngress {"groupId":"sg-1","ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, `AuthorizeSecurityGroupIngress {"groupId":"sg-1","ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}}`},
	"nacl-opened":               {`CreateNetworkAclEntry {"cidrBlock":"0.0.0.0/0","ruleAction":"allow"}`, `CreateNetworkAclEntry {"cidrBlock":"0.0.0.0/0","ruleAction":"deny"}`},
	"route-opened":              {`CreateRoute {"destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-1"}`, `CreateRoute {"destinationCidrBlock":"0.0.0.0/0","natGatewayId":"nat-1"}`},
	"secret-read":               {`GetSecretValue {"secretId":"prod/db"}`, `DescribeSecret {"secretId":"prod/db"}`},
	"parameter-decrypted":       {`GetParameter {"name":"/db/password","withDecryption":true}`, `GetParameter {"name":"/db/host"}`},
	"windows-password":          {`GetPasswordData {"instanceId":"i-1"}`, `GetConsoleOutput {"instanceId":"i-1"}`},
	"user-data-read":            {`DescribeInstanceAttribute {"instanceId":"i-1","attribute":"userData"}`, `DescribeInstanceAttribute {"instanceId":"i-1","attribute":"instanceType"}`},
	"rds-master-password":       {`ModifyDBInstance {"dBInstanceIdentifier":"db","masterUserPassword":"****"}`, `ModifyDBInstance {"dBInstanceIdentifier":"db","allocatedStorage":100}`},
	"snapshot-shared":           {`ModifySnapshotAttribute {"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}`, `ModifySnapshotAttribute {"snapshotId":"snap-1","createVolumePermission":{"remove":{"items":[{"userId":"999988887777"}]}}}`},
	"image-shared":              {`ModifyImageAttribute {"imageId":"ami-1","launchPermission":{"add":{"items":[{"group":"all"}]}}}`, `ModifyImageAttribute {"imageId":"ami-1","description":{"value":"x"}}`},
	"vm-export":                 {`CreateInstanceExportTask {"instanceId":"i-1"}`, `DescribeExportTasks {}`},
	"rds-snapshot-shared":       {`ModifyDBSnapshotAttribute {"dBSnapshotIdentifier":"s","attributeName":"restore","valuesToAdd":["all"]}`, `ModifyDBSnapshotAttribute {"dBSnapshotIdentifier":"s","attributeName":"restore","valuesToRemove":["all"]}`},
	"rds-public-restore":        {`RestoreDBInstanceFromDBSnapshot {"dBInstanceIdentifier":"x","publiclyAccessible":true}`, `RestoreDBInstanceFromDBSnapshot {"dBInstanceIdentifier":"x","publiclyAccessible":false}`},
	"s3-replication":            {`PutBucketReplication {"bucketName":"b"}`, `GetBucketReplication {"bucketName":"b"}`},
	"s3-public":                 {`PutBucketPolicy {"bucketName":"b"}`, `GetBucketPolicy {"bucketName":"b"}`},
	"efs-policy":                {`PutFileSystemPolicy {"fileSystemId":"fs-1"}`, `DescribeFileSystemPolicy {"fileSystemId":"fs-1"}`},
	"lambda-layer-shared":       {`AddLayerVersionPermission {"layerName":"l","principal":"*"}`, `GetLayerVersionPolicy {"layerName":"l"}`},
	"s3-bucket-deleted":         {`DeleteBucket {"bucketName":"b"}`, `DeleteBucketPolicy {"bucketName":"b"}`},
	"s3-versioning-off":         {`PutBucketVersioning {"bucketName":"b","VersioningConfiguration":{"Status":"Suspended"}}`, `PutBucketVersioning {"bucketName":"b","VersioningConfiguration":{"Status":"Enabled"}}`},
	"s3-lifecycle":              {`PutBucketLifecycle {"bucketName":"b"}`, `GetBucketLifecycle {"bucketName":"b"}`},
	"s3-encryption":             {`PutBucketEncryption {"bucketName":"b"}`, `GetBucketEncryption {"bucketName":"b"}`},
	"kms-key-material":          {`ImportKeyMaterial {"keyId":"k"}`, `GetParametersForImport {"keyId":"k"}`},
	"kms-key-deletion":          {`ScheduleKeyDeletion {"keyId":"k"}`, `CancelKeyDeletion {"keyId":"k"}`},
	"rds-deleted":               {`DeleteDBInstance {"dBInstanceIdentifier":"db"}`, `DescribeDBInstances {}`},
	"efs-deleted":               {`DeleteFileSystem {"fileSystemId":"fs-1"}`, `DescribeFileSystems {}`},
	"route53-domain-transfer":   {`TransferDomainToAnotherAwsAccount {"domainName":"example.com"}`, `GetDomainDetail {"domainName":"example.com"}`},
	"bedrock-model-access":      {`PutFoundationModelEntitlement {"modelId":"anthropic.claude-3"}`, `GetFoundationModel {"modelId":"anthropic.claude-3"}`},
	"bedrock-invoke":            {`InvokeModel {"modelId":"anthropic.claude-3"}`, `GetFoundationModel {"modelId":"anthropic.claude-3"}`},
	"bedrock-guardrail":         {`DeleteGuardrail {"guardrailIdentifier":"g"}`, `GetGuardrail {"guardrailIdentifier":"g"}`},
	"ses-identity":              {`VerifyEmailIdentity {"emailAddress":"billing@example.com"}`, `GetIdentityVerificationAttributes {}`},
	"sesv2-identity":            {`CreateEmailIdentity {"emailIdentity":"example.com"}`, `GetEmailIdentity {"emailIdentity":"example.com"}`},
	"ses-send":                  {`SendEmail {"source":"billing@brightpath-invoices.com"}`, `GetSendStatistics {}`},
	"ses-sending-on":            {`UpdateAccountSendingEnabled {"enabled":true}`, `UpdateAccountSendingEnabled {"enabled":false}`},
	"compute-launched":          {`RunInstances {} => {"instancesSet":{"items":[{"instanceId":"i-0bad"}]}}`, `DescribeInstances {}`},
	"user-data-changed":         {`ModifyInstanceAttribute {"instanceId":"i-1","userData":"<sensitiveDataRemoved>"}`, `ModifyInstanceAttribute {"instanceId":"i-1","instanceType":{"value":"t3.large"}}`},
	"ec2-key-pair":              {`ImportKeyPair {"keyName":"k"}`, `DescribeKeyPairs {}`},
	"instance-connect":          {`SendSSHPublicKey {"instanceId":"i-1"}`, `DescribeInstanceConnectEndpoints {}`},
	"ssm-command":               {`SendCommand {"instanceIds":["i-1"],"documentName":"AWS-RunShellScript"}`, `ListCommands {}`},
	"ecs-run":                   {`RunTask {"taskDefinition":"miner:1"}`, `DescribeTasks {}`},
	"eks-access":                {`CreateAccessEntry {"clusterName":"c"}`, `ListAccessEntries {"clusterName":"c"}`},
	"glue-endpoint":             {`CreateDevEndpoint {"endpointName":"e"}`, `GetDevEndpoints {}`},
	"lambda-created":            {`CreateFunction20150331 {"functionName":"f"}`, `GetFunction20150331v2 {"functionName":"f"}`},
	"lambda-public":             {`AddPermission20150331v2 {"functionName":"f","principal":"*"}`, `AddPermission20150331v2 {"functionName":"f","principal":"s3.amazonaws.com"}`},
	"lambda-code":               {`UpdateFunctionCode20150331v2 {"functionName":"f"}`, `GetFunction20150331v2 {"functionName":"f"}`},
	"lambda-layers":             {`UpdateFunctionConfiguration20150331v2 {"functionName":"f","layers":["arn:aws:lambda:us-east-1:999988887777:layer:x:1"]}`, `UpdateFunctionConfiguration20150331v2 {"functionName":"f","timeout":30}`},
	"recon-identity":            {`GetCallerIdentity {}`, `GetAccessKeyInfo {}`},
	"recon-accounts":            {`ListUsers {}`, `ChangePassword {}`},
	"recon-permissions":         {`GetAccountAuthorizationDetails {}`, `GetAccountPasswordPolicy {}`},
	"recon-buckets":             {`ListBuckets {}`, `GetObject {"bucketName":"b"}`},
	"recon-services":            {`ListFoundationModels {}`, `GetFoundationModel {}`},
	"recon-ses":                 {`GetSendQuota {}`, `SendEmail {}`},
	"recon-security":            {`ListDetectors {}`, `ListFindings {}`},
}

// techniqueRecord builds the record a case describes.
func techniqueRecord(t *testing.T, source, spec string) TrailRecord {
	t.Helper()
	name, rest, _ := strings.Cut(spec, " ")
	req, resp, _ := strings.Cut(rest, " => ")
	r := TrailRecord{EventSource: source, EventName: name, EventTime: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		AWSRegion: "us-east-1", EventID: "e-1", SourceIPAddress: "198.51.100.9", UserAgent: "aws-cli/2.15.0"}
	for raw, into := range map[string]*json.RawMessage{req: &r.RequestParameters, resp: &r.ResponseElements} {
		if raw == "" {
			continue
		}
		if !json.Valid([]byte(raw)) {
			t.Fatalf("case %q: invalid JSON %s", spec, raw)
		}
		*into = json.RawMessage(raw)
	}
	return r
}

func TestEveryTechniqueBothWays(t *testing.T) {
	seen := map[string]bool{}
	for _, row := range Techniques {
		t.Run(row.ID, func(t *testing.T) {
			if seen[row.ID] {
				t.Fatalf("row ID %s is used twice", row.ID)
			}
			seen[row.ID] = true
			tc, ok := techniqueCases[row.ID]
			if !ok {
				t.Fatal("the row has no test case: add one that matches and one that must not")
			}
			yes := techniqueRecord(t, row.Source, tc.yes)
			if !slices.ContainsFunc(Match(&yes), func(m *Technique) bool { return m.ID == row.ID }) {
				t.Errorf("%s does not match", tc.yes)
			}
			no := techniqueRecord(t, row.Source, tc.no)
			if slices.ContainsFunc(Match(&no), func(m *Technique) bool { return m.ID == row.ID }) {
				t.Errorf("%s matches, and must not", tc.no)
			}
			if row.Why == "" || !strings.HasPrefix(row.ATTACK, "T1") || kindVerbs[row.Kind][0] == "" && row.Kind != IndicatorRecon {
				t.Errorf("incomplete row: why %q, ATT&CK %q, kind %q", row.Why, row.ATTACK, row.Kind)
			}
			if (row.FollowUp == "") != (row.Do == "") && row.FollowUp != "" {
				t.Errorf("follow-up %q without what to do", row.FollowUp)
			}
		})
	}
	for id := range techniqueCases {
		if !seen[id] {
			t.Errorf("test case %s names no row", id)
		}
	}
}

// What a row's call acted on is what its follow-up lists.
func TestTechniqueTargets(t *testing.T) {
	tests := []struct{ row, spec, want string }{
		{"secret-read", `GetSecretValue {"secretId":"prod/db"}`, "prod/db"},
		{"snapshot-shared", `ModifySnapshotAttribute {"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"9"}]}}}`, "snap-1"},
		{"compute-launched", `RunInstances {} => {"instancesSet":{"items":[{"instanceId":"i-0bad"},{"instanceId":"i-0bad2"}]}}`, "i-0bad i-0bad2"},
		{"ses-identity", `VerifyDomainIdentity {"domain":"example.com"}`, "example.com"},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(Techniques, func(x Technique) bool { return x.ID == tt.row })
		r := techniqueRecord(t, Techniques[i].Source, tt.spec)
		req, resp := Params{raw: r.RequestParameters}, Params{raw: r.ResponseElements}
		if got := strings.Join(Techniques[i].targets(&req, &resp), " "); got != tt.want {
			t.Errorf("%s: targets %q, want %q", tt.row, got, tt.want)
		}
	}
}
