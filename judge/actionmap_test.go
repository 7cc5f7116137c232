package judge

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/judge/judgetest"
)

func TestIAMActions(t *testing.T) {
	tests := []struct {
		source, name string
		want         []string
	}{
		{"monitoring.amazonaws.com", "PutMetricData", []string{"cloudwatch:PutMetricData"}},
		{"email.amazonaws.com", "SendEmail", []string{"ses:SendEmail"}},
		{"tagging.amazonaws.com", "GetResources", []string{"tag:GetResources"}},
		{"lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", []string{"lambda:UpdateFunctionConfiguration"}},
		{"lambda.amazonaws.com", "CreateFunction20150331", []string{"lambda:CreateFunction"}},
		{"lambda.amazonaws.com", "ListFunctions20150331", []string{"lambda:ListFunctions"}},
		{"lambda.amazonaws.com", "Invoke", []string{"lambda:InvokeFunction"}},
		{"cloudfront.amazonaws.com", "UpdateDistribution2017_03_25", []string{"cloudfront:UpdateDistribution"}},
		{"s3.amazonaws.com", "ListBuckets", []string{"s3:ListAllMyBuckets"}},
		{"s3.amazonaws.com", "ListObjectsV2", []string{"s3:ListBucket"}},
		{"s3.amazonaws.com", "HeadObject", []string{"s3:GetObject"}},
		{"s3.amazonaws.com", "CopyObject", []string{"s3:GetObject", "s3:PutObject"}},
		{"s3.amazonaws.com", "GetBucketEncryption", []string{"s3:GetEncryptionConfiguration"}},
		{"sts.amazonaws.com", "GetCallerIdentity", nil},
		{"sts.amazonaws.com", "AssumeRoleWithWebIdentity", nil},
		{"sts.amazonaws.com", "AssumeRole", []string{"sts:AssumeRole"}},
		{"signin.amazonaws.com", "ConsoleLogin", nil},
		{"ec2.amazonaws.com", "DescribeInstances", []string{"ec2:DescribeInstances"}},
		{"logs.amazonaws.com", "CreateLogStream", []string{"logs:CreateLogStream"}},
	}
	for _, tt := range tests {
		if got := IAMActions(tt.source, tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("IAMActions(%s, %s) = %v, want %v", tt.source, tt.name, got, tt.want)
		}
	}
}

func TestCallResources(t *testing.T) {
	tests := []struct {
		name, src, event, region, req, resources string
		own, passed                              []string
	}{
		{"bucket-level", "s3.amazonaws.com", "GetBucketLocation", "us-east-1", `{"bucketName":"b"}`, "",
			[]string{"arn:aws:s3:::b"}, nil},
		{"object-level widens to the bucket's objects", "s3.amazonaws.com", "PutObject", "us-east-1", `{"bucketName":"b","key":"k/1"}`, "",
			[]string{"arn:aws:s3:::b/*"}, nil},
		{"copy reads the source bucket", "s3.amazonaws.com", "CopyObject", "us-east-1", `{"bucketName":"b","x-amz-copy-source":"src/k"}`, "",
			[]string{"arn:aws:s3:::b/*", "arn:aws:s3:::src/*"}, nil},
		{"object lock configuration is the bucket's", "s3.amazonaws.com", "GetObjectLockConfiguration", "us-east-1", `{"bucketName":"b"}`, "",
			[]string{"arn:aws:s3:::b"}, nil},
		{"China partition", "s3.amazonaws.com", "GetBucketAcl", "cn-north-1", `{"bucketName":"b"}`, "",
			[]string{"arn:aws-cn:s3:::b"}, nil},
		{"no bucket named", "s3.amazonaws.com", "ListBuckets", "us-east-1", ``, "", nil, nil},
		{"instances", "ec2.amazonaws.com", "StopInstances", "eu-west-1", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`, "",
			[]string{"arn:aws:ec2:eu-west-1:111122223333:instance/i-1", "arn:aws:ec2:eu-west-1:111122223333:instance/i-2"}, nil},
		{"describe takes no resource", "ec2.amazonaws.com", "DescribeInstances", "eu-west-1", `{"instancesSet":{"items":[{"instanceId":"i-1"}]}}`, "", nil, nil},
		{"run instances passes a profile", "ec2.amazonaws.com", "RunInstances", "eu-west-1", `{"iamInstanceProfile":{"name":"web"}}`, "",
			nil, []string{"arn:aws:iam::111122223333:instance-profile/web"}},
		{"function by name", "lambda.amazonaws.com", "GetFunction20150331v2", "eu-west-1", `{"functionName":"f"}`, "",
			[]string{"arn:aws:lambda:eu-west-1:111122223333:function:f"}, nil},
		{"function by partial ARN", "lambda.amazonaws.com", "GetFunction20150331v2", "eu-west-1", `{"functionName":"444455556666:function:f"}`, "",
			[]string{"arn:aws:lambda:eu-west-1:444455556666:function:f"}, nil},
		{"function configuration passes its role", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", "eu-west-1",
			`{"functionName":"arn:aws:lambda:eu-west-1:111122223333:function:f","role":"arn:aws:iam::111122223333:role/r"}`, "",
			[]string{"arn:aws:lambda:eu-west-1:111122223333:function:f"}, []string{"arn:aws:iam::111122223333:role/r"}},
		{"event source mappings are not the function's", "lambda.amazonaws.com", "CreateEventSourceMapping20150331", "eu-west-1", `{"functionName":"f"}`, "", nil, nil},
		{"a foundation model names no account", "bedrock.amazonaws.com", "InvokeModel", "us-east-1", `{"modelId":"amazon.titan-text-express-v1"}`, "",
			[]string{"arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"}, nil},
		{"model access is granted on no model", "bedrock.amazonaws.com", "PutFoundationModelEntitlement", "us-east-1", `{"modelId":"m"}`, "", nil, nil},
		{"table", "dynamodb.amazonaws.com", "DescribeTable", "eu-west-1", `{"tableName":"t"}`, "",
			[]string{"arn:aws:dynamodb:eu-west-1:111122223333:table/t"}, nil},
		{"queue URL", "sqs.amazonaws.com", "GetQueueAttributes", "eu-west-1", `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/444455556666/q"}`, "",
			[]string{"arn:aws:sqs:eu-west-1:444455556666:q"}, nil},
		{"topic", "sns.amazonaws.com", "GetTopicAttributes", "eu-west-1", `{"topicArn":"arn:aws:sns:eu-west-1:111122223333:t"}`, "",
			[]string{"arn:aws:sns:eu-west-1:111122223333:t"}, nil},
		{"secret by name", "secretsmanager.amazonaws.com", "GetSecretValue", "eu-west-1", `{"secretId":"prod/db"}`, "",
			[]string{"arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-??????"}, nil},
		{"parameters", "ssm.amazonaws.com", "GetParameters", "eu-west-1", `{"names":["/a/b","c"]}`, "",
			[]string{"arn:aws:ssm:eu-west-1:111122223333:parameter/a/b", "arn:aws:ssm:eu-west-1:111122223333:parameter/c"}, nil},
		{"key from the record's resources", "kms.amazonaws.com", "Decrypt", "eu-west-1", `{}`, `[{"ARN":"arn:aws:kms:eu-west-1:111122223333:key/k","type":"AWS::KMS::Key"}]`,
			[]string{"arn:aws:kms:eu-west-1:111122223333:key/k"}, nil},
		{"log group", "logs.amazonaws.com", "CreateLogStream", "eu-west-1", `{"logGroupName":"/g"}`, "",
			[]string{"arn:aws:logs:eu-west-1:111122223333:log-group:/g", "arn:aws:logs:eu-west-1:111122223333:log-group:/g:*"}, nil},
		{"access key of the caller itself", "iam.amazonaws.com", "ListAccessKeys", "us-east-1", ``, "",
			[]string{"arn:aws:iam::111122223333:user/svc"}, nil},
		{"listing users names no user", "iam.amazonaws.com", "ListUsers", "us-east-1", ``, "", nil, nil},
		{"role policy", "iam.amazonaws.com", "AttachRolePolicy", "us-east-1", `{"roleName":"r","policyArn":"arn:aws:iam::aws:policy/P"}`, "",
			[]string{"arn:aws:iam::111122223333:role/r"}, nil},
		{"group of a membership", "iam.amazonaws.com", "AddUserToGroup", "us-east-1", `{"groupName":"g","userName":"u"}`, "",
			[]string{"arn:aws:iam::111122223333:group/g"}, nil},
		{"assumed role", "sts.amazonaws.com", "AssumeRole", "us-east-1", `{"roleArn":"arn:aws:iam::444455556666:role/x"}`, "",
			[]string{"arn:aws:iam::444455556666:role/x"}, nil},
		{"task definition passes two roles", "ecs.amazonaws.com", "RegisterTaskDefinition", "eu-west-1", `{"taskRoleArn":"task","executionRoleArn":"arn:aws:iam::111122223333:role/exec"}`, "",
			nil, []string{"arn:aws:iam::111122223333:role/task", "arn:aws:iam::111122223333:role/exec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := TrailRecord{AWSRegion: tt.region, RecipientAccountID: judgetest.Account,
				UserIdentity: UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/svc"}}
			if tt.req != "" {
				r.RequestParameters = json.RawMessage(tt.req)
			}
			if tt.resources != "" {
				if err := json.Unmarshal([]byte(tt.resources), &r.Resources); err != nil {
					t.Fatal(err)
				}
			}
			prefix, action := IAMPrefix(tt.src), NormalizeEventName(tt.event)
			own, passed := callResources(prefix, action, prefix+":"+action, &r)
			if !slices.Equal(own, tt.own) || !slices.Equal(passed, tt.passed) {
				t.Errorf("got own %q passed %q, want %q %q", own, passed, tt.own, tt.passed)
			}
		})
	}
}

func TestPassedRoleARN(t *testing.T) {
	tests := []struct {
		prefix, arn string
		want        bool
	}{
		{"lambda", "arn:aws:iam::1:role/r", true},
		{"ec2", "arn:aws:iam::1:instance-profile/p", true},
		{"iam", "arn:aws:iam::1:role/r", false}, // an IAM call's own role
		{"sts", "arn:aws:iam::1:role/r", false}, // AssumeRole's target
		{"lambda", "arn:aws:lambda:eu-west-1:1:function:f", false},
	}
	for _, tt := range tests {
		if got := PassedRoleARN(tt.prefix, tt.arn); got != tt.want {
			t.Errorf("PassedRoleARN(%s, %s) = %v", tt.prefix, tt.arn, got)
		}
	}
	// Every call that passes a role has a service for the condition.
	for call := range passRoleParams {
		prefix, _, _ := strings.Cut(call, ":")
		if PassRoleService[prefix] == "" {
			t.Errorf("%s passes roles but %s has no iam:PassedToService value", call, prefix)
		}
	}
}
