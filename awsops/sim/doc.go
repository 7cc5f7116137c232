// Package sim is a simulated AWS account that the real aws-sdk-go-v2 clients
// talk to unchanged: point a client's BaseEndpoint at a Sim (Start serves
// one on loopback) and sign with a key the scenario knows.
//
// A Sim holds one account in memory, built from a Scenario (embedded JSON
// files, or a team's own read with ParseScenario): users, keys, policies,
// roles, instances, functions, clusters, trails, an organization, the
// workloads that call AWS on a schedule from known places and the data
// events they make. New seeds 90 days of their history into CloudTrail;
// Advance runs them forward on the simulated clock, so a workload whose key
// is deactivated starts failing where the trainee can see it.
//
// It serves twelve services, each declared in the file named after it
// with its protocols and operations table: iam (iam.go), sts (sts.go), ec2
// (ec2.go), cloudtrail (cloudtrail.go), cloudwatch (cloudwatch.go), athena
// (athena.go), ecs (ecs.go), organizations (org.go), lambda (lambda.go),
// guardduty (guardduty.go), securityhub (securityhub.go) and s3 (s3.go).
// The constructor assembles them (newCatalog in operations.go), Operations
// lists them all, and TestDocListsEveryService keeps this list whole.
//
// Every request takes one path (ServeHTTP, handler.go): its wire protocol
// is chosen from the request itself (wire.go) and picks its codec, one per
// protocol behind one interface (wire_codec.go; wire_query.go: awsQuery,
// ec2Query; wire_json.go: awsJson1_0/1_1; wire_rest.go: restJson1,
// restXml; wire_cbor.go: rpcv2Cbor). The SigV4 credential scope names the
// service, region and key, and the signature is checked with the SDK's
// signer against the key's secret (sigv4.go); the codec decodes the
// operation and its input; the key must exist and be active; the
// operation runs (exec.go) and the codec writes its reply or error.
package sim
