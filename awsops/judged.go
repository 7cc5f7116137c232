package awsops

import "github.com/keyrunbook/keyrunbook/judge"

// The judgement of callers (parsing CloudTrail records, folding them into
// callers, the technique table, attribution and the blast radius) lives in
// package judge, which uses no AWS SDK. These aliases keep the names the
// rest of awsops and its users (cmd, tui, bench) already spell.
type (
	// TrailRecord is one CloudTrail event (judge.TrailRecord).
	TrailRecord = judge.TrailRecord
	// UserIdentity is the principal of a record (judge.UserIdentity).
	UserIdentity = judge.UserIdentity
	// TrailResource is one entry of a record's resources (judge.TrailResource).
	TrailResource = judge.TrailResource
	// Inventory is where the account's callers can run (judge.Inventory).
	Inventory = judge.Inventory
	// Instance is one EC2 instance of the account (judge.Instance).
	Instance = judge.Instance
	// ElasticIP is one Elastic IP of the account (judge.ElasticIP).
	ElasticIP = judge.ElasticIP
	// Function is one Lambda function of the account (judge.Function).
	Function = judge.Function
	// Aggregator folds records into callers (judge.Aggregator).
	Aggregator = judge.Aggregator
)
