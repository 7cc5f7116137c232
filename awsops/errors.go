package awsops

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/smithy-go"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// deniedCodes are the error codes with which AWS refuses a call for lack of
// permission: the query protocol's (IAM, STS), JSON's (CloudTrail) and EC2's.
var deniedCodes = map[string]bool{
	"AccessDenied":          true,
	"AccessDeniedException": true,
	"UnauthorizedOperation": true,
	"AuthorizationError":    true,
}

// rejectedCodes mean the credentials themselves were refused: no other call
// will do better until the responder signs in again.
var rejectedCodes = map[string]bool{
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"SignatureDoesNotMatch":       true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
	"InvalidAccessKeyId":          true,
	"AuthFailure":                 true,
}

// deniedAction finds the action in AWS's denial message ("... is not
// authorized to perform: iam:ListAccessKeys on resource ..."), which names
// the action IAM evaluated more exactly than the operation we called.
var deniedAction = regexp.MustCompile(`not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// redact removes anything shaped like a secret access key or a session
// token from error text, by the one rule everything keyrunbook prints or
// writes follows.
func redact(s string) string { return runbook.RedactString(s) }

// apiCode returns the AWS error code of err, or "" when err is no API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isCanceled reports whether err comes from the context ending, which is
// the responder's doing, not AWS's.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// describe says in a sentence why a call failed, without secrets. For
// denials it returns the IAM action that was missing, as AWS named it when
// it did, else the action we called.
func describe(action string, err error) (missing, text string) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if isCanceled(err) {
			return "", "Calling " + action + " was interrupted"
		}
		return "", fmt.Sprintf("Calling %s failed: %s", action, redact(err.Error()))
	}
	code, msg := ae.ErrorCode(), redact(ae.ErrorMessage())
	switch {
	case deniedCodes[code]:
		missing = action
		if m := deniedAction.FindStringSubmatch(msg); m != nil {
			missing = m[1]
		}
		return missing, fmt.Sprintf("Your credentials lack %s (%s)", missing, code)
	case rejectedCodes[code]:
		return "", fmt.Sprintf("AWS rejected the credentials calling %s (%s: %s): sign in again or pick another profile", action, code, msg)
	}
	if msg == "" {
		return "", fmt.Sprintf("Calling %s failed: %s", action, code)
	}
	return "", fmt.Sprintf("Calling %s failed: %s: %s", action, code, msg)
}

// callFinding turns a failed call into a finding: what was called, why it
// failed, and what the step therefore does not know. A denial is a warning
// naming the missing action; identification goes on without it.
func callFinding(step runbook.Step, action string, err error, consequence string) runbook.Finding {
	missing, text := describe(action, err)
	f := runbook.Finding{Step: step, Action: missing, Severity: runbook.SeverityWarning}
	if consequence == "" {
		f.Message = text + "."
	} else {
		f.Message = text + ": " + consequence + "."
	}
	return f
}

// effectFailed turns the error that stopped an effect into its result.
func effectFailed(effect, action string, err error) runbook.EffectFailed {
	missing, text := describe(action, err)
	code := apiCode(err)
	if code == "" && isCanceled(err) {
		code = "Canceled"
	}
	return runbook.EffectFailed{Effect: effect, Action: missing, Code: code, Message: text + "."}
}
