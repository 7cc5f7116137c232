# keyrunbook: lambda-role keyrunbook-orders-sync-role replacing the leaked key for caller c2b3c4d5e (target orders-sync in eu-west-1).
resource "aws_iam_role" "keyrunbook_orders_sync_role" {
  name               = "keyrunbook-orders-sync-role"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "Service": "lambda.amazonaws.com"
          },
          "Action": "sts:AssumeRole"
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy" "keyrunbook_orders_sync_role" {
  name   = "keyrunbook-least-privilege"
  role   = aws_iam_role.keyrunbook_orders_sync_role.id
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

# On the aws_lambda_function of orders-sync in eu-west-1, set:
#   role = aws_iam_role.keyrunbook_orders_sync_role.arn
