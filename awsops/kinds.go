package awsops

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Replacement kinds beyond role and user (issue 11): a pod on EKS moves to
// EKS Pod Identity (or IRSA), a CI job to a role it assumes through OIDC
// federation, an on-premises server to IAM Roles Anywhere. Each removes
// the long-lived key instead of handing out another one. Propose picks
// them when the evidence says where the caller runs (kinds_cluster.go);
// an IAM user stays the fallback for everything else off AWS.

// GitHub Actions' OIDC issuer and the audience the official action asks
// for (GitHub docs, "Configuring OpenID Connect in Amazon Web Services").
const (
	githubOIDCHost     = "token.actions.githubusercontent.com"
	githubOIDCAudience = "sts.amazonaws.com"
)

// Placeholders the responder replaces: "<" appears in no real name, so a
// document holding one trusts no one and applies nowhere.
const (
	eksNamespacePlaceholder      = "<namespace>"
	eksServiceAccountPlaceholder = "<service-account>"
	eksOIDCIDPlaceholder         = "<oidc-id>"
	trustAnchorPlaceholder       = "<trust-anchor-id>"
	certificateCNPlaceholder     = "<host-certificate-CN>"
)

// newKindFor picks one of the new kinds when the evidence supports it, and
// the target it names.
func newKindFor(c runbook.UsageCaller) (runbook.ReplacementKind, string, bool) {
	switch {
	case c.Kind == runbook.CallerEKS:
		return runbook.ReplaceEKSPodIdentity, c.Resource + "/" + eksNamespacePlaceholder + "/" + eksServiceAccountPlaceholder, true
	case c.Kind == runbook.CallerCI:
		return runbook.ReplaceOIDCRole, runbook.OIDCSubjectPlaceholder, true
	case judge.OnPremises(c):
		return runbook.ReplaceRolesAnywhere, c.SourceIP, true
	}
	return "", "", false
}

// nameSeed is what a replacement's name is made from: the target for the
// first kinds; for the new ones what the target cannot give (a subject
// placeholder makes a poor name): the CI, the cluster and program, the host.
func nameSeed(kind runbook.ReplacementKind, c runbook.UsageCaller, target string) string {
	switch kind {
	case runbook.ReplaceOIDCRole:
		return orValue(c.Resource, "ci")
	case runbook.ReplaceEKSPodIdentity, runbook.ReplaceEKSIRSA:
		sum := sha256.Sum256([]byte(c.UserAgent))
		return "eks-" + orValue(c.Resource, "cluster") + "-" + hex.EncodeToString(sum[:2])
	case runbook.ReplaceRolesAnywhere:
		return "onprem-" + target
	}
	return target
}

// eksGroupKey keeps pods of one cluster apart by program: CloudTrail
// cannot tell pods apart, and one role for a whole cluster would be
// anything but least privilege.
func eksGroupKey(c runbook.UsageCaller) string {
	return "\x00" + judge.StableUserAgent(c.UserAgent)
}

// newKindWarnings says what each new kind needs that keyrunbook cannot see.
func newKindWarnings(p runbook.Proposal) []string {
	switch p.Kind {
	case runbook.ReplaceEKSPodIdentity:
		return []string{"Export only: the role trusts pods.eks.amazonaws.com, and an EKS Pod Identity association binds it to the pod's service account: set the target to CLUSTER/NAMESPACE/SERVICE-ACCOUNT, make sure the cluster runs the eks-pod-identity-agent add-on, then remove the key from the pod. Pods on Fargate cannot use Pod Identity: switch (s) to IRSA."}
	case runbook.ReplaceEKSIRSA:
		return []string{"Export only: the role trusts the cluster's OIDC issuer for the pod's service account (IAM roles for service accounts); annotate the service account with the role's ARN and restart the pods."}
	case runbook.ReplaceOIDCRole:
		w := "The role trusts GitHub's OIDC provider (" + githubOIDCHost + ", created if the account lacks it) for the subject in the target. In the workflow: permissions id-token: write, aws-actions/configure-aws-credentials with role-to-assume, and the access key secrets deleted."
		if strings.Contains(p.Target, "<") {
			w = "Set the target (t) to the repository the role trusts, repo:ORG/REPO:* or narrower (repo:ORG/REPO:ref:refs/heads/main): keyrunbook refuses to apply the placeholder. " + w
		}
		return []string{w}
	case runbook.ReplaceRolesAnywhere:
		return []string{"Export only: IAM Roles Anywhere trusts your certificate authority (a trust anchor) and hands the host a role session for its certificate, so no key stays on the host; keyrunbook cannot create the trust anchor without your CA. The IAM-user fallback, which works today, is one switch (s) away."}
	}
	return nil
}

// TrustPolicyFor returns a replacement role's trust policy, for every kind
// of role: the service principal of the first kinds (TrustPolicy), a
// federated principal with its conditions for the new ones. Placeholders
// stand where CloudTrail does not tell (a namespace, a trust anchor).
func TrustPolicyFor(p runbook.Proposal, account string) string {
	if doc := TrustPolicy(p.Kind); doc != "" || p.Kind == runbook.ReplaceIAMUser {
		return doc
	}
	if account == "" {
		account = "<account>"
	}
	partition := judge.Partition(p.Region)
	type statement struct {
		Effect    string                       `json:"Effect"`
		Principal map[string]string            `json:"Principal"`
		Action    any                          `json:"Action"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}
	var st statement
	switch p.Kind {
	case runbook.ReplaceEKSPodIdentity:
		// EKS User Guide, "Pod Identity": the agent assumes the role and
		// tags the session.
		st = statement{"Allow", map[string]string{"Service": "pods.eks.amazonaws.com"}, []string{"sts:AssumeRole", "sts:TagSession"}, nil}
	case runbook.ReplaceEKSIRSA:
		_, ns, sa := eksTarget(p.Target)
		issuer := fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/%s", orValue(p.Region, "<region>"), eksOIDCIDPlaceholder)
		st = statement{"Allow", map[string]string{"Federated": fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, issuer)},
			"sts:AssumeRoleWithWebIdentity", map[string]map[string]string{"StringEquals": {
				issuer + ":sub": "system:serviceaccount:" + ns + ":" + sa, issuer + ":aud": "sts.amazonaws.com"}}}
	case runbook.ReplaceOIDCRole:
		st = statement{"Allow", map[string]string{"Federated": oidcProviderARN(partition, account)}, "sts:AssumeRoleWithWebIdentity",
			map[string]map[string]string{
				"StringEquals": {githubOIDCHost + ":aud": githubOIDCAudience},
				"StringLike":   {githubOIDCHost + ":sub": orValue(p.Target, runbook.OIDCSubjectPlaceholder)}}}
	case runbook.ReplaceRolesAnywhere:
		// IAM Roles Anywhere User Guide, "Trust model": the service assumes
		// the role; the conditions pin the trust anchor and the host's
		// certificate.
		st = statement{"Allow", map[string]string{"Service": "rolesanywhere.amazonaws.com"}, []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"},
			map[string]map[string]string{
				"ArnEquals":    {"aws:SourceArn": fmt.Sprintf("arn:%s:rolesanywhere:%s:%s:trust-anchor/%s", partition, orValue(p.Region, DefaultRegion), account, trustAnchorPlaceholder)},
				"StringEquals": {"aws:PrincipalTag/x509Subject/CN": certificateCNPlaceholder}}}
	default:
		return ""
	}
	return marshalPolicy(struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{PolicyVersion, []statement{st}})
}

func oidcProviderARN(partition, account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, githubOIDCHost)
}

// eksTarget splits CLUSTER/NAMESPACE/SERVICE-ACCOUNT, placeholders for
// what is missing.
func eksTarget(target string) (cluster, namespace, serviceAccount string) {
	parts := strings.SplitN(target, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return orValue(parts[0], "<cluster>"), orValue(parts[1], eksNamespacePlaceholder), orValue(parts[2], eksServiceAccountPlaceholder)
}
