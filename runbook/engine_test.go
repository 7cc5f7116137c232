package runbook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// scripted answers every effect as a cooperative account would, and notes
// each call with an input that carries a secret, to prove redaction.
type scripted struct {
	now   time.Time
	fail  map[string]EffectFailed // effect name → failure to answer once
	calls []string
}

func (x *scripted) Run(_ context.Context, e Effect, emit func(Event)) Event {
	x.calls = append(x.calls, e.EffectName())
	x.now = x.now.Add(time.Minute)
	if f, ok := x.fail[e.EffectName()]; ok {
		delete(x.fail, e.EffectName())
		return f
	}
	input, _ := json.Marshal(map[string]string{"AccessKeyId": testKey, "SecretAccessKey": testSecret, "Note": "secret is " + testSecret})
	call := APICall{Service: "iam", Operation: e.EffectName(), Input: input, WouldCall: e.Mutates()}
	switch e.(type) {
	case DeactivateKey, ReactivateKey, DeleteKey:
		// The fixture's key is root's: its changes are made as root.
		call.Actor = RootARN("111122223333")
	}
	emit(call)
	switch e := e.(type) {
	case IdentifyKey:
		return sameAccount()
	case SweepCloudTrail:
		emit(SweepProgress{Region: RegionSweep{Region: "us-east-1", State: RegionDone, Pages: 2, Events: 90}})
		return SweepFinished{Investigation: fixtureInvestigation()}
	case ProposeReplacements:
		return ProposalsReady{Proposals: fixtureProposals()}
	case ProveProposal:
		return ProposalProven{CallerID: e.Proposal.CallerID, Seq: e.Seq, Allowed: []string{"s3:ListAllMyBuckets"}}
	case ApplyReplacement:
		return ReplacementApplied{CallerID: e.Proposal.CallerID, Created: []string{"arn:aws:iam::111122223333:role/" + e.Proposal.Name}}
	case VerifyMove:
		return CallerMoved{CallerID: e.Proposal.CallerID, Moved: true}
	case ObtainRootCredentials:
		return RootCredentialsObtained{Access: RootAccess{Method: e.Method, Actor: RootARN(e.Account), MFA: e.MFACode != "", At: x.now}}
	case DeactivateKey:
		return KeyDeactivated{At: x.now}
	case PollWatch:
		x.now = x.now.Add(10 * time.Minute)
		return WatchObserved{At: x.now}
	case ReactivateKey:
		return KeyReactivated{At: x.now}
	case ReadKeyStatus:
		return KeyStatusRead{Status: KeyInactive, At: x.now}
	case DeleteKey:
		return KeyDeleted{At: x.now}
	case CheckHardening:
		return HardeningChecked{Items: []CheckItem{{ID: "root-keys", Title: "No root access keys (IAM.4)", OK: true, State: "none"}}}
	case CleanUpResource:
		return ResourceCleanedUp{Resource: e.Resource}
	}
	return EffectFailed{Effect: e.EffectName(), Message: "unscripted"}
}

// fixedClock ticks one second per record, so logs are byte-for-byte stable.
func fixedClock() func() time.Time {
	t := t0
	return func() time.Time { t = t.Add(time.Second); return t }
}

func newTestEngine(t *testing.T) (*Engine, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := CreateJournal(path, string(ModeTraining), "", fixedClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	en, err := StartEngine(Config{Mode: ModeTraining}, j)
	if err != nil {
		t.Fatal(err)
	}
	return en, path
}

// playModelResponse drives a whole incident the way a careful responder does.
func playModelResponse(t *testing.T, en *Engine, x Executor) {
	t.Helper()
	ctx := context.Background()
	steps := []Event{
		SubmitKey{KeyID: testKey, DetectedAt: t0.Add(-time.Hour)},
		BeginInvestigation{From: t0.Add(-DefaultSweepWindow), To: t0},
		BeginProposals{},
		DecideProposal{CallerID: "c-ec2", Decision: DecisionApply},
		DecideProposal{CallerID: "c-cron", Decision: DecisionApply},
		ApplyProposals{},
		VerifyMoves{},
		ProceedToDeactivate{},
		SignInAsRoot{MFACode: "123456"},
		ConfirmDeactivate{},
		CleanUp{Resource: fixtureInvestigation().BlastRadius[0]},
		ConfirmDelete{Typed: "MPLE"},
		CloseIncident{Note: "drill done"},
	}
	for _, ev := range steps {
		if err := en.Run(ctx, x, ev); err != nil {
			t.Fatalf("%s: %v", ev.EventName(), err)
		}
	}
}

func TestEngineRunsAWholeIncidentAndReplayRebuildsIt(t *testing.T) {
	en, path := newTestEngine(t)
	x := &scripted{now: t0}
	playModelResponse(t, en, x)
	if en.Machine().Step() != StepClosed {
		t.Fatalf("step = %s, want closed", en.Machine().Step())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rp, err := Replay(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rp.Machine.State(), en.Machine().State()) {
		t.Fatalf("replayed state differs:\n got %+v\nwant %+v", rp.Machine.State(), en.Machine().State())
	}
	if len(rp.Pending) != 0 {
		t.Fatalf("pending after a complete run: %v", effectNames(rp.Pending))
	}
}

func TestSecretsNeverReachTheLog(t *testing.T) {
	en, path := newTestEngine(t)
	playModelResponse(t, en, &scripted{now: t0})
	// A refused event carrying a pasted secret is journaled too.
	en.Submit(RequestReactivate{Reason: "pasted " + testSecret}) //nolint:errcheck // refused on purpose
	en.Submit(Abort{Reason: "the secret " + testSecret + " is out"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(testSecret)) {
		t.Fatal("the secret access key reached the action log")
	}
	if !bytes.Contains(b, []byte(`"WouldCall"`)) && !bytes.Contains(b, []byte(`"wouldCall":true`)) {
		t.Fatal("API call notes were not journaled")
	}
}

func TestCrashAfterIntentLeavesItPending(t *testing.T) {
	en, path := newTestEngine(t)
	x := &scripted{now: t0}
	for _, ev := range []Event{SubmitKey{KeyID: testKey}} {
		if err := en.Run(context.Background(), x, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := en.Submit(BeginInvestigation{From: t0.Add(-time.Hour), To: t0}); err != nil {
		t.Fatal(err)
	}
	// The program dies here: the sweep's intent is in the log, its result is not.
	f, _ := os.Open(path)
	defer f.Close()
	rp, err := Replay(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := effectNames(rp.Pending); !reflect.DeepEqual(got, []string{"SweepCloudTrail"}) {
		t.Fatalf("pending = %v, want [SweepCloudTrail]", got)
	}
	if rp.Machine.Step() != StepInvestigate {
		t.Fatalf("step = %s", rp.Machine.Step())
	}
}

func TestRefusalsAreJournaledAndChangeNothing(t *testing.T) {
	en, path := newTestEngine(t)
	_, err := en.Submit(ConfirmDelete{Typed: "MPLE"})
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got %v", err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"name":"Refused"`) || !strings.Contains(string(b), "ConfirmDelete") {
		t.Fatalf("refusal not journaled:\n%s", b)
	}
	if en.Machine().Step() != StepIntake {
		t.Fatalf("step moved to %s", en.Machine().Step())
	}
}

func TestReplayRefusesATamperedLog(t *testing.T) {
	en, path := newTestEngine(t)
	playModelResponse(t, en, &scripted{now: t0})
	b, _ := os.ReadFile(path)
	tampered := bytes.Replace(b, []byte(`"typed":"MPLE"`), []byte(`"typed":"XXXX"`), 1)
	if bytes.Equal(b, tampered) {
		t.Fatal("fixture did not contain the confirmation")
	}
	if _, err := Replay(bytes.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered log replayed: %v", err)
	}
}

func TestFailedEffectIsRetriedThroughTheEngine(t *testing.T) {
	en, _ := newTestEngine(t)
	x := &scripted{now: t0, fail: map[string]EffectFailed{"IdentifyKey": {Effect: "IdentifyKey", Code: "AccessDenied", Action: "sts:GetAccessKeyInfo", Message: "denied"}}}
	if err := en.Run(context.Background(), x, SubmitKey{KeyID: testKey}); err != nil {
		t.Fatal(err)
	}
	if st := en.Machine().State(); st.Intake.Identified || st.Effects.LastError == nil {
		t.Fatalf("after failure: identified %v, last error %v", st.Intake.Identified, st.Effects.LastError)
	}
	if err := en.Run(context.Background(), x, Retry{}); err != nil {
		t.Fatal(err)
	}
	if !en.Machine().State().Intake.Identified {
		t.Fatal("retry did not identify the key")
	}
}
