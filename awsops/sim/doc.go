// Package sim is a simulated AWS account that the real aws-sdk-go-v2 clients
// talk to unchanged: point an IAM, STS, CloudTrail or EC2 client's
// BaseEndpoint at a Sim (Start serves one on loopback) and sign with a key
// the scenario knows.
//
// A Sim holds one account in memory, built from a Scenario (embedded JSON
// files, or a team's own read with ParseScenario): users, keys, policies,
// roles, instances, and workloads that call AWS on a schedule from known
// places. New seeds 90 days of their history into CloudTrail; Advance runs
// them forward on the simulated clock, so a workload whose key is
// deactivated starts failing where the trainee can see it.
//
// Wire protocols follow the SDK's own serializers, each service over every
// protocol its AWS model lists, chosen by the request (wire.go): IAM and
// STS the query protocol, EC2 the EC2 query protocol, CloudTrail and the
// other JSON services JSON 1.1, CloudWatch RPC v2 CBOR, JSON 1.0 and
// query, Lambda and GuardDuty restJson1, S3 restXml. Operations lists them
// all. The SigV4 credential scope names the service, region and key, and
// the signature is checked with the SDK's signer against the key's secret
// (sigv4.go); the key must exist and be active.
package sim
