package main

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"time"
)

// record writes one CloudTrail record in the order and shape CloudTrail
// writes them, and reports whether the target key signed it.
func (w *world) record(b *bytes.Buffer, r *rand.Rand, region string, t time.Time) bool {
	var p principal
	c := w.callers[r.IntN(len(w.callers))]
	mine, service := false, false
	switch x := r.Float64(); {
	case x < 0.01:
		p, c, mine = w.target, w.keyUses[r.IntN(len(w.keyUses))], true
	case x < 0.08:
		service = true
	case x < 0.40:
		p = w.users[r.IntN(len(w.users))]
	default:
		p = w.roles[r.IntN(len(w.roles))]
	}
	src, name, readOnly, data := pickEvent(r)
	if service {
		src, name, readOnly, data = "kms.amazonaws.com", "Decrypt", true, false
	}
	b.WriteString(`{"eventVersion":"1.09","userIdentity":{`)
	if service {
		b.WriteString(`"type":"AWSService","invokedBy":"` + []string{"ec2.amazonaws.com", "lambda.amazonaws.com", "s3.amazonaws.com"}[r.IntN(3)] + `"`)
	} else {
		field(b, "type", p.typ, true)
		field(b, "principalId", p.principalID, false)
		field(b, "arn", p.arn, false)
		field(b, "accountId", account, false)
		field(b, "accessKeyId", p.key, false)
		if p.userName != "" {
			field(b, "userName", p.userName, false)
		}
		if p.role != "" {
			b.WriteString(`,"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA` + p.principalID[4:21] +
				`","arn":"arn:aws:iam::` + account + `:role/` + p.role + `","accountId":"` + account + `","userName":"` + p.role +
				`"},"attributes":{"creationDate":"` + t.Add(-time.Duration(r.IntN(3600))*time.Second).Format(time.RFC3339) +
				`","mfaAuthenticated":"false"}}`)
		}
	}
	b.WriteString(`},"eventTime":"` + t.Format("2006-01-02T15:04:05Z") + `"`)
	field(b, "eventSource", src, false)
	field(b, "eventName", name, false)
	field(b, "awsRegion", region, false)
	if service {
		field(b, "sourceIPAddress", "AWS Internal", false)
		field(b, "userAgent", "AWS Internal", false)
	} else {
		field(b, "sourceIPAddress", c.ip, false)
		field(b, "userAgent", c.ua, false)
	}
	if r.IntN(30) == 0 {
		field(b, "errorCode", "AccessDenied", false)
		field(b, "errorMessage", "User: "+p.arn+" is not authorized to perform: "+name+" because no identity-based policy allows the action", false)
	}
	b.WriteString(`,"requestParameters":`)
	params(b, r, src, name, region, w.key)
	b.WriteString(`,"responseElements":`)
	response(b, r, name, t)
	if data && src == "s3.amazonaws.com" {
		b.WriteString(`,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"` +
			alnum(r, 76) + `","bytesTransferredOut":` + strconv.Itoa(r.IntN(5_000_000)) + `}`)
	}
	field(b, "requestID", alnum(r, 16), false)
	field(b, "eventID", uuid(r), false)
	b.WriteString(`,"readOnly":` + strconv.FormatBool(readOnly))
	if data || src == "kms.amazonaws.com" {
		b.WriteString(`,"resources":[{"accountId":"` + account + `","type":"` + resourceType(src) + `","ARN":"` + resourceARN(r, src, region) + `"}]`)
	}
	b.WriteString(`,"eventType":"AwsApiCall","managementEvent":` + strconv.FormatBool(!data))
	field(b, "recipientAccountId", account, false)
	if data {
		field(b, "eventCategory", "Data", false)
	} else {
		field(b, "eventCategory", "Management", false)
	}
	if !service {
		b.WriteString(`,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"` +
			src[:len(src)-len(".amazonaws.com")] + `.` + region + `.amazonaws.com"}`)
	}
	b.WriteByte('}')
	return mine
}

type eventKind struct {
	src, name      string
	readOnly, data bool
	weight         int
}

var eventKinds = []eventKind{
	{"s3.amazonaws.com", "GetObject", true, true, 18}, {"s3.amazonaws.com", "PutObject", false, true, 8},
	{"s3.amazonaws.com", "HeadObject", true, true, 4},
	{"kms.amazonaws.com", "Decrypt", true, false, 9}, {"kms.amazonaws.com", "GenerateDataKey", true, false, 5},
	{"sts.amazonaws.com", "AssumeRole", true, false, 6}, {"sts.amazonaws.com", "GetCallerIdentity", true, false, 2},
	{"ec2.amazonaws.com", "DescribeInstances", true, false, 7}, {"ec2.amazonaws.com", "DescribeSecurityGroups", true, false, 3},
	{"ec2.amazonaws.com", "DescribeVolumes", true, false, 2},
	{"lambda.amazonaws.com", "Invoke", false, true, 5},
	{"dynamodb.amazonaws.com", "GetItem", true, true, 6}, {"dynamodb.amazonaws.com", "Query", true, true, 4},
	{"dynamodb.amazonaws.com", "PutItem", false, true, 3},
	{"ssm.amazonaws.com", "GetParameter", true, false, 4}, {"secretsmanager.amazonaws.com", "GetSecretValue", true, false, 3},
	{"logs.amazonaws.com", "CreateLogStream", false, false, 3}, {"monitoring.amazonaws.com", "PutMetricData", false, false, 4},
	{"iam.amazonaws.com", "GetUser", true, false, 1}, {"iam.amazonaws.com", "ListAttachedRolePolicies", true, false, 1},
	{"iam.amazonaws.com", "GetAccessKeyLastUsed", true, false, 1},
}

var totalWeight = func() (n int) {
	for _, k := range eventKinds {
		n += k.weight
	}
	return n
}()

func pickEvent(r *rand.Rand) (string, string, bool, bool) {
	x := r.IntN(totalWeight)
	for _, k := range eventKinds {
		if x < k.weight {
			return k.src, k.name, k.readOnly, k.data
		}
		x -= k.weight
	}
	k := eventKinds[0]
	return k.src, k.name, k.readOnly, k.data
}

func params(b *bytes.Buffer, r *rand.Rand, src, name, region, target string) {
	bucket := words[r.IntN(len(words))] + "-data-" + account
	switch src {
	case "s3.amazonaws.com":
		b.WriteString(`{"bucketName":"` + bucket + `","Host":"` + bucket + `.s3.` + region + `.amazonaws.com","key":"` +
			words[r.IntN(len(words))] + "/2025/part-" + alnum(r, 12) + `.parquet"}`)
	case "kms.amazonaws.com":
		b.WriteString(`{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::` + bucket + `/` + alnum(r, 20) + `"}}`)
	case "sts.amazonaws.com":
		if name == "AssumeRole" {
			b.WriteString(`{"roleArn":"arn:aws:iam::` + account + `:role/` + words[r.IntN(len(words))] + `-role","roleSessionName":"botocore-session-` +
				strconv.Itoa(1700000000+r.IntN(9999999)) + `","durationSeconds":3600}`)
			return
		}
		b.WriteString("null")
	case "ec2.amazonaws.com":
		b.WriteString(`{"instancesSet":{},"filterSet":{"items":[{"name":"tag:Environment","valueSet":{"items":[{"value":"prod"}]}}]}}`)
	case "lambda.amazonaws.com":
		b.WriteString(`{"functionName":"arn:aws:lambda:` + region + `:` + account + `:function:` + words[r.IntN(len(words))] + `-handler","invocationType":"RequestResponse"}`)
	case "dynamodb.amazonaws.com":
		b.WriteString(`{"tableName":"` + words[r.IntN(len(words))] + `","key":{"pk":"` + alnum(r, 24) + `"},"consistentRead":false}`)
	case "iam.amazonaws.com":
		if name == "GetAccessKeyLastUsed" {
			// An auditor's look at keys, now and then the target's: a
			// record that names the key without being signed by it.
			key := keyID(r, "AKIA")
			if r.IntN(20) == 0 {
				key = target
			}
			b.WriteString(`{"accessKeyId":"` + key + `"}`)
			return
		}
		b.WriteString(`{"roleName":"` + words[r.IntN(len(words))] + `-role"}`)
	default:
		b.WriteString(`{"name":"/` + words[r.IntN(len(words))] + `/config/` + alnum(r, 8) + `","withDecryption":true}`)
	}
}

func response(b *bytes.Buffer, r *rand.Rand, name string, t time.Time) {
	if name != "AssumeRole" {
		b.WriteString("null")
		return
	}
	b.WriteString(`{"credentials":{"accessKeyId":"` + keyID(r, "ASIA") + `","sessionToken":"IQoJb3JpZ2luX2VjE` + alnum(r, 380) +
		`","expiration":"` + t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM") + `"},"assumedRoleUser":{"assumedRoleId":"AROA` +
		alnum(r, 17) + `:botocore-session","arn":"arn:aws:sts::` + account + `:assumed-role/x/botocore-session"}}`)
}

func resourceType(src string) string {
	switch src {
	case "s3.amazonaws.com":
		return "AWS::S3::Object"
	case "lambda.amazonaws.com":
		return "AWS::Lambda::Function"
	case "dynamodb.amazonaws.com":
		return "AWS::DynamoDB::Table"
	}
	return "AWS::KMS::Key"
}

func resourceARN(r *rand.Rand, src, region string) string {
	switch src {
	case "s3.amazonaws.com":
		return "arn:aws:s3:::" + words[r.IntN(len(words))] + "-data-" + account + "/" + alnum(r, 24)
	case "lambda.amazonaws.com":
		return "arn:aws:lambda:" + region + ":" + account + ":function:" + words[r.IntN(len(words))] + "-handler"
	case "dynamodb.amazonaws.com":
		return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + words[r.IntN(len(words))]
	}
	return "arn:aws:kms:" + region + ":" + account + ":key/" + uuid(r)
}

// field writes ,"name":"value" (no comma when first). Values here never
// need escaping beyond quotes and backslashes, which none contain.
func field(b *bytes.Buffer, name, value string, first bool) {
	if !first {
		b.WriteByte(',')
	}
	b.WriteByte('"')
	b.WriteString(name)
	b.WriteString(`":"`)
	b.WriteString(value)
	b.WriteByte('"')
}
