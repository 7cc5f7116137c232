# keyrunbook: iam-user keyrunbook-203.0.113.11 replacing the leaked key for caller c5e6f7081 (target 203.0.113.11).
aws iam create-user --user-name 'keyrunbook-203.0.113.11'
# Prints the new secret access key once: put it in the host's secret store, never in a log or a ticket.
aws iam create-access-key --user-name 'keyrunbook-203.0.113.11'
