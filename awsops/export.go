package awsops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// trustedService is the service principal that assumes each kind of role.
var trustedService = map[runbook.ReplacementKind]string{
	runbook.ReplaceInstanceRole: "ec2.amazonaws.com",
	runbook.ReplaceLambdaRole:   "lambda.amazonaws.com",
	runbook.ReplaceECSTaskRole:  "ecs-tasks.amazonaws.com",
}

// TrustPolicy returns the assume-role policy of a replacement role: the
// service of its kind may assume it. An IAM user has none: "".
func TrustPolicy(kind runbook.ReplacementKind) string {
	service, ok := trustedService[kind]
	if !ok {
		return ""
	}
	type trustStatement struct {
		Effect    string            `json:"Effect"`
		Principal map[string]string `json:"Principal"`
		Action    string            `json:"Action"`
	}
	return marshalPolicy(struct {
		Version   string           `json:"Version"`
		Statement []trustStatement `json:"Statement"`
	}{PolicyVersion, []trustStatement{{"Allow", map[string]string{"Service": service}, "sts:AssumeRole"}}})
}

// ExportCLI returns the AWS CLI commands that create what applying the
// proposal creates, in the same order, for teams whose changes go through
// review. Values are single-quoted for a POSIX shell.
func ExportCLI(p runbook.Proposal, account string) string {
	var b strings.Builder
	exportHeader(&b, p)
	if exportKindCLI(&b, p, account) {
		return b.String()
	}
	region := ""
	if p.Region != "" {
		region = " --region " + shellQuote(p.Region)
	}
	name := shellQuote(p.Name)
	policy := compactJSON(p.Policy)
	if p.Kind == runbook.ReplaceIAMUser {
		fmt.Fprintf(&b, "aws iam create-user --user-name %s\n", name)
		if policy != "" {
			fmt.Fprintf(&b, "aws iam put-user-policy --user-name %s --policy-name %s --policy-document %s\n", name, ReplacementPolicyName, shellQuote(policy))
		}
		b.WriteString("# Prints the new secret access key once: put it in the host's secret store, never in a log or a ticket.\n")
		fmt.Fprintf(&b, "aws iam create-access-key --user-name %s\n", name)
		return b.String()
	}
	fmt.Fprintf(&b, "aws iam create-role --role-name %s --assume-role-policy-document %s\n", name, shellQuote(compactJSON(TrustPolicy(p.Kind))))
	if policy != "" {
		fmt.Fprintf(&b, "aws iam put-role-policy --role-name %s --policy-name %s --policy-document %s\n", name, ReplacementPolicyName, shellQuote(policy))
	}
	target := shellQuote(targetOrPlaceholder(p))
	switch p.Kind {
	case runbook.ReplaceInstanceRole:
		fmt.Fprintf(&b, "aws iam create-instance-profile --instance-profile-name %s\n", name)
		fmt.Fprintf(&b, "aws iam add-role-to-instance-profile --instance-profile-name %s --role-name %s\n", name, name)
		fmt.Fprintf(&b, "aws ec2 associate-iam-instance-profile%s --instance-id %s --iam-instance-profile Name=%s\n", region, target, name)
		b.WriteString("# If the instance already has an instance profile, replace that association instead:\n")
		fmt.Fprintf(&b, "#   aws ec2 describe-iam-instance-profile-associations%s --filters Name=instance-id,Values=%s\n", region, target)
		fmt.Fprintf(&b, "#   aws ec2 replace-iam-instance-profile-association%s --association-id <association-id> --iam-instance-profile Name=%s\n", region, name)
	case runbook.ReplaceLambdaRole:
		fmt.Fprintf(&b, "aws lambda update-function-configuration%s --function-name %s --role %s\n", region, target, shellQuote(roleARN(account, p)))
	case runbook.ReplaceECSTaskRole:
		cluster, service, ok := strings.Cut(p.Target, "/")
		if !ok {
			cluster, service = "<cluster>", "<service>"
		}
		b.WriteString("# Register a revision of the service's task definition that differs only in\n")
		fmt.Fprintf(&b, "#   \"taskRoleArn\": \"%s\"\n", roleARN(account, p))
		fmt.Fprintf(&b, "# (aws ecs describe-task-definition, edit, aws ecs register-task-definition), then move the service to it:\n")
		fmt.Fprintf(&b, "#   aws ecs update-service%s --cluster %s --service %s --task-definition <family:revision>\n", region, shellQuote(cluster), shellQuote(service))
	}
	return b.String()
}

// ExportTerraform returns the proposal as a Terraform (AWS provider)
// snippet. The access key of a user replacement is left out on purpose:
// aws_iam_access_key would keep its secret in the Terraform state.
func ExportTerraform(p runbook.Proposal, account string) string {
	var b strings.Builder
	exportHeader(&b, p)
	if exportKindTerraform(&b, p, account) {
		return b.String()
	}
	id := terraformID(p.Name)
	if p.Kind == runbook.ReplaceIAMUser {
		fmt.Fprintf(&b, "resource \"aws_iam_user\" %q {\n  name = %q\n}\n", id, p.Name)
		if p.Policy != "" {
			fmt.Fprintf(&b, "\nresource \"aws_iam_user_policy\" %q {\n  name   = %q\n  user   = aws_iam_user.%s.name\n  policy = %s\n}\n", id, ReplacementPolicyName, id, terraformHeredoc(p.Policy))
		}
		b.WriteString("\n# The access key is left out on purpose: aws_iam_access_key keeps its secret in the\n# Terraform state. Create it once, outside Terraform:\n")
		fmt.Fprintf(&b, "#   aws iam create-access-key --user-name %s\n", p.Name)
		return b.String()
	}
	fmt.Fprintf(&b, "resource \"aws_iam_role\" %q {\n  name               = %q\n  assume_role_policy = %s\n}\n", id, p.Name, terraformHeredoc(TrustPolicy(p.Kind)))
	if p.Policy != "" {
		fmt.Fprintf(&b, "\nresource \"aws_iam_role_policy\" %q {\n  name   = %q\n  role   = aws_iam_role.%s.id\n  policy = %s\n}\n", id, ReplacementPolicyName, id, terraformHeredoc(p.Policy))
	}
	target := targetOrPlaceholder(p)
	switch p.Kind {
	case runbook.ReplaceInstanceRole:
		fmt.Fprintf(&b, "\nresource \"aws_iam_instance_profile\" %q {\n  name = %q\n  role = aws_iam_role.%s.name\n}\n", id, p.Name, id)
		fmt.Fprintf(&b, "\n# On the aws_instance of %s%s, set:\n#   iam_instance_profile = aws_iam_instance_profile.%s.name\n", target, inRegion(p.Region), id)
	case runbook.ReplaceLambdaRole:
		fmt.Fprintf(&b, "\n# On the aws_lambda_function of %s%s, set:\n#   role = aws_iam_role.%s.arn\n", target, inRegion(p.Region), id)
	case runbook.ReplaceECSTaskRole:
		fmt.Fprintf(&b, "\n# On the aws_ecs_task_definition of %s%s, set:\n#   task_role_arn = aws_iam_role.%s.arn\n", target, inRegion(p.Region), id)
	}
	return b.String()
}

func exportHeader(b *strings.Builder, p runbook.Proposal) {
	fmt.Fprintf(b, "# keyrunbook: %s %s replacing the leaked key for caller %s (target %s%s).\n",
		p.Kind, p.Name, p.CallerID, targetOrPlaceholder(p), inRegion(p.Region))
	for _, a := range p.Attempted {
		fmt.Fprintf(b, "# Attempted, not granted: %s\n", a)
	}
}

func inRegion(region string) string {
	if region == "" {
		return ""
	}
	return " in " + region
}

func targetOrPlaceholder(p runbook.Proposal) string {
	if p.Target == "" {
		return "<target>"
	}
	return p.Target
}

func roleARN(account string, p runbook.Proposal) string {
	if account == "" {
		account = "<account>"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", judge.Partition(p.Region), account, p.Name)
}

// shellQuote single-quotes a value for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func compactJSON(doc string) string {
	var b bytes.Buffer
	if doc == "" || json.Compact(&b, []byte(doc)) != nil {
		return doc
	}
	return b.String()
}

var terraformIDChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// terraformID turns a name into a Terraform identifier.
func terraformID(name string) string {
	id := terraformIDChars.ReplaceAllString(name, "_")
	if id == "" || (id[0] >= '0' && id[0] <= '9') {
		id = "_" + id
	}
	return id
}

// terraformHeredoc embeds a JSON document as an indented heredoc, with
// Terraform's template sequences escaped so ${aws:username} stays literal.
func terraformHeredoc(doc string) string {
	doc = strings.ReplaceAll(doc, "${", "$${")
	doc = strings.ReplaceAll(doc, "%{", "%%{")
	var b strings.Builder
	b.WriteString("<<-EOT\n")
	for line := range strings.SplitSeq(doc, "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  EOT")
	return b.String()
}
