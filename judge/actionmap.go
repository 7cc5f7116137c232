package judge

import (
	"regexp"
	"strings"
)

// This file is the one table of how a CloudTrail event becomes IAM actions:
// eventSource → IAM prefix, eventName → action name, the calls that need no
// permission, and which calls hand a role to a service (iam:PassRole, which
// never shows in CloudTrail). Every exception lives here, nowhere else.

// iamPrefixBySource lists the services whose eventSource does not start
// with their IAM prefix. Every other source maps by its first label
// (s3.amazonaws.com → s3).
var iamPrefixBySource = map[string]string{
	"monitoring.amazonaws.com":        "cloudwatch", // CloudWatch's API host is monitoring.
	"email.amazonaws.com":             "ses",        // SES v1 API host.
	"tagging.amazonaws.com":           "tag",        // Resource Groups Tagging API.
	"models.lex.amazonaws.com":        "lex",
	"runtime.lex.amazonaws.com":       "lex",
	"runtime.sagemaker.amazonaws.com": "sagemaker",
	"api.sagemaker.amazonaws.com":     "sagemaker",
	"data.iot.amazonaws.com":          "iot",
	"streams.dynamodb.amazonaws.com":  "dynamodb",
	"elasticmapreduce.amazonaws.com":  "elasticmapreduce",
	"sso-directory.amazonaws.com":     "sso-directory",
}

// noPermissionSources carry events that no IAM policy grants: sign-in
// events are the console's, not API calls a replacement makes.
var noPermissionSources = map[string]bool{
	"signin.amazonaws.com": true,
}

// noPermissionActions need no IAM permission, or are not signed with the
// key, so a replacement's policy never lists them.
var noPermissionActions = map[string]bool{
	"sts:GetCallerIdentity":         true, // always allowed (STS API reference)
	"sts:AssumeRoleWithWebIdentity": true, // authorised by the token, not a policy
	"sts:AssumeRoleWithSAML":        true,
	"sso:GetRoleCredentials":        true, // authorised by the SSO access token
	"sso-oauth:CreateToken":         true,
}

// iamActionByEvent maps the events whose name differs from the IAM action
// they need. A value of two or more actions means the call needs all.
var iamActionByEvent = map[string][]string{
	"s3:ListBuckets":                        {"s3:ListAllMyBuckets"},
	"s3:ListObjects":                        {"s3:ListBucket"},
	"s3:ListObjectsV2":                      {"s3:ListBucket"},
	"s3:HeadBucket":                         {"s3:ListBucket"},
	"s3:ListObjectVersions":                 {"s3:ListBucketVersions"},
	"s3:ListMultipartUploads":               {"s3:ListBucketMultipartUploads"},
	"s3:ListParts":                          {"s3:ListMultipartUploadParts"},
	"s3:HeadObject":                         {"s3:GetObject"},
	"s3:CopyObject":                         {"s3:GetObject", "s3:PutObject"},
	"s3:UploadPartCopy":                     {"s3:GetObject", "s3:PutObject"},
	"s3:CreateMultipartUpload":              {"s3:PutObject"},
	"s3:UploadPart":                         {"s3:PutObject"},
	"s3:CompleteMultipartUpload":            {"s3:PutObject"},
	"s3:DeleteObjects":                      {"s3:DeleteObject"},
	"s3:GetBucketEncryption":                {"s3:GetEncryptionConfiguration"},
	"s3:PutBucketEncryption":                {"s3:PutEncryptionConfiguration"},
	"s3:DeleteBucketEncryption":             {"s3:PutEncryptionConfiguration"},
	"s3:GetBucketLifecycle":                 {"s3:GetLifecycleConfiguration"},
	"s3:GetBucketLifecycleConfiguration":    {"s3:GetLifecycleConfiguration"},
	"s3:PutBucketLifecycle":                 {"s3:PutLifecycleConfiguration"},
	"s3:PutBucketLifecycleConfiguration":    {"s3:PutLifecycleConfiguration"},
	"s3:DeleteBucketLifecycle":              {"s3:PutLifecycleConfiguration"},
	"s3:GetBucketReplication":               {"s3:GetReplicationConfiguration"},
	"s3:PutBucketReplication":               {"s3:PutReplicationConfiguration"},
	"s3:GetBucketCors":                      {"s3:GetBucketCORS"},
	"s3:PutBucketCors":                      {"s3:PutBucketCORS"},
	"s3:DeleteBucketCors":                   {"s3:PutBucketCORS"},
	"s3:GetBucketAccelerateConfiguration":   {"s3:GetAccelerateConfiguration"},
	"s3:GetBucketNotificationConfiguration": {"s3:GetBucketNotification"},
	"s3:PutBucketNotificationConfiguration": {"s3:PutBucketNotification"},
	"s3:GetPublicAccessBlock":               {"s3:GetBucketPublicAccessBlock"},
	"s3:PutPublicAccessBlock":               {"s3:PutBucketPublicAccessBlock"},
	"lambda:Invoke":                         {"lambda:InvokeFunction"},
	"lambda:InvokeWithResponseStream":       {"lambda:InvokeFunction"},
}

// versionSuffix matches the API-version suffixes some services put on event
// names: Lambda's UpdateFunctionConfiguration20150331v2, CloudFront's
// UpdateDistribution2017_03_25. The IAM action has no suffix.
var versionSuffix = regexp.MustCompile(`^([A-Za-z]+?)(?:20\d{6}(?:v\d+)?|20\d{2}_\d{2}_\d{2})$`)

// IAMPrefix returns the IAM service prefix of a CloudTrail eventSource.
func IAMPrefix(eventSource string) string {
	if p, ok := iamPrefixBySource[eventSource]; ok {
		return p
	}
	p, _, _ := strings.Cut(eventSource, ".")
	return p
}

// NormalizeEventName strips an API-version suffix from an event name.
func NormalizeEventName(eventName string) string {
	if m := versionSuffix.FindStringSubmatch(eventName); m != nil {
		return m[1]
	}
	return eventName
}

// IAMActions returns the IAM actions a call needs, as "prefix:Action",
// or nil when the call needs no permission (sts:GetCallerIdentity).
// iam:PassRole is not among them: it depends on the call's parameters, so
// the aggregator records the roles a call passed and BuildPolicy adds it.
func IAMActions(eventSource, eventName string) []string {
	if noPermissionSources[eventSource] {
		return nil
	}
	action := IAMPrefix(eventSource) + ":" + NormalizeEventName(eventName)
	if noPermissionActions[action] {
		return nil
	}
	if mapped, ok := iamActionByEvent[action]; ok {
		return mapped
	}
	return []string{action}
}

// PassRoleService names, per IAM prefix, the service a passed role goes to,
// for the iam:PassedToService condition that keeps iam:PassRole narrow.
var PassRoleService = map[string]string{
	"ec2":            "ec2.amazonaws.com",
	"lambda":         "lambda.amazonaws.com",
	"ecs":            "ecs-tasks.amazonaws.com",
	"cloudformation": "cloudformation.amazonaws.com",
	"states":         "states.amazonaws.com",
}

// passRoleParams lists, per normalised call, the requestParameters that
// hand a role (or an instance profile, for EC2) to a service. A path of
// "a.b" looks inside object a. These calls need iam:PassRole on the role.
var passRoleParams = map[string][]string{
	"ec2:RunInstances":                         {"iamInstanceProfile.arn", "iamInstanceProfile.name"},
	"ec2:AssociateIamInstanceProfile":          {"iamInstanceProfile.arn", "iamInstanceProfile.name", "AssociateIamInstanceProfileRequest.IamInstanceProfile.Arn", "AssociateIamInstanceProfileRequest.IamInstanceProfile.Name"},
	"ec2:ReplaceIamInstanceProfileAssociation": {"iamInstanceProfile.arn", "iamInstanceProfile.name", "ReplaceIamInstanceProfileAssociationRequest.IamInstanceProfile.Arn", "ReplaceIamInstanceProfileAssociationRequest.IamInstanceProfile.Name"},
	"lambda:CreateFunction":                    {"role"},
	"lambda:UpdateFunctionConfiguration":       {"role"},
	"ecs:RegisterTaskDefinition":               {"taskRoleArn", "executionRoleArn"},
	"cloudformation:CreateStack":               {"roleARN"},
	"cloudformation:UpdateStack":               {"roleARN"},
	"cloudformation:CreateChangeSet":           {"roleARN"},
	"states:CreateStateMachine":                {"roleArn"},
	"states:UpdateStateMachine":                {"roleArn"},
}

// PassedRoleARN reports whether an ARN in an action's resources is a role
// or instance profile handed to a service rather than the action's own.
func PassedRoleARN(prefix, arn string) bool {
	if prefix == "iam" || prefix == "sts" {
		return false
	}
	return strings.Contains(arn, ":iam::") &&
		(strings.Contains(arn, ":role/") || strings.Contains(arn, ":instance-profile/"))
}

// arnScope is where a record's ARNs live.
type arnScope struct{ partition, region, account string }

func scopeOf(r *TrailRecord) arnScope {
	return arnScope{Partition(r.AWSRegion), r.AWSRegion, r.Account()}
}

// Partition is the ARN partition of a region: aws-cn for China, aws-us-gov
// for GovCloud, aws elsewhere.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (s arnScope) arn(service, resource string) string {
	return "arn:" + s.partition + ":" + service + ":" + s.region + ":" + s.account + ":" + resource
}

func (s arnScope) global(service, resource string) string {
	return "arn:" + s.partition + ":" + service + "::" + s.account + ":" + resource
}

// ec2InstanceActions support instance ARNs as their resource (Amazon EC2
// service authorization reference); the rest of EC2 is granted on "*".
var ec2InstanceActions = map[string]bool{
	"StartInstances": true, "StopInstances": true, "RebootInstances": true,
	"TerminateInstances": true, "MonitorInstances": true, "UnmonitorInstances": true,
	"GetConsoleOutput": true, "GetConsoleScreenshot": true, "GetPasswordData": true,
	"ModifyInstanceAttribute": true, "ResetInstanceAttribute": true,
}

// callResources returns the ARNs a successful call's permission is checked
// on (own) and the roles or instance profiles it handed to a service
// (passed). No own ARN means the call is granted on "*": either the action
// takes no resource (ec2:DescribeInstances) or the event named none.
func callResources(prefix, action, call string, r *TrailRecord) (own, passed []string) {
	p := Params{raw: r.RequestParameters}
	s := scopeOf(r)
	for _, path := range passRoleParams[call] {
		for _, v := range p.strs(path) {
			switch {
			case strings.HasPrefix(v, "arn:"):
				passed = append(passed, v)
			case strings.Contains(path, "nstanceProfile"):
				passed = append(passed, s.global("iam", "instance-profile/"+v))
			default:
				passed = append(passed, s.global("iam", "role/"+v))
			}
		}
	}
	if find, ok := resourcesByService[prefix]; ok {
		own = find(action, s, &p, r)
	}
	return own, passed
}

func s3Resources(action string, s arnScope, p *Params) []string {
	bucket := p.str("bucketName")
	if bucket == "" {
		return nil
	}
	objectLevel := strings.Contains(action, "Object") && !strings.HasPrefix(action, "ListObject") &&
		!strings.Contains(action, "ObjectLock")
	switch action {
	case "UploadPart", "UploadPartCopy", "CreateMultipartUpload", "CompleteMultipartUpload",
		"AbortMultipartUpload", "ListParts":
		objectLevel = true
	}
	base := "arn:" + s.partition + ":s3:::"
	if !objectLevel {
		return []string{base + bucket}
	}
	// Object keys are widened to the bucket's objects: listing every key
	// would make the policy as long as the bucket.
	out := []string{base + bucket + "/*"}
	if src := strings.TrimPrefix(p.str("x-amz-copy-source"), "/"); src != "" {
		srcBucket, _, _ := strings.Cut(src, "/")
		out = append(out, base+srcBucket+"/*")
	}
	return out
}

func lambdaFunctionARN(fn string, s arnScope) string {
	switch {
	case strings.HasPrefix(fn, "arn:"):
		return fn
	case strings.Contains(fn, ":function:"): // account:function:name
		return "arn:" + s.partition + ":lambda:" + s.region + ":" + fn
	}
	return s.arn("lambda", "function:"+fn)
}

// iamResources picks the entity an IAM call acts on from its name: the
// group of AddUserToGroup, the role of AttachRolePolicy, the user of
// CreateAccessKey (the caller itself when userName is absent).
func iamResources(action string, r *TrailRecord, s arnScope, p *Params) []string {
	entity := func(kind, param string) []string {
		if v := p.str(param); v != "" {
			return []string{s.global("iam", kind+"/"+v)}
		}
		return nil
	}
	switch {
	case strings.Contains(action, "Group"):
		return entity("group", "groupName")
	case strings.Contains(action, "InstanceProfile"):
		return entity("instance-profile", "instanceProfileName")
	case strings.Contains(action, "Role"):
		return entity("role", "roleName")
	case strings.Contains(action, "User") || strings.Contains(action, "AccessKey") ||
		strings.Contains(action, "LoginProfile") || strings.Contains(action, "MFADevice") ||
		strings.Contains(action, "SSHPublicKey") || strings.Contains(action, "SigningCertificate"):
		if own := entity("user", "userName"); own != nil {
			return own
		}
		// Without userName IAM acts on the calling user itself.
		if action != "ListUsers" && r.UserIdentity.Type == "IAMUser" && r.UserIdentity.ARN != "" {
			return []string{r.UserIdentity.ARN}
		}
		return nil
	case strings.Contains(action, "Policy"):
		if arn := p.str("policyArn"); arn != "" {
			return []string{arn}
		}
	}
	return nil
}
