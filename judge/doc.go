// Package judge decides who used a leaked key and what they did: it parses
// CloudTrail records, folds them into callers, evaluates every record
// against the technique table (techniques.go), attributes what was created
// or changed to the callers that did it, and builds the blast radius.
//
// It uses no AWS SDK, so it is tested like runbook, record by record:
// awsops feeds it what its sweeps and trail sources read.
package judge
