package tui

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// What the calls are is awsops's to say (awsops/plan_test.go); the TUI
// shows them field by field and adds a note where the input alone does not
// say what the call does.
func TestPlannedCallsAreShownAsPlanned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     runbook.APICall
		want     string
		wantNote string
	}{
		{"a user's key", runbook.APICall{Service: "iam", Operation: "UpdateAccessKey", Input: json.RawMessage(`{"AccessKeyId":"` + testKey + `","Status":"Inactive","UserName":"svc-reporting"}`)},
			`iam UpdateAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "Status": "Inactive", "UserName": "svc-reporting"}`, ""},
		{"a root key", runbook.APICall{Service: "iam", Operation: "DeleteAccessKey", Input: json.RawMessage(`{"AccessKeyId":"` + testKey + `","UserName":null}`)},
			`iam DeleteAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42"}`, "root key: no UserName"},
		{"a root key before the sign-in", runbook.APICall{Service: "iam", Operation: "UpdateAccessKey", Actor: runbook.RootARN(testAccount), Via: runbook.ViaAfterSignIn,
			Input: json.RawMessage(`{"AccessKeyId":"` + testKey + `","Status":"Inactive","UserName":null}`)},
			`iam UpdateAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42", "Status": "Inactive"} (as root, after sign-in)`, "root key: no UserName"},
		{"a root key in an AssumeRoot session", runbook.APICall{Service: "iam", Operation: "DeleteAccessKey", Actor: runbook.RootARN(testAccount),
			Via: "sts:AssumeRoot by arn:aws:iam::111122223333:user/org-responder, task policy …", Input: json.RawMessage(`{"AccessKeyId":"` + testKey + `","UserName":null}`)},
			`iam DeleteAccessKey {"AccessKeyId": "AKIAZ7Q3EXAMPLEKEY42"} (as root, in the sts:AssumeRoot session)`, "root key: no UserName"},
		{"a new key", runbook.APICall{Service: "iam", Operation: "CreateAccessKey", Input: json.RawMessage(`{"UserName":"ci"}`)},
			`iam CreateAccessKey {"UserName": "ci"}`, "the new secret is handed to you once"},
		{"a regional call", runbook.APICall{Service: "ec2", Operation: "AssociateIamInstanceProfile", Region: "eu-west-1",
			Input: json.RawMessage(`{"IamInstanceProfile":{"Arn":null,"Name":"web-role"},"InstanceId":"i-0abc"}`)},
			`ec2 AssociateIamInstanceProfile {"IamInstanceProfile": "{\"Arn\":null,\"Name\":\"web-role\"}", "InstanceId": "i-0abc", "Region": "eu-west-1"}`, ""},
		{"a revocation", runbook.APICall{Service: "iam", Operation: "PutRolePolicy", Input: json.RawMessage(`{"PolicyDocument":"{}","PolicyName":"` + runbook.RevocationPolicyName + `","RoleName":"ops-admin"}`)},
			`iam PutRolePolicy {"PolicyName": "AWSRevokeOlderSessions", "RoleName": "ops-admin", "PolicyDocument": "{}"}`, "every session of role ops-admin issued before the call is denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fromAPICall(tt.call)
			if c.String() != tt.want {
				t.Errorf("shown as %s, want %s", c, tt.want)
			}
			if !strings.Contains(c.Note, tt.wantNote) || (tt.wantNote == "" && c.Note != "") {
				t.Errorf("note %q, want %q", c.Note, tt.wantNote)
			}
		})
	}
}

// Without a way to read the account, the TUI says the calls are read as
// the change runs instead of guessing them.
func TestUnplannedCallsSayWhy(t *testing.T) {
	t.Parallel()
	calls := unplanned(runbook.CleanUpResource{Resource: runbook.Resource{Type: "iam-user", ID: "support-admin"}})
	if len(calls) != 1 || !strings.HasPrefix(calls[0].String(), "(read from the account as it runs) CleanUpResource") || calls[0].Note == "" {
		t.Errorf("unplanned = %+v", calls)
	}
}

func TestDestructiveEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		effect runbook.Effect
		want   bool
	}{
		{runbook.DeactivateKey{}, true},
		{runbook.DeleteKey{}, true},
		{runbook.ReactivateKey{}, false},
		{runbook.ApplyReplacement{}, false},
		{runbook.CleanUpResource{}, false},
	}
	for _, tt := range tests {
		if got := destructive(tt.effect); got != tt.want {
			t.Errorf("destructive(%s) = %v, want %v", tt.effect.EffectName(), got, tt.want)
		}
	}
}
