package judge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// CloudTrail drops a requestParameters or responseElements past its size
// limit and writes {"omitted": true} in its place ("If a field is
// truncated, omitted is present with a value of true", CloudTrail record
// contents). A large RunInstances or CreateAccessKey response would then
// name no instance and no key: the blast radius falls back to the event's
// resources (the record's own, or those LookupEvents lists beside it), and
// the coverage says what could not be seen.

// omittedNamesKept bounds the event names the note lists.
const omittedNamesKept = 20

// omitted reports whether a parameter block is CloudTrail's omission mark.
func omitted(p *Params) bool {
	return p.load() && strings.TrimSpace(string(p.top["omitted"])) == "true"
}

// resourceTypes are the resource types that stand for what a call made
// when its response is omitted, and the blast-radius type each becomes.
var resourceTypes = map[string]struct{ resType, blastType string }{
	"ec2:RunInstances":      {"AWS::EC2::Instance", "ec2-instance"},
	"iam:CreateAccessKey":   {"AWS::IAM::AccessKey", "access-key"},
	"iam:CreateUser":        {"AWS::IAM::User", "iam-user"},
	"iam:CreateRole":        {"AWS::IAM::Role", "iam-role"},
	"iam:CreatePolicy":      {"AWS::IAM::Policy", "policy"},
	"lambda:CreateFunction": {"AWS::Lambda::Function", "lambda-function"},
	"sts:AssumeRole":        {"AWS::IAM::AccessKey", "temporary-credentials"},
	"sts:GetSessionToken":   {"AWS::IAM::AccessKey", "temporary-credentials"},
}

// fromResources is what an omitted call made, read from its resources.
func fromResources(call string, r *TrailRecord, parent string) []runbook.Resource {
	rt, ok := resourceTypes[call]
	if !ok {
		return nil
	}
	region := ""
	if rt.blastType == "ec2-instance" || rt.blastType == "lambda-function" || rt.blastType == "temporary-credentials" {
		region = r.AWSRegion
	}
	var out []runbook.Resource
	for _, res := range r.Resources {
		if res.Type != rt.resType || res.ARN == "" {
			continue
		}
		id := res.ARN
		if rt.blastType != "policy" && rt.blastType != "lambda-function" {
			id = lastSegment(id)
		}
		if rt.blastType == "temporary-credentials" && !strings.HasPrefix(id, "ASIA") {
			continue
		}
		out = append(out, runbook.Resource{Type: rt.blastType, ID: id, Region: region, Action: r.EventName, Time: r.EventTime, Parent: parent})
	}
	return out
}

// lastSegment is the name at the end of an ARN ("…:instance/i-1" → "i-1").
func lastSegment(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	return s[strings.LastIndexAny(s, "/:")+1:]
}

// omissions counts the events whose fields CloudTrail omitted.
type omissions struct {
	events    int
	recovered int
	names     []string
}

func (o *omissions) note(name string, recovered int) {
	o.events++
	o.recovered += recovered
	if !slices.Contains(o.names, name) && len(o.names) < omittedNamesKept {
		o.names = append(o.names, name)
	}
}

// sentence says what could not be seen, or "".
func (o *omissions) sentence() string {
	if o.events == 0 {
		return ""
	}
	names := slices.Sorted(slices.Values(o.names))
	return fmt.Sprintf("CloudTrail omitted the parameters or response of %d event(s) for their size (%s): %d resource(s) they made were read from the events' resources; "+
		"anything else they named (other resources, policies, roles passed) could not be seen.", o.events, strings.Join(names, ", "), o.recovered)
}
