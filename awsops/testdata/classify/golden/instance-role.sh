# keyrunbook: instance-role keyrunbook-i-0aaa1111-role replacing the leaked key for caller c1a2b3c4d (target i-0aaa1111 in us-east-1).
# Attempted, not granted: s3:GetBucketAcl
aws iam create-role --role-name 'keyrunbook-i-0aaa1111-role' --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
aws iam put-role-policy --role-name 'keyrunbook-i-0aaa1111-role' --policy-name keyrunbook-least-privilege --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::reports/*"]},{"Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":["*"]}]}'
aws iam create-instance-profile --instance-profile-name 'keyrunbook-i-0aaa1111-role'
aws iam add-role-to-instance-profile --instance-profile-name 'keyrunbook-i-0aaa1111-role' --role-name 'keyrunbook-i-0aaa1111-role'
aws ec2 associate-iam-instance-profile --region 'us-east-1' --instance-id 'i-0aaa1111' --iam-instance-profile Name='keyrunbook-i-0aaa1111-role'
# If the instance already has an instance profile, replace that association instead:
#   aws ec2 describe-iam-instance-profile-associations --region 'us-east-1' --filters Name=instance-id,Values='i-0aaa1111'
#   aws ec2 replace-iam-instance-profile-association --region 'us-east-1' --association-id <association-id> --iam-instance-profile Name='keyrunbook-i-0aaa1111-role'
