# keyrunbook: ecs-task-role keyrunbook-jobs-worker-role replacing the leaked key for caller c3c4d5e6f (target jobs/worker in eu-west-1).
aws iam create-role --role-name 'keyrunbook-jobs-worker-role' --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
aws iam put-role-policy --role-name 'keyrunbook-jobs-worker-role' --policy-name keyrunbook-least-privilege --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::reports/*"]},{"Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":["*"]}]}'
# Register a revision of the service's task definition that differs only in
#   "taskRoleArn": "arn:aws:iam::111122223333:role/keyrunbook-jobs-worker-role"
# (aws ecs describe-task-definition, edit, aws ecs register-task-definition), then move the service to it:
#   aws ecs update-service --region 'eu-west-1' --cluster 'jobs' --service 'worker' --task-definition <family:revision>
