# keyrunbook: iam-user keyrunbook-203.0.113.10 replacing the leaked key for caller c4d5e6f70 (target 203.0.113.10).
aws iam create-user --user-name 'keyrunbook-203.0.113.10'
aws iam put-user-policy --user-name 'keyrunbook-203.0.113.10' --policy-name keyrunbook-least-privilege --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::reports/*"]},{"Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":["*"]}]}'
# Prints the new secret access key once: put it in the host's secret store, never in a log or a ticket.
aws iam create-access-key --user-name 'keyrunbook-203.0.113.10'
