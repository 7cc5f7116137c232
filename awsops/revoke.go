package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// RevocationPolicy is the inline policy that revokes every session issued
// before at: the document the IAM console's "Revoke active sessions" puts
// on a role as AWSRevokeOlderSessions, and the one AWS documents for the
// temporary credentials of an IAM user (IAM user guide, "Revoking IAM role
// temporary security credentials"). Long-term keys carry no
// aws:TokenIssueTime, so the deny never reaches them.
func RevocationPolicy(at time.Time) string {
	type statement struct {
		Effect    string                       `json:"Effect"`
		Action    string                       `json:"Action"`
		Resource  string                       `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition"`
	}
	doc, _ := json.Marshal(struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{PolicyVersion, []statement{{Effect: "Deny", Action: "*", Resource: "*", Condition: map[string]map[string]string{
		"DateLessThan": {"aws:TokenIssueTime": at.UTC().Format(time.RFC3339)}}}}})
	return string(doc)
}

// revokeSessions puts the revocation policy on each target, cut off at the
// next whole second: the condition compares whole seconds, and rounding
// down would spare a session minted in the same second before the call.
// A target that cannot take it fails the effect, naming the ones done: a
// retry puts the same policy again, which IAM accepts (it replaces an
// inline policy of the same name).
func (x *Executor) revokeSessions(ctx context.Context, e runbook.RevokeOlderSessions) runbook.Event {
	const effect = "RevokeOlderSessions"
	if len(e.Targets) == 0 {
		return failed(effect, "There is nothing to revoke: no IAM user or role was named.")
	}
	at := x.now().UTC().Truncate(time.Second).Add(time.Second)
	doc := aws.String(RevocationPolicy(at))
	name := aws.String(runbook.RevocationPolicyName)
	w := x.write.iam(x.cfg)
	var done []string
	for _, t := range e.Targets {
		var action string
		var err error
		switch t.Kind {
		case "user":
			action = "iam:PutUserPolicy"
			_, err = w.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(t.Name), PolicyName: name, PolicyDocument: doc})
		case "role":
			action = "iam:PutRolePolicy"
			_, err = w.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(t.Name), PolicyName: name, PolicyDocument: doc})
		default:
			return failed(effect, "keyrunbook does not revoke the sessions of a %s (%s): only of IAM users and roles.", t.Kind, t.Name)
		}
		if err != nil {
			f := effectFailed(effect, action, err)
			if len(done) > 0 {
				f.Message = fmt.Sprintf("Revoked on %s; not on %s: %s", strings.Join(done, ", "), t, f.Message)
			}
			return f
		}
		done = append(done, t.String())
	}
	return runbook.SessionsRevoked{At: at, Targets: e.Targets, DryRun: x.opts.DryRun}
}
