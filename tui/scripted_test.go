package tui

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The fixture incident: svc-reporting's key, leaked in a public gist, used
// by a Lambda function, a CI pipeline, and an attacker who made a user.
const (
	testKey     = "AKIAZ7Q3EXAMPLEKEY42"
	testAccount = "730519468211"
	responder   = "arn:aws:iam::730519468211:user/ir-responder"
)

// t0 is the fixture's "now": every screen is drawn at this time.
var t0 = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func fixtureIdentified() runbook.KeyIdentified {
	mfa := true
	return runbook.KeyIdentified{
		Caller: runbook.Caller{Account: testAccount, ARN: responder, AccessKeyID: "AKIAQRESPONDER777777"},
		Key: runbook.KeyFacts{
			KeyID: testKey, Account: testAccount, User: "svc-reporting",
			UserARN: "arn:aws:iam::730519468211:user/svc-reporting", Status: runbook.KeyActive,
			Created: t0.Add(-410 * 24 * time.Hour), LastUsed: t0.Add(-4 * time.Minute),
			LastUsedService: "secretsmanager", LastUsedRegion: "us-west-2",
			InlinePolicies: []string{"reporting-access"}, RootMFA: &mfa,
		},
	}
}

func fixtureCallers() []runbook.UsageCaller {
	return []runbook.UsageCaller{
		{ID: "c-lambda", SourceIP: "44.226.18.77", Kind: runbook.CallerLambda, Label: runbook.LabelLegitimate,
			Resource: "report-builder", Tool: "boto3", Regions: []string{"us-west-2"},
			UserAgent: "Boto3/1.34.34 exec-env/AWS_Lambda_python3.12", Events: 8640, FirstSeen: t0.Add(-90 * 24 * time.Hour), LastSeen: t0.Add(-4 * time.Minute),
			Why:     "user agent exec-env/AWS_Lambda_python3.12 from an AWS address",
			Actions: []runbook.ActionUse{{Source: "ssm.amazonaws.com", Name: "GetParameter", Count: 4320, ReadOnly: true}, {Source: "secretsmanager.amazonaws.com", Name: "GetSecretValue", Count: 4320, ReadOnly: true}}},
		{ID: "c-ci", SourceIP: "20.57.112.9", Kind: runbook.CallerOffAWS, Label: runbook.LabelLegitimate,
			Resource: "github-actions", Tool: "aws-cli", Regions: []string{"us-west-2"},
			UserAgent: "aws-cli/2.17.0 exec-env/github-actions", Events: 540, FirstSeen: t0.Add(-89 * 24 * time.Hour), LastSeen: t0.Add(-5 * time.Hour),
			Why: "aws-cli from a CI runner, seen every 8 hours for 89 days", RunHours: []int{2, 10, 18},
			Actions: []runbook.ActionUse{{Source: "cloudformation.amazonaws.com", Name: "DescribeStacks", Count: 270, ReadOnly: true}, {Source: "lambda.amazonaws.com", Name: "UpdateFunctionCode20150331v2", Count: 270}}},
		{ID: "c-evil", SourceIP: "189.45.3.201", Kind: runbook.CallerOffAWS, Label: runbook.LabelSuspicious,
			Tool: "python-requests", Regions: []string{"us-east-1", "sa-east-1"},
			UserAgent: "python-requests/2.31.0", Events: 37, Errors: 12, FirstSeen: t0.Add(-3 * time.Hour), LastSeen: t0.Add(-40 * time.Minute),
			Why: "first seen 3 hours ago from an address in Brazil, recon then persistence",
			Actions: []runbook.ActionUse{{Source: "iam.amazonaws.com", Name: "ListUsers", Count: 9, ReadOnly: true},
				{Source: "iam.amazonaws.com", Name: "CreateUser", Count: 1}, {Source: "iam.amazonaws.com", Name: "CreateAccessKey", Count: 1},
				{Source: "ec2.amazonaws.com", Name: "RunInstances", Count: 12, Errors: 12, ErrorCode: "AccessDenied"}}},
		{ID: "c-svc", SourceIP: "AWS Internal", Kind: runbook.CallerAWSService, Label: runbook.LabelLegitimate,
			Tool: "cloudformation", Regions: []string{"us-west-2"}, Events: 14, FirstSeen: t0.Add(-60 * 24 * time.Hour), LastSeen: t0.Add(-5 * time.Hour),
			Why: "calls made by an AWS service on the key's behalf"},
	}
}

func fixtureInvestigation(from, to time.Time) runbook.Investigation {
	created := runbook.Resource{Type: "iam-user", ID: "support-admin", Action: "CreateUser", Time: t0.Add(-2 * time.Hour)}
	key := runbook.Resource{Type: "access-key", ID: "AKIAXATTACKERKEY2345", Parent: "support-admin", Action: "CreateAccessKey", Time: t0.Add(-2 * time.Hour)}
	return runbook.Investigation{
		From: from, To: to, Events: 9231, Callers: fixtureCallers(),
		Regions: []runbook.RegionSweep{{Region: "us-east-1", State: runbook.RegionDone, Pages: 2, Events: 31}, {Region: "us-west-2", State: runbook.RegionDone, Pages: 185, Events: 9194}, {Region: "sa-east-1", State: runbook.RegionDone, Pages: 1, Events: 6}},
		Indicators: []runbook.Indicator{
			{Kind: "persistence", Summary: "created IAM user support-admin and an access key for it", Severity: runbook.SeverityCritical, CallerID: "c-evil"},
			{Kind: "resource-abuse", Summary: "12 denied RunInstances in sa-east-1", Severity: runbook.SeverityWarning, CallerID: "c-evil"},
		},
		BlastRadius: []runbook.Resource{created, key},
		Coverage:    []string{"data events (S3 objects, Lambda Invoke) are not in event history"},
	}
}

const fixturePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter"],"Resource":"arn:aws:ssm:us-west-2:730519468211:parameter/reporting/db-host"},{"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":"arn:aws:secretsmanager:us-west-2:730519468211:secret:reporting/warehouse-*"}]}`

func proposalFor(c runbook.UsageCaller) runbook.Proposal {
	switch c.Kind {
	case runbook.CallerLambda:
		return runbook.Proposal{CallerID: c.ID, Kind: runbook.ReplaceLambdaRole, Name: "report-builder-keyrunbook", Target: c.Resource, Policy: fixturePolicy}
	}
	return runbook.Proposal{CallerID: c.ID, Kind: runbook.ReplaceIAMUser, Name: "deploy-pipeline-keyrunbook", Target: c.SourceIP,
		Policy:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:DescribeStacks"],"Resource":"*"},{"Effect":"Allow","Action":["lambda:UpdateFunctionCode"],"Resource":"arn:aws:lambda:us-west-2:730519468211:function:report-builder"}]}`,
		Warnings: []string{"an off-AWS caller gets an IAM user key for now; move it to OIDC federation (GitHub Actions) later"}}
}

// script is a scripted executor: it answers each effect at once with the
// result a healthy account would give, on a simulated clock that moves ten
// minutes per watch reading.
type script struct {
	mu    sync.Mutex
	clock time.Time
	// breakFirstWatch makes the first watch reading show a denied call and
	// an unhealthy workload (the roll-back path).
	breakFirstWatch bool
	// reading, when set, shapes every watch reading (issue 17's tests).
	reading func(obs *runbook.WatchObserved)
	// failWatch makes every watch reading fail, as a denied LookupEvents.
	failWatch bool
	// failOnce names an effect that fails the first time it runs.
	failOnce string
	// failWith, when set, is failOnce's answer instead of AccessDenied.
	failWith *runbook.EffectFailed
	// keyStatus is what reading the key again finds (Inactive when unset):
	// Active after someone turned it back on out of band.
	keyStatus runbook.KeyStatus
	// parkAfter, when positive, makes every watch reading after that many
	// wait until the program ends, as a slow CloudTrail would: the watch
	// stays open for the responder to act.
	parkAfter int
	watches   int
	ran       []string
	// denied maps a caller to the legitimate calls its proposal's proof
	// finds denied; none passes every proof.
	denied map[string][]string
	// scans are the trail scans asked for (trailsource_test.go).
	scans []runbook.ScanTrailSource
	// planned are the resources whose clean-up calls were read.
	planned []string
	// undecided, when set, marks every caller of the sweep as waiting
	// for the responder's verdict (intake_test.go).
	undecided string
	// followUp, when set, gives the attacker a secret read to rotate.
	followUp bool
	// rootKey makes the leaked key the root user's (the root-key drill);
	// mfaCode is the code its MFA device shows (rootsignin_test.go).
	rootKey bool
	// orgMember makes the root key's account an Organizations member,
	// whose root session is opened with sts:AssumeRoot.
	orgMember bool
	mfaCode   string
	// signedIn: root's session is open (ObtainRootCredentials answered).
	signedIn bool
	// scpAttached: the SCP that contained a member's root key is still
	// attached when the checklist is read.
	scpAttached bool
	// unreadCheck: a check whose read failed, with a long reason.
	unreadCheck string
}

func newScript() *script { return &script{clock: t0} }

func (s *script) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	if s.parks(e) {
		<-ctx.Done()
		return runbook.EffectFailed{Effect: e.EffectName(), Message: ctx.Err().Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ran = append(s.ran, e.EffectName())
	if s.failOnce == e.EffectName() {
		s.failOnce = ""
		if s.failWith != nil {
			return *s.failWith
		}
		return runbook.EffectFailed{Effect: e.EffectName(), Action: "iam:UpdateAccessKey", Code: "AccessDenied",
			Message: "User: " + responder + " is not authorized to perform: iam:UpdateAccessKey"}
	}
	note := func(service, op string, in any) {
		raw, _ := json.Marshal(in)
		emit(runbook.APICall{Service: service, Operation: op, Input: raw})
	}
	switch x := e.(type) {
	case runbook.IdentifyKey:
		note("sts", "GetCallerIdentity", map[string]string{})
		note("sts", "GetAccessKeyInfo", map[string]string{"AccessKeyId": x.KeyID})
		if s.rootKey {
			id := rootIdentified()
			id.Key.OrgMember = s.orgMember
			return id
		}
		return fixtureIdentified()
	case runbook.ObtainRootCredentials:
		if x.MFACode != s.mfaCode {
			return runbook.EffectFailed{Effect: e.EffectName(), Message: "The sign-in page refused it: your authentication information is incorrect; please try again."}
		}
		root := runbook.RootARN(x.Account)
		s.signedIn = true
		emit(runbook.APICall{Service: "sts", Operation: "GetCallerIdentity", Input: []byte("{}"), Actor: root})
		return runbook.RootCredentialsObtained{Access: runbook.RootAccess{Method: x.Method, Actor: root, MFA: true, At: s.clock}}
	case runbook.SweepCloudTrail:
		inv := fixtureInvestigation(x.From, x.To)
		if s.followUp {
			inv.Indicators = append(inv.Indicators, runbook.Indicator{Kind: "credential-access", Summary: "GetSecretValue ×1",
				Severity: runbook.SeverityInfo, CallerID: "c-evil", FollowUps: []runbook.FollowUp{{Kind: "rotate", Technique: "secret-read",
					Do: "Rotate every secret it read.", CallerID: "c-evil", Targets: []string{"reporting/warehouse"}}}})
		}
		for i := range inv.Callers {
			if s.undecided != "" {
				inv.Callers[i].Label, inv.Callers[i].Undecided = runbook.LabelUnknown, s.undecided
			}
		}
		for _, r := range inv.Regions {
			emit(runbook.SweepProgress{Region: runbook.RegionSweep{Region: r.Region, State: runbook.RegionRunning, Pages: 1, Events: 3}})
			emit(runbook.SweepProgress{Region: r})
		}
		return runbook.SweepFinished{Investigation: inv}
	case runbook.ProposeReplacements:
		var ps []runbook.Proposal
		for _, c := range x.Callers {
			ps = append(ps, proposalFor(c))
		}
		return runbook.ProposalsReady{Proposals: ps}
	case runbook.ProveProposal:
		note("iam", "SimulateCustomPolicy", map[string]any{"PolicyInputList": []string{x.Proposal.Policy}})
		return runbook.ProposalProven{CallerID: x.Proposal.CallerID, Seq: x.Seq, Allowed: []string{"ssm:GetParameter on arn:aws:ssm:us-west-2:730519468211:parameter/reporting/*"},
			Denied: s.denied[x.Proposal.CallerID]}
	case runbook.ApplyReplacement:
		note("iam", "CreateRole", map[string]string{"RoleName": x.Proposal.Name})
		return runbook.ReplacementApplied{CallerID: x.Proposal.CallerID, Created: []string{"arn:aws:iam::730519468211:role/" + x.Proposal.Name}}
	case runbook.VerifyMove:
		return runbook.CallerMoved{CallerID: x.Proposal.CallerID, Moved: true}
	case runbook.DeactivateKey:
		if x.Root {
			emit(runbook.APICall{Service: "iam", Operation: "UpdateAccessKey", Input: []byte(`{"AccessKeyId":"` + x.KeyID + `","Status":"Inactive"}`), Actor: runbook.RootARN(testAccount)})
			s.clock = s.clock.Add(time.Minute)
			return runbook.KeyDeactivated{At: s.clock}
		}
		note("iam", "UpdateAccessKey", map[string]string{"AccessKeyId": x.KeyID, "Status": "Inactive", "UserName": x.User})
		s.clock = s.clock.Add(time.Minute)
		return runbook.KeyDeactivated{At: s.clock}
	case runbook.PollWatch:
		s.clock = s.clock.Add(10 * time.Minute)
		s.watches++
		obs := runbook.WatchObserved{At: s.clock}
		if s.breakFirstWatch && s.watches == 1 {
			obs.Denied = []runbook.DeniedCall{{Principal: "report-builder-keyrunbook", Action: "secretsmanager:GetSecretValue", Time: s.clock}}
			obs.Unhealthy = []string{"report-builder"}
		}
		if s.reading != nil {
			s.reading(&obs)
		}
		if s.failWatch {
			return runbook.EffectFailed{Effect: "PollWatch", Action: "cloudtrail:LookupEvents", Code: "AccessDenied", Message: "The watch could not read the key's use, so this reading proves nothing."}
		}
		return obs
	case runbook.ReactivateKey:
		s.clock = s.clock.Add(time.Minute)
		return runbook.KeyReactivated{At: s.clock}
	case runbook.ReadKeyStatus:
		note("iam", "ListAccessKeys", map[string]string{"UserName": x.User})
		return runbook.KeyStatusRead{Status: cmp.Or(s.keyStatus, runbook.KeyInactive), At: s.clock}
	case runbook.DeleteKey:
		note("iam", "DeleteAccessKey", map[string]string{"AccessKeyId": x.KeyID, "UserName": x.User})
		return runbook.KeyDeleted{At: s.clock}
	case runbook.CheckHardening:
		items := []runbook.CheckItem{
			{ID: "root-keys", Title: "No root access keys", OK: true, State: "AccountAccessKeysPresent 0"},
			{ID: "root-mfa", Title: "Root MFA", OK: true, State: "enabled"},
			{ID: "old-keys", Title: "No key older than 90 days", OK: false, State: "grafana-cloudwatch: 290 days", Fix: "rotate grafana-cloudwatch's key"},
			{ID: "trail", Title: "A multi-region trail", OK: false, State: "none", Fix: "create an organization trail with log file validation"},
		}
		if s.unreadCheck != "" {
			items = append(items, runbook.CheckItem{ID: "billing", Title: "A billing alarm exists", State: s.unreadCheck, Fix: "grant cloudwatch:DescribeAlarms"})
		}
		if s.scpAttached {
			items = append(items, runbook.CheckItem{ID: runbook.CheckContainmentSCP, Title: "The SCP that contained the root key is removed",
				State: "SCP keyrunbook-deny-root-" + testAccount + " (p-scp) is still attached to account " + testAccount})
		}
		return runbook.HardeningChecked{Items: items}
	case runbook.RemoveContainmentSCP:
		note("organizations", "DetachPolicy", map[string]string{"PolicyId": "p-scp", "TargetId": x.Account})
		note("organizations", "DeletePolicy", map[string]string{"PolicyId": "p-scp"})
		return runbook.ContainmentSCPRemoved{Policy: "keyrunbook-deny-root-" + x.Account, At: s.clock}
	case runbook.CleanUpResource:
		done := runbook.ResourceCleanedUp{Resource: x.Resource}
		if x.Resource.Type == "iam-user" && x.Resource.ID == "support-admin" {
			// The user's key goes with it, as awsops reports.
			done.With = []runbook.Resource{{Type: "access-key", ID: "AKIAXATTACKERKEY2345", Parent: "support-admin"}}
		}
		return done
	case runbook.ScanTrailSource:
		s.scans = append(s.scans, x)
		return scanTrail(x, emit)
	}
	return runbook.EffectFailed{Effect: e.EffectName(), Message: "the script has no answer"}
}

func (s *script) parks(e runbook.Effect) bool {
	if _, ok := e.(runbook.PollWatch); !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parkAfter > 0 && s.watches >= s.parkAfter
}

// effectsRun returns the names of the effects run so far.
func (s *script) effectsRun() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ran...)
}

// newEngine starts an incident whose log lives in the test's directory.
func newEngine(t testing.TB, mode runbook.Mode) (*runbook.Engine, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := runbook.CreateJournal(path, string(mode), "", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	en, err := runbook.StartEngine(runbook.Config{Mode: mode}, j)
	if err != nil {
		t.Fatal(err)
	}
	return en, path
}

func training() *TrainingInfo {
	return &TrainingInfo{
		Scenario: "iam-user-lambda-ci", ClockSpeed: "simulated time ×60",
		Brief: "A secret scanner found svc-reporting's access key in a public gist; someone has already used it from Brazil.",
		Hints: func(s runbook.Step) string {
			if s == runbook.StepInvestigate {
				return "Look for callers that appeared only recently, from an unusual place."
			}
			return ""
		},
	}
}

// plan answers Options.Plan as awsops.Executor.Plan would for the fixture
// account: its reads, then its writes marked WouldCall, each input as the
// SDK serialises it (fields in the order of the SDK's input struct). The
// attacker's user holds one key, read with ListAccessKeys.
func (s *script) plan(_ context.Context, e runbook.Effect) ([]runbook.APICall, error) {
	read := func(service, op, input string) runbook.APICall {
		return runbook.APICall{Service: service, Operation: op, Input: json.RawMessage(input)}
	}
	write := func(service, op, input string) runbook.APICall {
		return runbook.APICall{Service: service, Operation: op, Input: json.RawMessage(input), WouldCall: true}
	}
	str := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	if k, ok := rootKeyChange(e); ok {
		return s.planRoot(e, k), nil
	}
	switch x := e.(type) {
	case runbook.DeactivateKey:
		return []runbook.APICall{write("iam", "UpdateAccessKey", `{"AccessKeyId":`+str(x.KeyID)+`,"Status":"Inactive","UserName":`+str(x.User)+`}`)}, nil
	case runbook.ReactivateKey:
		return []runbook.APICall{write("iam", "UpdateAccessKey", `{"AccessKeyId":`+str(x.KeyID)+`,"Status":"Active","UserName":`+str(x.User)+`}`)}, nil
	case runbook.DeleteKey:
		return []runbook.APICall{read("iam", "ListAccessKeys", `{"UserName":`+str(x.User)+`}`),
			write("iam", "DeleteAccessKey", `{"AccessKeyId":`+str(x.KeyID)+`,"UserName":`+str(x.User)+`}`)}, nil
	case runbook.ApplyReplacement:
		p := x.Proposal
		if p.Kind == runbook.ReplaceIAMUser {
			return []runbook.APICall{read("iam", "GetUser", `{"UserName":`+str(p.Name)+`}`),
				write("iam", "CreateUser", `{"UserName":`+str(p.Name)+`,"Path":null}`),
				read("iam", "GetUserPolicy", `{"PolicyName":"keyrunbook-least-privilege","UserName":`+str(p.Name)+`}`),
				write("iam", "PutUserPolicy", `{"PolicyDocument":`+str(p.Policy)+`,"PolicyName":"keyrunbook-least-privilege","UserName":`+str(p.Name)+`}`),
				write("iam", "CreateAccessKey", `{"UserName":`+str(p.Name)+`}`)}, nil
		}
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		return []runbook.APICall{read("iam", "GetRole", `{"RoleName":`+str(p.Name)+`}`),
			write("iam", "CreateRole", `{"AssumeRolePolicyDocument":`+str(trust)+`,"RoleName":`+str(p.Name)+`}`),
			read("iam", "GetRolePolicy", `{"PolicyName":"keyrunbook-least-privilege","RoleName":`+str(p.Name)+`}`),
			write("iam", "PutRolePolicy", `{"PolicyDocument":`+str(p.Policy)+`,"PolicyName":"keyrunbook-least-privilege","RoleName":`+str(p.Name)+`}`),
			read("lambda", "GetFunctionConfiguration", `{"FunctionName":`+str(p.Target)+`}`),
			write("lambda", "UpdateFunctionConfiguration", `{"FunctionName":`+str(p.Target)+`,"Role":`+str("arn:aws:iam::730519468211:role/"+p.Name)+`}`)}, nil
	case runbook.RemoveContainmentSCP:
		return []runbook.APICall{write("organizations", "DetachPolicy", `{"PolicyId":"p-scp","TargetId":`+str(x.Account)+`}`),
			write("organizations", "DeletePolicy", `{"PolicyId":"p-scp"}`)}, nil
	case runbook.RevokeOlderSessions:
		doc := str(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-23T03:05:00Z"}}}]}`)
		var calls []runbook.APICall
		for _, t := range x.Targets {
			if t.Kind == "role" {
				calls = append(calls, write("iam", "PutRolePolicy", `{"PolicyDocument":`+doc+`,"PolicyName":"AWSRevokeOlderSessions","RoleName":`+str(t.Name)+`}`))
			} else {
				calls = append(calls, write("iam", "PutUserPolicy", `{"PolicyDocument":`+doc+`,"PolicyName":"AWSRevokeOlderSessions","UserName":`+str(t.Name)+`}`))
			}
		}
		return calls, nil
	}
	c, ok := e.(runbook.CleanUpResource)
	if !ok {
		return nil, errors.New("no plan for this effect")
	}
	s.mu.Lock()
	s.planned = append(s.planned, c.Resource.ID)
	s.mu.Unlock()
	r := c.Resource
	switch r.Type {
	case "iam-user":
		return []runbook.APICall{
			{Service: "iam", Operation: "ListAccessKeys", Input: json.RawMessage(`{"UserName":"` + r.ID + `"}`)},
			{Service: "iam", Operation: "DeleteAccessKey", Input: json.RawMessage(`{"AccessKeyId":"AKIAXATTACKERKEY2345","UserName":"` + r.ID + `"}`), WouldCall: true},
			{Service: "iam", Operation: "DeleteUser", Input: json.RawMessage(`{"UserName":"` + r.ID + `"}`), WouldCall: true},
		}, nil
	case "access-key":
		return []runbook.APICall{{Service: "iam", Operation: "DeleteAccessKey", Input: json.RawMessage(`{"AccessKeyId":"` + r.ID + `","UserName":"` + r.Parent + `"}`), WouldCall: true}}, nil
	}
	return nil, errors.New("the script cannot plan " + r.Type)
}

// rootKeyChange is the key a root key's change acts on.
func rootKeyChange(e runbook.Effect) (runbook.KeyTarget, bool) {
	var t runbook.KeyTarget
	switch x := e.(type) {
	case runbook.DeactivateKey:
		t = x.KeyTarget
	case runbook.ReactivateKey:
		t = x.KeyTarget
	case runbook.DeleteKey:
		t = x.KeyTarget
	}
	return t, t.Root
}

// planRoot answers as awsops plans a root key's change: root's own calls
// (no UserName), noted as root's after the sign-in before root's session
// exists; a member's deletion opens its session with sts:AssumeRoot.
func (s *script) planRoot(e runbook.Effect, t runbook.KeyTarget) []runbook.APICall {
	s.mu.Lock()
	signedIn := s.signedIn
	s.mu.Unlock()
	root := runbook.RootARN(testAccount)
	if _, del := e.(runbook.DeleteKey); s.orgMember && !del {
		// A member's root key is contained with an SCP, from the
		// management account (awsops/orgscp.go).
		write := func(op, in string) runbook.APICall {
			return runbook.APICall{Service: "organizations", Operation: op, WouldCall: true, Input: json.RawMessage(in)}
		}
		if _, back := e.(runbook.ReactivateKey); back {
			return []runbook.APICall{write("DetachPolicy", `{"PolicyId":"p-scp","TargetId":"`+testAccount+`"}`), write("DeletePolicy", `{"PolicyId":"p-scp"}`)}
		}
		return []runbook.APICall{write("CreatePolicy", `{"Name":"keyrunbook-deny-root-`+testAccount+`","Type":"SERVICE_CONTROL_POLICY"}`),
			write("AttachPolicy", `{"PolicyId":"p-scp","TargetId":"`+testAccount+`"}`)}
	}
	call := runbook.APICall{Service: "iam", Operation: "UpdateAccessKey", WouldCall: true, Actor: root,
		Input: json.RawMessage(`{"AccessKeyId":"` + t.KeyID + `","Status":"Inactive","UserName":null}`)}
	switch e.(type) {
	case runbook.ReactivateKey:
		call.Input = json.RawMessage(`{"AccessKeyId":"` + t.KeyID + `","Status":"Active","UserName":null}`)
	case runbook.DeleteKey:
		call.Operation, call.Input = "DeleteAccessKey", json.RawMessage(`{"AccessKeyId":"`+t.KeyID+`","UserName":null}`)
	}
	switch {
	case s.orgMember:
		call.Via = "sts:AssumeRoot by arn:aws:iam::111122223333:user/org-responder, task policy arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
		if !signedIn {
			return []runbook.APICall{{Service: "sts", Operation: "AssumeRoot", WouldCall: true,
				Input: json.RawMessage(`{"TargetPrincipal":"` + testAccount + `","TaskPolicyArn":{"Arn":"arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"},"DurationSeconds":900}`)}, call}
		}
	case !signedIn:
		call.Via = runbook.ViaAfterSignIn
	}
	return []runbook.APICall{call}
}
