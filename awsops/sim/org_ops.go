package sim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The management account's side of the organization: Organizations
// ListAccounts and DescribeOrganization (JSON 1.1), IAM's centralized root
// access features (query), and sts:AssumeRoot (query), as the
// Organizations, IAM and STS API references describe them.

// Root task policies, as their JSON reads in the IAM user guide, "AWS
// managed policies for AWS Identity and Access Management and Access
// Analyzer" (https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html):
// each denies every action but the ones listed (NotAction), and those on
// any resource but arn:aws:iam::*:root. AssumeRoot takes exactly one, and
// the session may do only what it allows. None allows iam:UpdateAccessKey,
// so a root key cannot be deactivated through AssumeRoot, only deleted.
// SQSUnlockQueuePolicy's JSON is not printed there; its statements name
// queue attributes, listed here as the console's task uses them.
var rootTaskPolicies = map[string][]string{
	"IAMAuditRootUserCredentials": {"iam:GetAccountSummary", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile",
		"iam:GetUser", "iam:ListAccessKeys", "iam:ListMFADevices", "iam:ListSigningCertificates"},
	"IAMDeleteRootUserCredentials": {"iam:DeleteAccessKey", "iam:DeleteLoginProfile", "iam:DeactivateMFADevice",
		"iam:DeleteSigningCertificate", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile", "iam:GetUser", "iam:ListAccessKeys",
		"iam:ListMFADevices", "iam:ListSigningCertificates"},
	"IAMCreateRootUserPassword": {"iam:CreateLoginProfile", "iam:GetLoginProfile"},
	"S3UnlockBucketPolicy":      {"s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets", "s3:PutBucketPolicy"},
	"SQSUnlockQueuePolicy":      {"sqs:GetQueueAttributes", "sqs:ListQueues", "sqs:SetQueueAttributes"},
}

// rootTaskPrefix starts every root task policy's ARN.
const rootTaskPrefix = "arn:aws:iam::aws:policy/root-task/"

// maxRootSessionSeconds is AssumeRoot's longest session: "The value can
// range from 0 seconds up to the maximum session duration of 900 seconds"
// (STS API reference, AssumeRoot).
const maxRootSessionSeconds = 900

func errOrg(code, msg string) *apiError {
	return &apiError{code: code, message: msg, status: http.StatusBadRequest}
}

func errNoOrg() *apiError {
	return errOrg("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
}

type jsonAccount struct {
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	ID              string  `json:"Id"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
	Name            string  `json:"Name"`
	State           string  `json:"State"`
	Status          string  `json:"Status"`
}

func (s *Sim) orgAccountARN(id string) string {
	return "arn:aws:organizations::" + s.acct.id + ":account/" + s.org.id + "/" + id
}

// opListAccounts pages through the management account and the members:
// MaxResults 1 to 20, NextToken an opaque position.
func opListAccounts(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errNoOrg()
	}
	var in struct {
		MaxResults *int   `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if e := restJSONInput(c, &in); e != nil {
		return nil, errOrg("InvalidInputException", "The request body is not valid JSON.")
	}
	n := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return nil, errOrg("InvalidInputException", "You provided a value that does not match the required pattern: MaxResults must be between 1 and 20.")
		}
		n = *in.MaxResults
	}
	from := 0
	if in.NextToken != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
		if err != nil || v <= 0 || v > len(s.org.members) || !strings.HasPrefix(in.NextToken, "page-") {
			return nil, errOrg("InvalidInputException", "INVALID_PAGINATION_TOKEN: You specified an invalid value for the nextToken parameter.")
		}
		from = v
	}
	// Position 0 is the management account; member i is position i+1.
	total := len(s.org.members) + 1
	out := struct {
		Accounts  []jsonAccount `json:"Accounts"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Accounts: []jsonAccount{}}
	for i := from; i < total && len(out.Accounts) < n; i++ {
		if i == 0 {
			out.Accounts = append(out.Accounts, jsonAccount{Arn: s.orgAccountARN(s.acct.id), Email: "aws+management@example.com",
				ID: s.acct.id, JoinedMethod: "INVITED", JoinedTimestamp: epoch(s.org.created), Name: orDefault(s.acct.alias, "management"),
				State: "ACTIVE", Status: "ACTIVE"})
			continue
		}
		m := s.org.members[i-1]
		out.Accounts = append(out.Accounts, jsonAccount{Arn: s.orgAccountARN(m.id), Email: m.email, ID: m.id,
			JoinedMethod: "CREATED", JoinedTimestamp: epoch(m.joined), Name: m.name, State: m.status, Status: m.status})
	}
	if next := from + len(out.Accounts); next < total {
		out.NextToken = "page-" + strconv.Itoa(next)
	}
	return &out, nil
}

// describeOrganization answers DescribeOrganization for an organization's
// management account.
func (s *Sim) describeOrganization() (any, *apiError) {
	type policyType struct {
		Status string `json:"Status"`
		Type   string `json:"Type"`
	}
	type org struct {
		Arn                  string       `json:"Arn"`
		AvailablePolicyTypes []policyType `json:"AvailablePolicyTypes"`
		FeatureSet           string       `json:"FeatureSet"`
		ID                   string       `json:"Id"`
		MasterAccountArn     string       `json:"MasterAccountArn"`
		MasterAccountEmail   string       `json:"MasterAccountEmail"`
		MasterAccountID      string       `json:"MasterAccountId"`
	}
	return &struct {
		Organization org `json:"Organization"`
	}{org{Arn: "arn:aws:organizations::" + s.acct.id + ":organization/" + s.org.id,
		AvailablePolicyTypes: []policyType{{"ENABLED", "SERVICE_CONTROL_POLICY"}},
		FeatureSet:           "ALL", ID: s.org.id, MasterAccountArn: s.orgAccountARN(s.acct.id),
		MasterAccountEmail: "aws+management@example.com", MasterAccountID: s.acct.id}}, nil
}

type xmlOrgFeatures struct {
	OrganizationID  string   `xml:"OrganizationId"`
	EnabledFeatures []string `xml:"EnabledFeatures>member"`
}

func (s *Sim) orgFeatures() *xmlOrgFeatures {
	out := &xmlOrgFeatures{OrganizationID: s.org.id}
	if s.org.credsMgmt {
		out.EnabledFeatures = append(out.EnabledFeatures, "RootCredentialsManagement")
	}
	if s.org.rootSession {
		out.EnabledFeatures = append(out.EnabledFeatures, "RootSessions")
	}
	return out
}

func errIAMNoOrg() *apiError {
	return &apiError{code: "OrganizationNotFoundException", message: "The request was rejected because no organization is associated with your account.", status: http.StatusBadRequest}
}

func opListOrganizationsFeatures(s *Sim, _ *call) (any, *apiError) {
	if s.org == nil {
		return nil, errIAMNoOrg()
	}
	return s.orgFeatures(), nil
}

// opEnableRootFeature turns on RootCredentialsManagement or RootSessions.
// Only the management account (the only one the sim has identities in)
// calls it, so the delegated-administrator refusal never arises.
func opEnableRootFeature(s *Sim, c *call) (any, *apiError) {
	if s.org == nil {
		return nil, errIAMNoOrg()
	}
	if c.action == "EnableOrganizationsRootSessions" {
		s.org.rootSession = true
	} else {
		s.org.credsMgmt = true
	}
	return s.orgFeatures(), nil
}

// opAssumeRoot opens a root session in a member account. STS allows it
// only from the management account (or a delegated administrator), never
// with the management account's root user, only for a member, only with a
// root task policy, and only for at most 900 seconds.
//
// The two features of centralized root access gate different things (IAM
// user guide, "Centralize root access for member accounts",
// id_root-enable-root-access.html). "Privileged root actions in member
// accounts" (RootSessions) is what lets the management account "perform
// certain tasks that require root user credentials": every root session,
// whatever its task, and recovering a deleted root password
// (IAMCreateRootUserPassword) needs it. "Root credentials management"
// lets it "delete root user credentials for member accounts", so
// IAMDeleteRootUserCredentials needs it too; it also makes accounts the
// organization creates start without a root password (AWS Security Blog,
// "Secure root user access for member accounts in AWS Organizations",
// 2024-11-22), which the sim, creating no accounts, does not model. Auditing
// (IAMAuditRootUserCredentials) and the S3 and SQS unlocks need root
// sessions alone.
func opAssumeRoot(s *Sim, c *call) (any, *apiError) {
	org := s.org
	if org != nil && org.sts != nil && !org.sts.Allow() {
		return nil, &apiError{code: "Throttling", message: "Rate exceeded", status: http.StatusBadRequest}
	}
	target := c.params.Get("TargetPrincipal")
	taskARN := c.params.Get("TaskPolicyArn.arn")
	c.reqParams = map[string]any{"targetPrincipal": target, "taskPolicyArn": map[string]string{"arn": taskARN}}
	seconds := maxRootSessionSeconds
	if v := c.params.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRootSessionSeconds {
			return nil, errInvalid("sts", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 900")
		}
		seconds = n
	}
	task := strings.TrimPrefix(taskARN, rootTaskPrefix)
	if _, ok := rootTaskPolicies[task]; !ok || !strings.HasPrefix(taskARN, rootTaskPrefix) {
		return nil, errInvalid("sts", "The task policy "+taskARN+" is not one of the root task policies ("+rootTaskPrefix+"NAME).")
	}
	denied := func(why string) *apiError {
		return &apiError{code: "AccessDenied", status: http.StatusForbidden,
			message: "User: " + c.who.arn + " is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::" + target + ":root: " + why}
	}
	switch {
	case org == nil:
		return nil, denied("the account is not the management account of an organization")
	case c.who.kind == typeRoot:
		return nil, denied("root user credentials cannot call AssumeRoot")
	case target == s.acct.id:
		return nil, denied("the management account's root user is out of AssumeRoot's reach")
	case org.byID[target] == nil:
		return nil, denied("the target is not a member account of organization " + org.id)
	case !org.rootSession:
		return nil, denied("privileged root actions (RootSessions) are not enabled in the organization; enable them with iam:EnableOrganizationsRootSessions")
	case task == "IAMDeleteRootUserCredentials" && !org.credsMgmt:
		return nil, denied("root credentials management is not enabled in the organization, so member root credentials cannot be deleted; enable it with iam:EnableOrganizationsRootCredentialsManagement")
	}
	m := org.byID[target]
	expires := c.at.Add(time.Duration(seconds) * time.Second)
	if m.full != nil {
		// A member simulated whole holds its own root sessions (org_full.go).
		k := m.full.openRootSession(task, expires, c.key.id)
		c.respElems = map[string]any{"credentials": trailCredentials(k), "sourceIdentity": ""}
		c.resources = []eventResource{{Type: "AWS::IAM::AccessKey", Name: k.id}}
		return &struct {
			Credentials xmlCredentials `xml:"Credentials"`
		}{s.xmlCredentialsOf(k)}, nil
	}
	p := &principal{kind: typeRoot, account: m.id, id: m.id, arn: "arn:aws:iam::" + m.id + ":root", since: c.at}
	k := s.mint(c, p, m.id, &mintInfo{via: "AssumeRoot", expires: expires})
	org.sessions[k.id] = &rootSession{member: m, task: task, expires: expires}
	c.respElems = map[string]any{"credentials": trailCredentials(k), "sourceIdentity": ""}
	c.resources = []eventResource{{Type: "AWS::IAM::AccessKey", Name: k.id}}
	return &struct {
		Credentials xmlCredentials `xml:"Credentials"`
	}{s.xmlCredentialsOf(k)}, nil
}

// taskAllows reports whether a root task policy allows a policy action.
func taskAllows(task, action string) bool {
	return slices.Contains(rootTaskPolicies[task], action)
}

// opDescribeOrganization answers for the scenario's organization (org.go),
// or as for an account in no organization.
func opDescribeOrganization(s *Sim, _ *call) (any, *apiError) {
	if s.org != nil {
		return s.describeOrganization() // org_ops.go
	}
	if s.memberOf != nil {
		return s.memberOf, nil // a member simulated whole (org_full.go)
	}
	return nil, &apiError{code: "AWSOrganizationsNotInUseException", status: http.StatusBadRequest,
		message: "Your account is not a member of an organization."}
}
