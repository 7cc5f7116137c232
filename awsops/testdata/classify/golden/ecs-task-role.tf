# keyrunbook: ecs-task-role keyrunbook-jobs-worker-role replacing the leaked key for caller c3c4d5e6f (target jobs/worker in eu-west-1).
resource "aws_iam_role" "keyrunbook_jobs_worker_role" {
  name               = "keyrunbook-jobs-worker-role"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "Service": "ecs-tasks.amazonaws.com"
          },
          "Action": "sts:AssumeRole"
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy" "keyrunbook_jobs_worker_role" {
  name   = "keyrunbook-least-privilege"
  role   = aws_iam_role.keyrunbook_jobs_worker_role.id
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

# On the aws_ecs_task_definition of jobs/worker in eu-west-1, set:
#   task_role_arn = aws_iam_role.keyrunbook_jobs_worker_role.arn
