package judge

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTrailRecordReadOnly(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    bool
		wantErr bool
	}{
		{"boolean true", `true`, true, false},
		{"boolean false", `false`, false, false},
		{"string true", `"true"`, true, false},
		{"string false", `"false"`, false, false},
		{"capitalised string", `"True"`, true, false},
		{"null", `null`, false, false},
		{"something else", `"maybe"`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTrailRecord([]byte(`{"eventID":"e1","eventName":"ListUsers","readOnly":` + tt.value + `}`))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && r.ReadOnly != tt.want {
				t.Errorf("ReadOnly = %v, want %v", r.ReadOnly, tt.want)
			}
		})
	}
	r, err := ParseTrailRecord([]byte(`{"eventID":"e1"}`))
	if err != nil || r.ReadOnly {
		t.Errorf("absent readOnly: %v %v, want false and no error", r.ReadOnly, err)
	}
}

func TestParseTrailRecordFields(t *testing.T) {
	raw := `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111122223333:user/u",
	"accountId":"111122223333","accessKeyId":"AKIAJ7LEAKEDKEY2EXAM","userName":"u","invokedBy":"ec2.amazonaws.com"},
	"eventTime":"2026-10-20T11:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-1",
	"sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2","errorCode":"Client.UnauthorizedOperation","errorMessage":"no",
	"requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"eventID":"e1","readOnly":false,
	"eventType":"AwsApiCall","vpcEndpointId":"vpce-1","recipientAccountId":"444455556666",
	"resources":[{"ARN":"arn:aws:kms:eu-west-1:111122223333:key/k","accountId":"111122223333","type":"AWS::KMS::Key"}]}`
	r, err := ParseTrailRecord([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	u := r.UserIdentity
	if u.Type != "IAMUser" || u.ARN != "arn:aws:iam::111122223333:user/u" || u.AccessKeyID != "AKIAJ7LEAKEDKEY2EXAM" ||
		u.UserName != "u" || u.InvokedBy != "ec2.amazonaws.com" || u.PrincipalID != "AIDA1" || u.AccountID != "111122223333" {
		t.Errorf("userIdentity = %+v", u)
	}
	if !r.EventTime.Equal(time.Date(2026, 10, 20, 11, 0, 0, 0, time.UTC)) || r.EventSource != "ec2.amazonaws.com" ||
		r.EventName != "RunInstances" || r.AWSRegion != "eu-west-1" || r.SourceIPAddress != "198.51.100.1" ||
		r.UserAgent != "aws-cli/2" || r.ErrorCode != "Client.UnauthorizedOperation" || r.ErrorMessage != "no" ||
		r.EventType != "AwsApiCall" || r.VPCEndpointID != "vpce-1" || r.EventID != "e1" {
		t.Errorf("record = %+v", r)
	}
	if !r.Failed() || r.Account() != "444455556666" {
		t.Errorf("Failed()=%v Account()=%s, want true and the recipient account", r.Failed(), r.Account())
	}
	if string(r.RequestParameters) != `{"instanceType":"t3.micro"}` || len(r.Resources) != 1 || r.Resources[0].Type != "AWS::KMS::Key" {
		t.Errorf("parameters %s resources %+v", r.RequestParameters, r.Resources)
	}
}

func TestParseTrailRecordBlanksSecrets(t *testing.T) {
	tests := []struct {
		name, raw, secret, keep string
	}{
		{"CreateAccessKey response",
			`{"eventID":"e1","responseElements":{"accessKey":{"accessKeyId":"AKIANEWKEY0000000001","secretAccessKey":"SECRETsecretSECRETsecretSECRETsecret0001"}}}`,
			"SECRETsecretSECRETsecretSECRETsecret0001", "AKIANEWKEY0000000001"},
		{"session credentials",
			`{"eventID":"e1","responseElements":{"credentials":{"accessKeyId":"ASIATEMP","sessionToken":"TOKENtoken","secretAccessKey":"S2"}}}`,
			"TOKENtoken", "ASIATEMP"},
		{"login profile password in a list",
			`{"eventID":"e1","requestParameters":{"items":[{"userName":"u","password":"Hunter2!"}]}}`,
			"Hunter2!", `"userName":"u"`},
		{"key pair material",
			`{"eventID":"e1","responseElements":{"keyName":"k","keyMaterial":"-----BEGIN RSA PRIVATE KEY-----abc"}}`,
			"BEGIN RSA", `"keyName":"k"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTrailRecord([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			both := string(r.RequestParameters) + string(r.ResponseElements)
			if strings.Contains(both, tt.secret) {
				t.Errorf("secret survived parsing: %s", both)
			}
			if !strings.Contains(both, tt.keep) || !strings.Contains(both, redactedValue) {
				t.Errorf("redaction lost the rest or left no marker: %s", both)
			}
		})
	}
}

func TestParseTrailRecordErrorsNameNoValue(t *testing.T) {
	// A secret inside a malformed record must not surface in the error.
	_, err := ParseTrailRecord([]byte(`{"eventID":"e1","eventTime":"SECRETsecret","responseElements":{"secretAccessKey":"SECRETsecret"}}`))
	if err == nil {
		t.Fatal("bad eventTime accepted")
	}
	if strings.Contains(err.Error(), "SECRETsecret") {
		t.Errorf("error leaks a value: %v", err)
	}
	if _, err := ParseTrailRecord([]byte(`not json`)); err == nil {
		t.Error("non-JSON accepted")
	}
}

func TestDecodeTrailLog(t *testing.T) {
	log := `{"Records":[{"eventID":"a","readOnly":"true"},{"eventID":"b","readOnly":false}],"digest":{"x":1}}`
	var ids []string
	err := DecodeTrailLog(strings.NewReader(log), func(r TrailRecord) error {
		ids = append(ids, r.EventID)
		return nil
	})
	if err != nil || strings.Join(ids, ",") != "a,b" {
		t.Errorf("ids %v err %v, want a,b", ids, err)
	}

	stop := errors.New("stop")
	n := 0
	err = DecodeTrailLog(strings.NewReader(log), func(TrailRecord) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: n=%d err=%v, want 1 and stop", n, err)
	}

	for _, bad := range []string{`[]`, `{"Records":{}}`, `{"Records":[{"eventTime":5}]}`, `{"Records":[`} {
		if err := DecodeTrailLog(strings.NewReader(bad), func(TrailRecord) error { return nil }); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestTrailParams(t *testing.T) {
	p := Params{raw: []byte(`{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]},"names":["a","b"],"n":3}`)}
	tests := []struct {
		path string
		want string
	}{
		{"instancesSet.items[].instanceId", "i-1,i-2"},
		{"names[]", "a,b"},
		{"n", ""},       // not a string
		{"missing", ""}, // absent
		{"instancesSet.items.instanceId", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(p.strs(tt.path), ","); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.path, got, tt.want)
		}
	}
	empty := Params{raw: []byte(`null`)}
	if empty.str("x") != "" {
		t.Error("null parameters yield a value")
	}
}
