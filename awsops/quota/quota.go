// Package quota holds the AWS request rates keyrunbook paces itself by
// and the simulated account enforces: one place for each, with where it
// comes from. It imports nothing, so awsops and awsops/sim both read it.
package quota

// LookupEventsPerSecond is CloudTrail's LookupEvents quota: 2 requests per
// second per account per Region, not adjustable ("Quotas in AWS
// CloudTrail", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html).
const LookupEventsPerSecond = 2.0

// AssumeRootPerSecond is the pace of sts:AssumeRoot calls from one
// (management) account. AWS publishes no STS request rate: the IAM user
// guide's "IAM and AWS STS quotas"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
// lists object quotas only, and STS throttles with token buckets per API
// per account ("How to monitor and query IAM resources at scale, part 2",
// https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/).
// 600 requests per second per account per Region, shared by AssumeRole,
// AssumeRoot and the other credential calls, is the figure AWS gives in
// throttling cases (https://github.com/awslabs/mountpoint-s3/issues/1358),
// not a documented quota: --rate lowers it.
const AssumeRootPerSecond = 600.0

// MemberIAMPerSecond is the simulated IAM request rate of one member
// account. IAM publishes no request rate either (the same blog post: token
// buckets per API, refilled every second, not adjustable); a limit applies
// to the account the calling credentials belong to, so a root session's
// IAM calls count against the member. 20 per second is the sim's
// assumption, far above the audit's five calls per member.
const MemberIAMPerSecond = 20.0
