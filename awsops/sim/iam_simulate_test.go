package sim_test

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const simPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::reports/*"},
    {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
     "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
  ]
}`

// TestSimulateCustomPolicyDecides asks one action at a time through the real
// SDK client and checks the decision, the statements named and the context
// keys a conditional statement would need.
func TestSimulateCustomPolicyDecides(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	allowStmt := iamtypes.Statement{SourcePolicyId: aws.String("PolicyInputList.1"), SourcePolicyType: iamtypes.PolicySourceTypeNone,
		StartPosition: &iamtypes.Position{Line: 4, Column: 5}, EndPosition: &iamtypes.Position{Line: 4, Column: 105}}
	denyStmt := iamtypes.Statement{SourcePolicyId: aws.String("PolicyInputList.1"), SourcePolicyType: iamtypes.PolicySourceTypeNone,
		StartPosition: &iamtypes.Position{Line: 5, Column: 5}, EndPosition: &iamtypes.Position{Line: 5, Column: 68}}
	tests := []struct {
		name       string
		action     string
		resources  []string
		want       iamtypes.PolicyEvaluationDecisionType
		wantStmts  []iamtypes.Statement
		wantMissed []string
	}{
		{name: "allowed on the granted bucket", action: "s3:GetObject", resources: []string{"arn:aws:s3:::reports/2026/11.csv"},
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantStmts: []iamtypes.Statement{allowStmt}},
		{name: "action names are case-insensitive", action: "S3:getobject", resources: []string{"arn:aws:s3:::reports/a"},
			want: iamtypes.PolicyEvaluationDecisionTypeAllowed, wantStmts: []iamtypes.Statement{allowStmt}},
		{name: "implicit deny on another bucket", action: "s3:GetObject", resources: []string{"arn:aws:s3:::payroll/a"},
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "implicit deny on * for a resource-scoped grant", action: "s3:PutObject",
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "explicit deny names only the deny", action: "s3:DeleteObject", resources: []string{"arn:aws:s3:::reports/a"},
			want: iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, wantStmts: []iamtypes.Statement{denyStmt}},
		{name: "never granted", action: "iam:CreateUser", want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		{name: "a conditional allow grants nothing and names its keys", action: "iam:PassRole", resources: []string{"arn:aws:iam::730519468211:role/x"},
			want: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, wantMissed: []string{"iam:PassedToService"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := must[*iam.SimulateCustomPolicyOutput](t)(c.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
				PolicyInputList: []string{simPolicy}, ActionNames: []string{tt.action}, ResourceArns: tt.resources}))
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("%d results, want 1", len(out.EvaluationResults))
			}
			r := out.EvaluationResults[0]
			if r.EvalDecision != tt.want || aws.ToString(r.EvalActionName) != tt.action {
				t.Fatalf("%s: %s, want %s", aws.ToString(r.EvalActionName), r.EvalDecision, tt.want)
			}
			if !sameOrEmpty(r.MatchedStatements, tt.wantStmts) {
				t.Errorf("matched %+v, want %+v", statementsOf(r.MatchedStatements), statementsOf(tt.wantStmts))
			}
			if !sameOrEmpty(r.MissingContextValues, tt.wantMissed) {
				t.Errorf("missing context %v, want %v", r.MissingContextValues, tt.wantMissed)
			}
			if len(tt.resources) > 0 && (len(r.ResourceSpecificResults) != 1 || aws.ToString(r.ResourceSpecificResults[0].EvalResourceName) != tt.resources[0]) {
				t.Errorf("resource results %+v", r.ResourceSpecificResults)
			}
		})
	}
}

// sameOrEmpty compares lists, an empty one equal to none: the SDK decodes
// an empty XML list as an empty slice.
func sameOrEmpty[T any](got, want []T) bool {
	return len(got) == 0 && len(want) == 0 || reflect.DeepEqual(got, want)
}

func statementsOf(sts []iamtypes.Statement) []string {
	var out []string
	for _, s := range sts {
		out = append(out, aws.ToString(s.SourcePolicyId)+" "+positionOf(s.StartPosition)+"-"+positionOf(s.EndPosition))
	}
	return out
}

func positionOf(p *iamtypes.Position) string {
	if p == nil {
		return "?"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Column)
}

// TestSimulateCustomPolicyFoldsResources: one result per action, decided by
// its most restrictive resource, with each resource's own decision.
func TestSimulateCustomPolicyFoldsResources(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	out := must[*iam.SimulateCustomPolicyOutput](t)(c.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{simPolicy}, ActionNames: []string{"s3:GetObject", "s3:DeleteObject"},
		ResourceArns: []string{"arn:aws:s3:::reports/a", "arn:aws:s3:::payroll/b"}}))
	want := map[string][3]iamtypes.PolicyEvaluationDecisionType{
		"s3:GetObject":    {iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
		"s3:DeleteObject": {iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, iamtypes.PolicyEvaluationDecisionTypeExplicitDeny},
	}
	if len(out.EvaluationResults) != 2 {
		t.Fatalf("%d results, want one per action", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		w := want[aws.ToString(r.EvalActionName)]
		if r.EvalDecision != w[0] || len(r.ResourceSpecificResults) != 2 ||
			r.ResourceSpecificResults[0].EvalResourceDecision != w[1] || r.ResourceSpecificResults[1].EvalResourceDecision != w[2] {
			t.Errorf("%s: %s %+v, want %v", aws.ToString(r.EvalActionName), r.EvalDecision, r.ResourceSpecificResults, w)
		}
	}
}

// TestSimulateCustomPolicyAgreesWithAccessDenied replays real calls of the
// leaked key and simulates the same calls against its user's policy: the
// simulation must say what the calls met.
func TestSimulateCustomPolicyAgreesWithAccessDenied(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	admin := e.responder("us-east-1")
	leaked := e.keyAs(t, "leaked", "us-east-1")
	doc := must[*iam.GetUserPolicyOutput](t)(admin.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{
		UserName: aws.String("svc-reporting"), PolicyName: aws.String("reporting-access")}))
	policy, err := url.QueryUnescape(aws.ToString(doc.PolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	self := "arn:aws:iam::730519468211:user/svc-reporting"
	calls := []struct {
		action, resource string
		call             func() error
	}{
		{"iam:GetUser", self, func() error { _, err := leaked.iam.GetUser(ctx, &iam.GetUserInput{}); return err }},
		{"iam:ListUserPolicies", self, func() error {
			_, err := leaked.iam.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("svc-reporting")})
			return err
		}},
		{"iam:GetUser", "arn:aws:iam::730519468211:user/ir-responder", func() error {
			_, err := leaked.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ir-responder")})
			return err
		}},
		{"iam:ListUsers", "*", func() error { _, err := leaked.iam.ListUsers(ctx, &iam.ListUsersInput{}); return err }},
		{"iam:CreateUser", "arn:aws:iam::730519468211:user/backdoor", func() error {
			_, err := leaked.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("backdoor")})
			return err
		}},
	}
	for _, call := range calls {
		err := call.call()
		out := must[*iam.SimulateCustomPolicyOutput](t)(admin.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{policy}, ActionNames: []string{call.action}, ResourceArns: []string{call.resource}}))
		simAllowed := out.EvaluationResults[0].EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed
		denied := code(err) == "AccessDenied"
		if err != nil && !denied {
			t.Fatalf("%s: %v", call.action, err)
		}
		if simAllowed == denied {
			t.Errorf("%s on %s: the call was denied %v, the simulation says %s", call.action, call.resource, denied, out.EvaluationResults[0].EvalDecision)
		}
	}
}

func TestSimulateCustomPolicyPagesAndRefuses(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "iam:CreateUser", "ec2:RunInstances"}
	pages, seen := 0, []string{}
	p := iam.NewSimulateCustomPolicyPaginator(c.iam, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy},
		ActionNames: actions, MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out := must[*iam.SimulateCustomPolicyOutput](t)(p.NextPage(ctx))
		pages++
		for _, r := range out.EvaluationResults {
			seen = append(seen, aws.ToString(r.EvalActionName))
		}
	}
	if pages != 3 || !reflect.DeepEqual(seen, actions) {
		t.Fatalf("%d pages of %v, want 3 of %v", pages, seen, actions)
	}

	_, err := c.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`}, ActionNames: actions})
	wantCode(t, err, "MalformedPolicyDocument")
	_, err = c.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy}, ActionNames: []string{"GetObject"}})
	wantCode(t, err, "InvalidInput")
	// The leaked key's user may not simulate: the proof needs the responder's.
	_, err = e.keyAs(t, "leaked", "us-east-1").iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simPolicy}, ActionNames: actions})
	wantCode(t, err, "AccessDenied")
}

func TestOpenIDConnectProviders(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	before := e.sim.StateDigest()
	const arn = "arn:aws:iam::730519468211:oidc-provider/token.actions.githubusercontent.com"
	_, err := c.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantCode(t, err, "NoSuchEntity")
	out := must[*iam.CreateOpenIDConnectProviderOutput](t)(c.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"}}))
	if aws.ToString(out.OpenIDConnectProviderArn) != arn {
		t.Fatalf("created %s", aws.ToString(out.OpenIDConnectProviderArn))
	}
	got := must[*iam.GetOpenIDConnectProviderOutput](t)(c.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	if aws.ToString(got.Url) != "token.actions.githubusercontent.com" || !reflect.DeepEqual(got.ClientIDList, []string{"sts.amazonaws.com"}) {
		t.Fatalf("read back %+v", got)
	}
	list := must[*iam.ListOpenIDConnectProvidersOutput](t)(c.iam.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Fatalf("listed %+v", list.OpenIDConnectProviderList)
	}
	_, err = c.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com/")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://insecure.example")})
	wantCode(t, err, "InvalidInput")
	_, err = e.keyAs(t, "leaked", "us-east-1").iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://evil.example")})
	wantCode(t, err, "AccessDenied")
	if e.sim.StateDigest() == before {
		t.Error("a new provider leaves the state digest unchanged: a dry run creating one would go unnoticed")
	}
}

// TestSimulateCustomPolicyHonoursTokenIssueTime: the session-revocation
// deny (AWSRevokeOlderSessions) applies to sessions issued before its date,
// as it does to real calls, and says which key it needs when none is given.
func TestSimulateCustomPolicyHonoursTokenIssueTime(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	c := e.responder("us-east-1")
	revoke := `{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
  {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-20T12:00:00Z"}}}]}`
	issued := func(at string) []iamtypes.ContextEntry {
		if at == "" {
			return nil
		}
		return []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:TokenIssueTime"), ContextKeyType: iamtypes.ContextKeyTypeEnumDate, ContextKeyValues: []string{at}}}
	}
	tests := []struct {
		issued  string
		want    iamtypes.PolicyEvaluationDecisionType
		missing []string
	}{
		{"2026-11-20T11:00:00Z", iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, nil},
		{"2026-11-20T13:00:00Z", iamtypes.PolicyEvaluationDecisionTypeAllowed, nil},
		{"", iamtypes.PolicyEvaluationDecisionTypeAllowed, []string{"aws:TokenIssueTime"}},
	}
	for _, tt := range tests {
		out := must[*iam.SimulateCustomPolicyOutput](t)(c.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{revoke}, ActionNames: []string{"s3:GetObject"}, ContextEntries: issued(tt.issued)}))
		r := out.EvaluationResults[0]
		if r.EvalDecision != tt.want || !sameOrEmpty(r.MissingContextValues, tt.missing) {
			t.Errorf("issued %q: %s missing %v, want %s %v", tt.issued, r.EvalDecision, r.MissingContextValues, tt.want, tt.missing)
		}
	}
}
