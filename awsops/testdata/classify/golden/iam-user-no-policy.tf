# keyrunbook: iam-user keyrunbook-203.0.113.11 replacing the leaked key for caller c5e6f7081 (target 203.0.113.11).
resource "aws_iam_user" "keyrunbook_203_0_113_11" {
  name = "keyrunbook-203.0.113.11"
}

# The access key is left out on purpose: aws_iam_access_key keeps its secret in the
# Terraform state. Create it once, outside Terraform:
#   aws iam create-access-key --user-name keyrunbook-203.0.113.11
