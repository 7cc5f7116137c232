package awsops

import (
	"fmt"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Exports of the new replacement kinds (kinds.go), as AWS CLI commands and
// Terraform. Each creates the role as apply would, then what binds it to
// the caller and what keyrunbook cannot do: the pod's association, the
// workflow's change, the certificate authority. Every part a responder
// must fill in is a <placeholder>.

// exportKindCLI writes the CLI commands of a new kind; false for the others.
func exportKindCLI(b *strings.Builder, p runbook.Proposal, account string) bool {
	if !isNewKind(p.Kind) {
		return false
	}
	region := " --region " + shellQuote(orValue(p.Region, DefaultRegion))
	name, arn := shellQuote(p.Name), shellQuote(roleARN(account, p))
	role := func() {
		fmt.Fprintf(b, "aws iam create-role --role-name %s --assume-role-policy-document %s\n", name, shellQuote(compactJSON(TrustPolicyFor(p, account))))
		if policy := compactJSON(p.Policy); policy != "" {
			fmt.Fprintf(b, "aws iam put-role-policy --role-name %s --policy-name %s --policy-document %s\n", name, ReplacementPolicyName, shellQuote(policy))
		}
	}
	switch p.Kind {
	case runbook.ReplaceOIDCRole:
		b.WriteString("# GitHub's OIDC provider, once per account; skip it when this finds one:\n")
		fmt.Fprintf(b, "#   aws iam get-open-id-connect-provider --open-id-connect-provider-arn %s\n", shellQuote(oidcProviderARN(judge.Partition(p.Region), orValue(account, "<account>"))))
		fmt.Fprintf(b, "aws iam create-open-id-connect-provider --url %s --client-id-list %s\n", shellQuote("https://"+githubOIDCHost), githubOIDCAudience)
		role()
		b.WriteString("# In the workflow, instead of the access key secrets:\n#   permissions:\n#     id-token: write\n")
		fmt.Fprintf(b, "#   - uses: aws-actions/configure-aws-credentials@v4\n#     with:\n#       role-to-assume: %s\n#       aws-region: %s\n", roleARN(account, p), orValue(p.Region, DefaultRegion))
		b.WriteString("# Then delete the access key secrets from the repository.\n")
	case runbook.ReplaceEKSPodIdentity:
		cluster, ns, sa := eksTarget(p.Target)
		b.WriteString("# The cluster needs the EKS Pod Identity Agent add-on, once:\n")
		fmt.Fprintf(b, "#   aws eks create-addon%s --cluster-name %s --addon-name eks-pod-identity-agent\n", region, shellQuote(cluster))
		role()
		fmt.Fprintf(b, "aws eks create-pod-identity-association%s --cluster-name %s --namespace %s --service-account %s --role-arn %s\n",
			region, shellQuote(cluster), shellQuote(ns), shellQuote(sa), arn)
		b.WriteString("# Then remove the access key from the pod's environment or secret and restart its deployment.\n")
	case runbook.ReplaceEKSIRSA:
		cluster, ns, sa := eksTarget(p.Target)
		b.WriteString("# The cluster's OIDC issuer; its last part replaces <oidc-id> in the trust policy:\n")
		fmt.Fprintf(b, "#   aws eks describe-cluster%s --name %s --query cluster.identity.oidc.issuer --output text\n", region, shellQuote(cluster))
		b.WriteString("# When IAM has no provider for that issuer yet:\n#   aws iam create-open-id-connect-provider --url <issuer> --client-id-list sts.amazonaws.com\n")
		role()
		fmt.Fprintf(b, "kubectl annotate serviceaccount --namespace %s %s eks.amazonaws.com/role-arn=%s\n", shellQuote(ns), shellQuote(sa), arn)
		b.WriteString("# Then remove the access key from the pod and restart its deployment.\n")
	case runbook.ReplaceRolesAnywhere:
		b.WriteString("# IAM Roles Anywhere trusts your certificate authority: keyrunbook cannot create this part.\n")
		fmt.Fprintf(b, "aws rolesanywhere create-trust-anchor%s --name %s --enabled --source %s\n", region, name,
			shellQuote("sourceType=CERTIFICATE_BUNDLE,sourceData={x509CertificateData=<PEM of your CA certificate>}"))
		fmt.Fprintf(b, "# Put the trust anchor's ID and the host certificate's common name into the trust policy (%s, %s).\n", trustAnchorPlaceholder, certificateCNPlaceholder)
		role()
		fmt.Fprintf(b, "aws rolesanywhere create-profile%s --name %s --role-arns %s --enabled\n", region, name, arn)
		b.WriteString("# On the host, in ~/.aws/config, with the signing helper of the IAM Roles Anywhere docs:\n")
		fmt.Fprintf(b, "#   credential_process = aws_signing_helper credential-process --certificate host.pem --private-key host.key --trust-anchor-arn <trust-anchor-arn> --profile-arn <profile-arn> --role-arn %s\n", roleARN(account, p))
		b.WriteString("# Then delete the access key from the host.\n")
	}
	return true
}

// exportKindTerraform writes a new kind as Terraform; false for the others.
func exportKindTerraform(b *strings.Builder, p runbook.Proposal, account string) bool {
	if !isNewKind(p.Kind) {
		return false
	}
	id := terraformID(p.Name)
	role := func() {
		fmt.Fprintf(b, "\nresource \"aws_iam_role\" %q {\n  name               = %q\n  assume_role_policy = %s\n}\n", id, p.Name, terraformHeredoc(TrustPolicyFor(p, account)))
		if p.Policy != "" {
			fmt.Fprintf(b, "\nresource \"aws_iam_role_policy\" %q {\n  name   = %q\n  role   = aws_iam_role.%s.id\n  policy = %s\n}\n", id, ReplacementPolicyName, id, terraformHeredoc(p.Policy))
		}
	}
	switch p.Kind {
	case runbook.ReplaceOIDCRole:
		b.WriteString("# GitHub's OIDC provider, once per account (a data source instead when it exists).\n")
		fmt.Fprintf(b, "resource \"aws_iam_openid_connect_provider\" \"github_actions\" {\n  url            = %q\n  client_id_list = [%q]\n}\n", "https://"+githubOIDCHost, githubOIDCAudience)
		role()
		fmt.Fprintf(b, "\n# In the workflow: permissions id-token: write, and aws-actions/configure-aws-credentials\n# with role-to-assume = aws_iam_role.%s.arn; then delete the access key secrets.\n", id)
	case runbook.ReplaceEKSPodIdentity:
		cluster, ns, sa := eksTarget(p.Target)
		role()
		fmt.Fprintf(b, "\nresource \"aws_eks_pod_identity_association\" %q {\n  cluster_name    = %q\n  namespace       = %q\n  service_account = %q\n  role_arn        = aws_iam_role.%s.arn\n}\n", id, cluster, ns, sa, id)
		b.WriteString("\n# The cluster needs the eks-pod-identity-agent add-on (aws_eks_addon). Then remove the\n# access key from the pod and restart its deployment.\n")
	case runbook.ReplaceEKSIRSA:
		_, ns, sa := eksTarget(p.Target)
		role()
		fmt.Fprintf(b, "\n# On the kubernetes_service_account %s/%s, set:\n#   annotations = { \"eks.amazonaws.com/role-arn\" = aws_iam_role.%s.arn }\n# and put the cluster's OIDC issuer ID in place of %s above.\n", ns, sa, id, eksOIDCIDPlaceholder)
	case runbook.ReplaceRolesAnywhere:
		fmt.Fprintf(b, "# IAM Roles Anywhere trusts your certificate authority: keyrunbook cannot create this part.\nresource \"aws_rolesanywhere_trust_anchor\" %q {\n  name    = %q\n  enabled = true\n  source {\n    source_type = \"CERTIFICATE_BUNDLE\"\n    source_data {\n      x509_certificate_data = file(\"ca.pem\") # your CA certificate\n    }\n  }\n}\n", id, p.Name)
		role()
		fmt.Fprintf(b, "\nresource \"aws_rolesanywhere_profile\" %q {\n  name      = %q\n  role_arns = [aws_iam_role.%s.arn]\n  enabled   = true\n}\n", id, p.Name, id)
		fmt.Fprintf(b, "\n# Put aws_rolesanywhere_trust_anchor.%s.id and the host certificate's common name into the\n# trust policy (%s, %s); the host signs in with aws_signing_helper.\n", id, trustAnchorPlaceholder, certificateCNPlaceholder)
	}
	return true
}

func isNewKind(k runbook.ReplacementKind) bool {
	switch k {
	case runbook.ReplaceOIDCRole, runbook.ReplaceEKSPodIdentity, runbook.ReplaceEKSIRSA, runbook.ReplaceRolesAnywhere:
		return true
	}
	return false
}
