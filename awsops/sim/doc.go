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
// Wire protocols follow the SDK's own serializers: IAM and STS speak the
// query protocol with XML replies, EC2 the EC2 query protocol, CloudTrail
// JSON 1.1. The SigV4 credential scope names the service, region and key;
// the signature is not checked, the key must exist and be active.
package sim
