package judge

import (
	"slices"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The blast radius: what each successful call created or changed, and to
// which caller it is attributed.

// blastResources returns what a successful call created or changed, from
// its parameters and response. Only the named fields are read: a secret in
// the response (CreateAccessKey's secretAccessKey) is never copied.
func blastResources(call string, r *TrailRecord) []runbook.Resource {
	req := Params{raw: r.RequestParameters}
	resp := Params{raw: r.ResponseElements}
	at := func(typ, id, region, parent string) runbook.Resource {
		return runbook.Resource{Type: typ, ID: id, Region: region, Action: r.EventName, Time: r.EventTime, Parent: parent}
	}
	var out []runbook.Resource
	add := func(typ, region, parent string, ids ...string) {
		for _, id := range ids {
			if id != "" {
				out = append(out, at(typ, id, region, parent))
			}
		}
	}
	self := r.UserIdentity.UserName // IAM acts on the caller when userName is absent
	if r.UserIdentity.Type == "Root" {
		self = "root"
	}
	orSelf := func(v string) string {
		if v == "" {
			return self
		}
		return v
	}
	switch call {
	case "iam:CreateUser":
		add("iam-user", "", "", req.str("userName"))
	case "iam:CreateAccessKey":
		user := resp.str("accessKey.userName")
		if user == "" {
			user = orSelf(req.str("userName"))
		}
		add("access-key", "", user, resp.str("accessKey.accessKeyId"))
	case "iam:CreateLoginProfile", "iam:UpdateLoginProfile":
		user := orSelf(req.str("userName"))
		add("login-profile", "", user, user)
	case "iam:CreateRole", "iam:UpdateAssumeRolePolicy":
		add("iam-role", "", "", req.str("roleName"))
	case "iam:AttachUserPolicy", "iam:PutUserPolicy":
		add("policy", "", "user/"+orSelf(req.str("userName")), req.str("policyArn"), req.str("policyName"))
	case "iam:AttachRolePolicy", "iam:PutRolePolicy":
		add("policy", "", "role/"+req.str("roleName"), req.str("policyArn"), req.str("policyName"))
	case "iam:AttachGroupPolicy", "iam:PutGroupPolicy":
		add("policy", "", "group/"+req.str("groupName"), req.str("policyArn"), req.str("policyName"))
	case "iam:CreatePolicy":
		id := resp.str("policy.arn")
		if id == "" {
			id = req.str("policyName")
		}
		add("policy", "", "", id)
	case "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion":
		add("policy", "", "", req.str("policyArn"))
	case "iam:AddUserToGroup":
		add("group-membership", "", req.str("groupName"), req.str("userName"))
	case "iam:CreateGroup":
		add("iam-group", "", "", req.str("groupName"))
	case "iam:CreateInstanceProfile":
		add("instance-profile", "", "", req.str("instanceProfileName"))
	case "iam:CreateOpenIDConnectProvider":
		add("identity-provider", "", "", resp.str("openIDConnectProviderArn"))
	case "iam:CreateSAMLProvider":
		add("identity-provider", "", "", resp.str("sAMLProviderArn"))
	case "ec2:RunInstances":
		add("ec2-instance", r.AWSRegion, "", resp.strs("instancesSet.items[].instanceId")...)
	case "ec2:RequestSpotInstances":
		add("spot-request", r.AWSRegion, "", resp.strs("spotInstanceRequestSet.items[].spotInstanceRequestId")...)
	case "ec2:CreateSecurityGroup":
		add("security-group", r.AWSRegion, "", resp.str("groupId"))
	case "ec2:AuthorizeSecurityGroupIngress":
		group := req.str("groupId")
		if rules := resp.strs("securityGroupRuleSet.items[].securityGroupRuleId"); len(rules) > 0 {
			add("security-group-rule", r.AWSRegion, group, rules...)
		} else {
			add("security-group-rule", r.AWSRegion, "", group)
		}
	case "ec2:ImportKeyPair", "ec2:CreateKeyPair":
		add("ec2-key-pair", r.AWSRegion, "", req.str("keyName"))
	case "ec2:DeleteFlowLogs":
		ids := append(req.strs("flowLogIds[]"), req.strs("DeleteFlowLogsRequest.FlowLogId[]")...)
		add("flow-log", r.AWSRegion, "", ids...)
	case "lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
		"lambda:CreateFunctionUrlConfig":
		add("lambda-function", r.AWSRegion, "", req.str("functionName"))
	case "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail":
		add("cloudtrail-trail", r.AWSRegion, "", req.str("name"))
	case "cloudtrail:PutEventSelectors":
		add("cloudtrail-trail", r.AWSRegion, "", req.str("trailName"))
	case "guardduty:DeleteDetector":
		add("guardduty-detector", r.AWSRegion, "", req.str("detectorId"))
	case "sts:AssumeRole", "sts:GetSessionToken", "sts:GetFederationToken":
		// Minted credentials outlive the key (issue 11): list their key IDs.
		add("temporary-credentials", r.AWSRegion, req.str("roleArn"), resp.str("credentials.accessKeyId"))
	}
	return out
}

// foldBlast adds what a successful call made to the blast radius, credited
// to its caller; an omitted response falls back to the event's resources.
func (a *Aggregator) foldBlast(act *actionState, r *TrailRecord, key callerKey) {
	made := blastResources(act.call, r)
	if req, resp := (Params{raw: r.RequestParameters}), (Params{raw: r.ResponseElements}); omitted(&req) || omitted(&resp) {
		// The parent as blastResources names it: a key's user (the caller
		// when the request names none), a session's role.
		parent := ""
		switch {
		case act.call == "iam:CreateAccessKey" && req.str("userName") != "":
			parent = req.str("userName")
		case act.call == "iam:CreateAccessKey":
			parent = r.UserIdentity.UserName
		case act.prefix == "sts":
			parent = req.str("roleArn")
		}
		more := fromResources(act.call, r, parent)
		a.omitted.note(r.EventName, len(more))
		made = append(made, more...)
	}
	for _, res := range made {
		k := blastKey{res.Type, res.ID, res.Region}
		old, seen := a.blast[k]
		switch {
		case !seen && len(a.blast) >= blastRadiusCap:
			a.blastDropped++
			continue
		case !seen:
			old = &blastEntry{res: res, callers: map[callerKey]time.Time{}}
			a.blast[k] = old
		case res.Time.Before(old.res.Time) || (res.Time.Equal(old.res.Time) && res.Action < old.res.Action):
			old.res = res
		}
		if at, ok := old.callers[key]; !ok || res.Time.Before(at) {
			old.callers[key] = res.Time
		}
	}
}

// attribute keeps the resources that a caller not labelled legitimate
// created or changed, each credited to the earliest such caller, sorted.
func attribute(entries map[blastKey]*blastEntry, views []*callerView) []runbook.Resource {
	byKey := make(map[callerKey]*callerView, len(views))
	for _, v := range views {
		byKey[v.key] = v
	}
	var out []runbook.Resource
	for _, e := range entries {
		var by *callerView
		var at time.Time
		for k, t := range e.callers {
			v := byKey[k]
			if v == nil || v.caller.Label == runbook.LabelLegitimate {
				continue
			}
			if by == nil || t.Before(at) || (t.Equal(at) && v.caller.ID < by.caller.ID) {
				by, at = v, t
			}
		}
		if by == nil {
			continue // only the account's own workloads touched it
		}
		res := e.res
		res.CallerID = by.caller.ID
		out = append(out, res)
	}
	slices.SortFunc(out, func(x, y runbook.Resource) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return strings.Compare(x.Type+"\x00"+x.ID+"\x00"+x.Region, y.Type+"\x00"+y.ID+"\x00"+y.Region)
	})
	return out
}
