# keyrunbook: iam-user keyrunbook-203.0.113.10 replacing the leaked key for caller c4d5e6f70 (target 203.0.113.10).
resource "aws_iam_user" "keyrunbook_203_0_113_10" {
  name = "keyrunbook-203.0.113.10"
}

resource "aws_iam_user_policy" "keyrunbook_203_0_113_10" {
  name   = "keyrunbook-least-privilege"
  user   = aws_iam_user.keyrunbook_203_0_113_10.name
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": [
            "s3:GetObject"
          ],
          "Resource": [
            "arn:aws:s3:::reports/*"
          ]
        },
        {
          "Effect": "Allow",
          "Action": [
            "s3:ListAllMyBuckets"
          ],
          "Resource": [
            "*"
          ]
        }
      ]
    }
  EOT
}

# The access key is left out on purpose: aws_iam_access_key keeps its secret in the
# Terraform state. Create it once, outside Terraform:
#   aws iam create-access-key --user-name keyrunbook-203.0.113.10
