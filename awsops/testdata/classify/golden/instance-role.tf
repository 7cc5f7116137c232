# keyrunbook: instance-role keyrunbook-i-0aaa1111-role replacing the leaked key for caller c1a2b3c4d (target i-0aaa1111 in us-east-1).
# Attempted, not granted: s3:GetBucketAcl
resource "aws_iam_role" "keyrunbook_i_0aaa1111_role" {
  name               = "keyrunbook-i-0aaa1111-role"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "Service": "ec2.amazonaws.com"
          },
          "Action": "sts:AssumeRole"
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy" "keyrunbook_i_0aaa1111_role" {
  name   = "keyrunbook-least-privilege"
  role   = aws_iam_role.keyrunbook_i_0aaa1111_role.id
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

resource "aws_iam_instance_profile" "keyrunbook_i_0aaa1111_role" {
  name = "keyrunbook-i-0aaa1111-role"
  role = aws_iam_role.keyrunbook_i_0aaa1111_role.name
}

# On the aws_instance of i-0aaa1111 in us-east-1, set:
#   iam_instance_profile = aws_iam_instance_profile.keyrunbook_i_0aaa1111_role.name
