package awsops

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The proof of a proposal (issue 11): every call its legitimate callers
// were seen to make, and every write of the callers labelled suspicious or
// attacker, is replayed through iam:SimulateCustomPolicy against the
// proposal's policy. It passes when each legitimate call is allowed and no
// attacker write is. Only what CloudTrail shows is replayed: iam:PassRole
// never appears there, and the calls that always failed were never granted.

// simulateAPI is the IAM call the proof makes.
type simulateAPI interface {
	SimulateCustomPolicy(ctx context.Context, params *iam.SimulateCustomPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulateCustomPolicyOutput, error)
}

var _ simulateAPI = (*iam.Client)(nil)

// Batches of one SimulateCustomPolicy call. IAM documents no limit on
// ActionNames; a bounded batch keeps each request and its reply small.
const (
	proofActionsPerCall = 50
	proofPageSize       = 200
)

// newSimulateClient makes the proof's IAM client from the session's
// configuration, whose calls are noted like every other (APICall).
var newSimulateClient = func(c *Clients) simulateAPI { return iam.NewFromConfig(c.Config) }

func (x *Executor) prove(ctx context.Context, e runbook.ProveProposal) runbook.Event {
	return Prove(ctx, newSimulateClient(x.clients), e)
}

// proofCheck is one call to replay: an IAM action on one resource ("*"
// when the events named none), and who made it (attackers only).
type proofCheck struct {
	action, resource string
}

// Prove replays the effect's calls against its proposal's policy. It
// always answers ProposalProven; Error says why the simulation did not run.
func Prove(ctx context.Context, api simulateAPI, e runbook.ProveProposal) runbook.ProposalProven {
	out := runbook.ProposalProven{CallerID: e.Proposal.CallerID, Seq: e.Seq}
	legit, notes := legitimateChecks(e.Callers)
	attack, byWhom := attackerChecks(e.Attackers)
	decided, missing, err := simulate(ctx, api, e.Proposal.Policy, append(slices.Clone(legit), attack...))
	if err != nil {
		missingAction, text := describe("iam:SimulateCustomPolicy", err)
		out.Error, out.Action, out.Code = text+": the policy was not proved.", missingAction, apiCode(err)
		return out
	}
	for _, ck := range legit {
		if d := decided[ck]; d == iamtypes.PolicyEvaluationDecisionTypeAllowed {
			out.Allowed = append(out.Allowed, ck.String())
		} else {
			out.Denied = append(out.Denied, ck.String()+denyWord(d))
		}
	}
	for _, ck := range attack {
		who := " (caller " + strings.Join(byWhom[ck], ", ") + ")"
		if decided[ck] == iamtypes.PolicyEvaluationDecisionTypeAllowed {
			out.AttackerAllowed = append(out.AttackerAllowed, ck.String()+who)
		} else {
			out.AttackerDenied = append(out.AttackerDenied, ck.String()+who)
		}
	}
	if len(legit) == 0 {
		notes = append(notes, "No call of the legitimate callers needs a permission: nothing of theirs to replay.")
	}
	if len(missing) > 0 {
		notes = append(notes, fmt.Sprintf("Conditional statements were not evaluated (their context keys %s were not given): a conditional Allow counts as granting nothing.", strings.Join(missing, ", ")))
	}
	out.Notes = notes
	return out
}

func (ck proofCheck) String() string {
	if ck.resource == "*" {
		return ck.action
	}
	return ck.action + " on " + ck.resource
}

func denyWord(d iamtypes.PolicyEvaluationDecisionType) string {
	if d == iamtypes.PolicyEvaluationDecisionTypeExplicitDeny {
		return " (explicit deny)"
	}
	return ""
}

// legitimateChecks are the legitimate callers' successful calls, each IAM
// action on each resource its events named, once.
func legitimateChecks(callers []runbook.UsageCaller) ([]proofCheck, []string) {
	seen := map[proofCheck]bool{}
	var out []proofCheck
	wildcard, passes := 0, false
	for _, c := range callers {
		for _, u := range c.Actions {
			if u.Errors >= u.Count {
				continue // attempted, never granted: the policy leaves it out on purpose
			}
			resources, hadPassed := ownResources(u)
			passes = passes || hadPassed
			for _, a := range judge.IAMActions(u.Source, u.Name) {
				for _, r := range resources {
					ck := proofCheck{a, r}
					if !seen[ck] {
						seen[ck] = true
						out = append(out, ck)
						if r == "*" {
							wildcard++
						}
					}
				}
			}
		}
	}
	var notes []string
	if wildcard > 0 {
		notes = append(notes, fmt.Sprintf("%d call(s) named no resource, or take none: replayed on \"*\".", wildcard))
	}
	if passes {
		notes = append(notes, "iam:PassRole is not replayed: CloudTrail never records it; the policy's PassRole statement stands as built from the roles the calls passed.")
	}
	return out, notes
}

// attackerChecks are the writes of suspicious and attacker callers, tried
// or done: a proposal must not grant what the attacker wrote.
func attackerChecks(callers []runbook.UsageCaller) ([]proofCheck, map[proofCheck][]string) {
	who := map[proofCheck][]string{}
	var out []proofCheck
	for _, c := range callers {
		for _, u := range c.Actions {
			if u.ReadOnly {
				continue
			}
			resources, _ := ownResources(u)
			for _, a := range judge.IAMActions(u.Source, u.Name) {
				for _, r := range resources {
					ck := proofCheck{a, r}
					if who[ck] == nil {
						out = append(out, ck)
					}
					if !slices.Contains(who[ck], c.ID) {
						who[ck] = append(who[ck], c.ID)
					}
				}
			}
		}
	}
	return out, who
}

// ownResources are the ARNs an action's permission is checked on: its
// resources without the roles it passed, "*" when none or any was "*".
func ownResources(u runbook.ActionUse) (own []string, passed bool) {
	prefix := judge.IAMPrefix(u.Source)
	for _, r := range u.Resources {
		switch {
		case judge.PassedRoleARN(prefix, r):
			passed = true
		case r == "*":
			return []string{"*"}, passed
		default:
			own = append(own, r)
		}
	}
	if len(own) == 0 {
		return []string{"*"}, passed
	}
	return own, passed
}

// simulate asks IAM for every check's decision. Checks on the same
// resources share calls: SimulateCustomPolicy evaluates each action it is
// given on each resource it is given.
func simulate(ctx context.Context, api simulateAPI, policy string, checks []proofCheck) (map[proofCheck]iamtypes.PolicyEvaluationDecisionType, []string, error) {
	byResource := map[string][]string{}
	for _, ck := range checks {
		if !slices.Contains(byResource[ck.resource], ck.action) { // a legitimate call the attacker made too
			byResource[ck.resource] = append(byResource[ck.resource], ck.action)
		}
	}
	decided := map[proofCheck]iamtypes.PolicyEvaluationDecisionType{}
	missing := map[string]bool{}
	for _, resource := range slices.Sorted(maps.Keys(byResource)) {
		actions := byResource[resource]
		for start := 0; start < len(actions); start += proofActionsPerCall {
			in := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{policy},
				ActionNames: actions[start:min(start+proofActionsPerCall, len(actions))], MaxItems: aws.Int32(proofPageSize)}
			if resource != "*" {
				in.ResourceArns = []string{resource}
			}
			pages := iam.NewSimulateCustomPolicyPaginator(api, in)
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, r := range page.EvaluationResults {
					action := aws.ToString(r.EvalActionName)
					decided[proofCheck{action, resource}] = resourceDecision(r, resource)
					for _, k := range r.MissingContextValues {
						missing[k] = true
					}
				}
			}
		}
	}
	// IAM may spell an action in another case than asked: match by the
	// lower-case form, as IAM evaluates it.
	folded := map[proofCheck]iamtypes.PolicyEvaluationDecisionType{}
	for ck, d := range decided {
		folded[proofCheck{strings.ToLower(ck.action), ck.resource}] = d
	}
	out := map[proofCheck]iamtypes.PolicyEvaluationDecisionType{}
	for _, ck := range checks {
		d, ok := folded[proofCheck{strings.ToLower(ck.action), ck.resource}]
		if !ok {
			d = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny // unanswered counts as not granted
		}
		out[ck] = d
	}
	return out, slices.Sorted(maps.Keys(missing)), nil
}

// resourceDecision reads one result's decision on the resource: from its
// resource-specific result where IAM gives one (one result per action),
// else from the result itself (the older one-result-per-resource form).
func resourceDecision(r iamtypes.EvaluationResult, resource string) iamtypes.PolicyEvaluationDecisionType {
	for _, rr := range r.ResourceSpecificResults {
		if aws.ToString(rr.EvalResourceName) == resource {
			return rr.EvalResourceDecision
		}
	}
	return r.EvalDecision
}
