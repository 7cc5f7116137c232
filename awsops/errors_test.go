package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestCallFinding(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name    string
		err     error
		action  string // the finding's Action
		says    string
		notSays string
	}{
		{"IAM denial names the action AWS evaluated",
			&smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::1:user/r is not authorized to perform: iam:ListAccessKeys on resource: user x"},
			"iam:ListAccessKeys", "Your credentials lack iam:ListAccessKeys (AccessDenied): the owner is unknown.", ""},
		{"CloudTrail denial without a message names the action called",
			&smithy.GenericAPIError{Code: "AccessDeniedException"}, "iam:GetAccessKeyLastUsed", "lack iam:GetAccessKeyLastUsed", ""},
		{"EC2 denial", &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."},
			"iam:GetAccessKeyLastUsed", "(UnauthorizedOperation)", ""},
		{"wrapped denial", fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "AccessDenied"}),
			"iam:GetAccessKeyLastUsed", "lack", ""},
		{"rejected credentials say what to do", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."},
			"", "sign in again", ""},
		{"other API error", &smithy.GenericAPIError{Code: "ServiceFailure", Message: "boom"}, "", "Calling iam:GetAccessKeyLastUsed failed: ServiceFailure: boom", ""},
		{"no API error", errors.New("dial tcp: connection refused"), "", "connection refused", ""},
		{"cancelled", context.Canceled, "", "was interrupted", ""},
		{"a secret in a message is redacted", &smithy.GenericAPIError{Code: "ValidationError", Message: "bad value " + secret},
			"", runbook.RedactedSecret, secret},
		{"a secret in a plain error is redacted", errors.New("signing with " + secret + " failed"), "", runbook.RedactedSecret, secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := callFinding(runbook.StepIdentify, "iam:GetAccessKeyLastUsed", tt.err, "the owner is unknown")
			if f.Action != tt.action {
				t.Errorf("action %q, want %q", f.Action, tt.action)
			}
			if !strings.Contains(f.Message, tt.says) || tt.notSays != "" && strings.Contains(f.Message, tt.notSays) {
				t.Errorf("message %q: want %q in it and not %q", f.Message, tt.says, tt.notSays)
			}
			if f.Step != runbook.StepIdentify || f.Severity != runbook.SeverityWarning || !strings.HasSuffix(f.Message, "unknown.") {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

func TestEffectFailed(t *testing.T) {
	tests := []struct {
		err    error
		action string
		code   string
	}{
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, "cloudtrail:LookupEvents", "AccessDeniedException"},
		{context.Canceled, "", "Canceled"},
		{errors.New("a sweep of this key and window is already running"), "", ""},
	}
	for _, tt := range tests {
		got := effectFailed("SweepCloudTrail", "cloudtrail:LookupEvents", tt.err)
		if got.Effect != "SweepCloudTrail" || got.Action != tt.action || got.Code != tt.code || got.Message == "" {
			t.Errorf("effectFailed(%v) = %+v", tt.err, got)
		}
	}
}
