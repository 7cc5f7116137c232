package runbook

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testKey = "AKIAIOSFODNN7EXAMPLE"

var t0 = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

func fixtureInvestigation() Investigation {
	return Investigation{
		From: t0.Add(-DefaultSweepWindow), To: t0,
		Callers: []UsageCaller{
			{ID: "c-ec2", SourceIP: "54.1.2.3", Kind: CallerEC2, Label: LabelLegitimate, Resource: "i-0abc"},
			{ID: "c-cron", SourceIP: "198.51.100.7", Kind: CallerOffAWS, Label: LabelLegitimate, Tool: "aws-cli"},
			{ID: "c-evil", SourceIP: "203.0.113.66", Kind: CallerOffAWS, Label: LabelSuspicious},
			{ID: "c-svc", SourceIP: "AWS Internal", Kind: CallerAWSService, Label: LabelLegitimate},
		},
		BlastRadius: []Resource{{Type: "iam-user", ID: "backup-admin", Action: "CreateUser", Time: t0.Add(-time.Hour)}},
	}
}

const okPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":"*"}]}`

func fixtureProposals() []Proposal {
	return []Proposal{
		{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "keyrunbook-i-0abc-role", Target: "i-0abc", Policy: okPolicy},
		{CallerID: "c-cron", Kind: ReplaceIAMUser, Name: "keyrunbook-cron", Target: "198.51.100.7", Policy: okPolicy},
	}
}

// fixtureProofs answer, passing, the proofs ProposalsReady asks for the
// fixture's proposals (proof.go numbers them from 1).
func fixtureProofs() []Event {
	return []Event{
		ProposalProven{CallerID: "c-ec2", Seq: 1, Allowed: []string{"s3:ListAllMyBuckets"}},
		ProposalProven{CallerID: "c-cron", Seq: 2, Allowed: []string{"s3:ListAllMyBuckets"}},
	}
}

func sameAccount() KeyIdentified {
	return KeyIdentified{
		Caller: Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/responder", AccessKeyID: "AKIARESPONDER2222222"},
		Key:    KeyFacts{KeyID: testKey, Account: "111122223333", Root: true, Status: KeyActive},
	}
}

func rootSignedIn() RootCredentialsObtained {
	return RootCredentialsObtained{Access: RootAccess{Method: RootSignIn, Actor: RootARN("111122223333"), MFA: true, At: t0.Add(50 * time.Minute)}}
}

// stage is a named point on the ordinary path, reached by the events of
// every stage before it.
type stage struct {
	name   string
	events []Event
}

var path = []stage{
	{"intake", nil},
	{"identifying", []Event{SubmitKey{KeyID: testKey}}},
	{"identified", []Event{sameAccount()}},
	{"sweeping", []Event{BeginInvestigation{From: t0.Add(-DefaultSweepWindow), To: t0}}},
	{"investigated", []Event{SweepFinished{Investigation: fixtureInvestigation()}}},
	{"proposing", []Event{BeginProposals{}}},
	{"proposed", append([]Event{ProposalsReady{Proposals: fixtureProposals()}}, fixtureProofs()...)},
	{"decided", []Event{DecideProposal{CallerID: "c-ec2", Decision: DecisionApply}, DecideProposal{CallerID: "c-cron", Decision: DecisionApply}}},
	{"applying", []Event{ApplyProposals{}}},
	{"applied", []Event{ReplacementApplied{CallerID: "c-ec2", Created: []string{"role"}}, ReplacementApplied{CallerID: "c-cron", Created: []string{"user"}}}},
	// The fixture's key is root's in a training drill: the responder signs
	// in as root before the first change (rootaccess.go).
	{"deactivate", []Event{ProceedToDeactivate{}, SignInAsRoot{MFACode: "123456"}, rootSignedIn()}},
	{"deactivating", []Event{ConfirmDeactivate{}}},
	{"watching", []Event{KeyDeactivated{At: t0.Add(time.Hour)}}},
	{"watched", []Event{WatchObserved{At: t0.Add(time.Hour + DefaultWatchWindow)}, KeyStatusRead{Status: KeyInactive, At: t0.Add(time.Hour + DefaultWatchWindow)}}},
	{"deleting", []Event{ConfirmDelete{Typed: "MPLE"}}},
	{"harden", []Event{KeyDeleted{At: t0.Add(2 * time.Hour)}}},
	{"checked", []Event{HardeningChecked{Items: []CheckItem{{ID: "root-keys", OK: true}}}}},
	{"closed", []Event{CloseIncident{}}},
}

// machineAt returns a machine that went along the path up to the stage.
func machineAt(t *testing.T, name string) *Machine {
	t.Helper()
	m := New(Config{Mode: ModeTraining})
	for _, st := range path {
		for _, ev := range st.events {
			if _, err := m.Apply(ev); err != nil {
				t.Fatalf("reaching %s: %s refused: %v", name, ev.EventName(), err)
			}
		}
		if st.name == name {
			return m
		}
	}
	t.Fatalf("no stage %q", name)
	return nil
}

func effectNames(effects []Effect) []string {
	var names []string
	for _, e := range effects {
		names = append(names, e.EffectName())
	}
	return names
}

// transition is one row of a transition table: the machine at a stage of
// the ordinary path (plus setup), one event, and what must follow.
type transition struct {
	name        string
	at          string
	setup       func(*Machine) // optional extra changes before the event
	event       Event
	wantStep    Step
	wantEffects []string
	wantRefusal string // substring of the reason; empty means accepted
}

// runTransitions checks each row: accepted events move to the step with
// the effects; refused ones say why and leave the state exactly as it was.
func runTransitions(t *testing.T, tests []transition) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, tt.at)
			if tt.setup != nil {
				tt.setup(m)
			}
			before := m.Clone()
			effects, err := m.Apply(tt.event)
			if tt.wantRefusal != "" {
				var r *Refusal
				if !errors.As(err, &r) {
					t.Fatalf("want refusal containing %q, got effects %v err %v", tt.wantRefusal, effectNames(effects), err)
				}
				if !strings.Contains(r.Reason, tt.wantRefusal) {
					t.Fatalf("refusal %q does not contain %q", r.Reason, tt.wantRefusal)
				}
				if !reflect.DeepEqual(before, m) {
					t.Fatal("a refused event changed the state")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if m.Step() != tt.wantStep {
				t.Errorf("step = %s, want %s", m.Step(), tt.wantStep)
			}
			if got := effectNames(effects); !reflect.DeepEqual(got, tt.wantEffects) {
				t.Errorf("effects = %v, want %v", got, tt.wantEffects)
			}
		})
	}
}
