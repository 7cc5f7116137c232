package awsops

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Apply of the new kinds. Only the OIDC role is applied: its parts are all
// IAM (the provider and the role), and the workflow's change is the
// responder's. The EKS kinds and Roles Anywhere are export-only
// (runbook.ReplacementKind.ExportOnlyReason), and the machine refuses to
// apply them; applyExportOnly is the answer should one arrive anyway.

// applyExportOnly answers an apply of an export-only kind.
func applyExportOnly(effect string, p runbook.Proposal) runbook.EffectFailed {
	return failed(effect, "Export only: %s. Nothing was created for caller %s.", p.Kind.ExportOnlyReason(), p.CallerID)
}

// oidcSubjectProblem says why a subject must not go into a trust policy:
// a placeholder trusts no one, and a wildcard owner trusts every GitHub
// repository in the world.
func oidcSubjectProblem(sub string) string {
	switch {
	case sub == "" || strings.Contains(sub, "<"):
		return "set the repository the role trusts first: edit the target (t) to repo:ORG/REPO:* or narrower (repo:ORG/REPO:ref:refs/heads/main)"
	case sub == "*" || strings.HasPrefix(sub, "repo:*") || strings.HasPrefix(sub, "*"):
		return "a subject of " + sub + " lets every GitHub repository assume the role: name your organisation and repository"
	}
	return ""
}

// applyOIDCRole makes sure the account has GitHub's OIDC provider, then
// creates the role trusting it for the proposal's subject, with the
// proposal's policy. An existing role of the name is reused only when it
// trusts exactly that.
func (x *Executor) applyOIDCRole(ctx context.Context, p runbook.Proposal) ([]string, error) {
	if problem := oidcSubjectProblem(p.Target); problem != "" {
		return nil, sentence("Nothing was created for caller %s: %s.", p.CallerID, problem)
	}
	account := x.account(ctx)
	provider := oidcProviderARN(judge.Partition(p.Region), account)
	r, w := x.read.iam(x.cfg), x.write.iam(x.cfg)
	_, err := r.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provider)})
	switch apiCode(err) {
	case "":
	case "NoSuchEntity":
		_, err = w.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://" + githubOIDCHost),
			ClientIDList: []string{githubOIDCAudience}, Tags: tags(p)})
		if err != nil && apiCode(err) != "EntityAlreadyExists" {
			return nil, step("iam:CreateOpenIDConnectProvider", err)
		}
	default:
		return nil, step("iam:GetOpenIDConnectProvider", err)
	}
	created := []string{provider}
	trust := TrustPolicyFor(p, account)
	var arn string
	got, err := r.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
	switch {
	case err == nil:
		if !sameDocument(decodeDoc(aws.ToString(got.Role.AssumeRolePolicyDocument)), trust) {
			return created, sentence("A role named %s exists already and trusts something else than %s for %s: rename the replacement (e), or check that role.", p.Name, githubOIDCHost, p.Target)
		}
		arn = aws.ToString(got.Role.Arn)
	case apiCode(err) == "NoSuchEntity":
		out, cerr := w.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(p.Name), AssumeRolePolicyDocument: aws.String(trust),
			Description: aws.String(description(p)), Tags: tags(p)})
		if cerr != nil {
			return created, step("iam:CreateRole", cerr)
		}
		arn = aws.ToString(out.Role.Arn)
	default:
		return created, step("iam:GetRole", err)
	}
	created = append(created, arn)
	cur, err := r.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName)})
	if err == nil && sameDocument(decodeDoc(aws.ToString(cur.PolicyDocument)), p.Policy) {
		return created, nil
	}
	_, err = w.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.Name), PolicyName: aws.String(ReplacementPolicyName), PolicyDocument: aws.String(p.Policy)})
	return created, step("iam:PutRolePolicy", err)
}
