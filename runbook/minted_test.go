package runbook

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	sessionKey = "ASIAMINTEDSESSION222"
	roleKey    = "ASIAMINTEDROLE222222"
	foreignKey = "ASIAMINTEDFOREIGN222"
	roleARN    = "arn:aws:iam::111122223333:role/ops-admin"
	foreignARN = "arn:aws:iam::999988887777:role/partner-admin"
)

func mintedFixture() []MintedCredential {
	return []MintedCredential{
		{KeyID: sessionKey, Via: ViaGetSessionToken, MintedBy: testKey, IssuedAt: t0.Add(-2 * time.Hour), ExpiresAt: t0.Add(34 * time.Hour), ExpiryBasis: ExpiryFromResponse},
		{KeyID: roleKey, Via: ViaAssumeRole, MintedBy: testKey, RoleARN: roleARN, IssuedAt: t0.Add(-time.Hour), ExpiresAt: t0, ExpiryBasis: ExpiryFromResponse},
		{KeyID: foreignKey, Via: ViaAssumeRole, MintedBy: testKey, RoleARN: foreignARN, CrossAccount: true, IssuedAt: t0.Add(-time.Hour), ExpiresAt: t0},
	}
}

// withMinted gives the machine an investigation that found minted
// credentials, with the key owned by IAM user legacy (not root).
func withMinted(m *Machine) {
	inv := *m.s.Investigate.Investigation
	inv.Minted = mintedFixture()
	m.s.Investigate.Investigation = &inv
	m.s.Intake.Key.Root, m.s.Intake.Key.User, m.s.Intake.Key.UserARN = false, "legacy", "arn:aws:iam::111122223333:user/legacy"
}

func TestRevokeSessionsTransitions(t *testing.T) {
	revoked := SessionsRevoked{At: t0.Add(90 * time.Minute), Targets: []RevocationTarget{{Kind: "role", Name: "ops-admin"}}}
	tests := []transition{
		{name: "revoke from deactivate", at: "deactivate", setup: withMinted, event: RevokeSessions{}, wantStep: StepDeactivate, wantEffects: []string{"RevokeOlderSessions"}},
		{name: "revoke while watching", at: "watching", setup: withMinted, event: RevokeSessions{}, wantStep: StepWatch, wantEffects: []string{"RevokeOlderSessions"}},
		{name: "revoke after the watch", at: "watched", setup: withMinted, event: RevokeSessions{}, wantStep: StepDelete, wantEffects: []string{"RevokeOlderSessions"}},
		{name: "revoke before containment refused", at: "proposed", setup: withMinted, event: RevokeSessions{}, wantRefusal: "once containment has begun"},
		{name: "revoke with nothing minted refused", at: "deactivate", event: RevokeSessions{}, wantRefusal: "no temporary credentials minted"},
		{name: "revoke twice refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			if _, err := m.Apply(RevokeSessions{}); err != nil {
				panic(err)
			}
		}, event: RevokeSessions{}, wantRefusal: "already running"},
		{name: "revoke of root's sessions refused with advice", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Intake.Key.Root, m.s.Intake.Key.User = true, ""
			m.s.Investigate.Investigation.Minted = m.s.Investigate.Investigation.Minted[:1]
		}, event: RevokeSessions{}, wantRefusal: "cannot be restricted by an IAM policy"},
		{name: "revoke of only a cross-account role refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Investigate.Investigation.Minted = m.s.Investigate.Investigation.Minted[2:]
		}, event: RevokeSessions{}, wantRefusal: "Ask that account's administrators"},
		{name: "revoke with the responder in a revoked role refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Intake.Caller.AccessKeyID, m.s.Intake.Caller.ARN = "ASIARESPONDER2222222", "arn:aws:sts::111122223333:assumed-role/ops-admin/alice"
		}, event: RevokeSessions{}, wantRefusal: "lock you out"},
		{name: "revoke from another account refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Intake.Caller.Account = "999988887777"
		}, event: RevokeSessions{}, wantRefusal: "key belongs to account 111122223333"},
		{name: "revoke with a minted key refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Intake.Caller.AccessKeyID = roleKey
		}, event: RevokeSessions{}, wantRefusal: "temporary credential the leaked key minted"},
		{name: "revoke with a minted session of a revoked role refused as minted", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			m.s.Intake.Caller.AccessKeyID, m.s.Intake.Caller.ARN = roleKey, "arn:aws:sts::111122223333:assumed-role/ops-admin/maint"
		}, event: RevokeSessions{}, wantRefusal: "temporary credential the leaked key minted"},
		{name: "revocation result recorded", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			if _, err := m.Apply(RevokeSessions{}); err != nil {
				panic(err)
			}
		}, event: revoked, wantStep: StepDeactivate},
		{name: "revocation result after the step moved on", at: "deactivating", setup: func(m *Machine) {
			withMinted(m)
			if _, err := m.Apply(RevokeSessions{}); err != nil {
				panic(err)
			}
			if _, err := m.Apply(KeyDeactivated{At: t0.Add(time.Hour)}); err != nil {
				panic(err)
			}
		}, event: revoked, wantStep: StepWatch},
		{name: "unasked revocation result refused", at: "deactivate", setup: withMinted, event: revoked, wantRefusal: "no RevokeOlderSessions was asked for"},
		{name: "revocation result without a time refused", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			if _, err := m.Apply(RevokeSessions{}); err != nil {
				panic(err)
			}
		}, event: SessionsRevoked{Targets: revoked.Targets}, wantRefusal: "needs the time"},
		{name: "failed revocation is retryable", at: "deactivate", setup: func(m *Machine) {
			withMinted(m)
			if _, err := m.Apply(RevokeSessions{}); err != nil {
				panic(err)
			}
		}, event: EffectFailed{Effect: "RevokeOlderSessions", Code: "AccessDenied", Action: "iam:PutRolePolicy", Message: "denied"}, wantStep: StepDeactivate},
	}
	runTransitions(t, tests)
}

func TestRevokeSessionsTargetsUserAndSameAccountRoles(t *testing.T) {
	m := machineAt(t, "deactivate")
	withMinted(m)
	effects, err := m.Apply(RevokeSessions{})
	if err != nil {
		t.Fatal(err)
	}
	got := effects[0].(RevokeOlderSessions)
	want := []RevocationTarget{
		{Kind: "role", Name: "ops-admin", ARN: roleARN},
		{Kind: "user", Name: "legacy", ARN: "arn:aws:iam::111122223333:user/legacy"},
	}
	if got.KeyID != testKey || !reflect.DeepEqual(got.Targets, want) {
		t.Fatalf("effect = %+v, want targets %+v", got, want)
	}
	plan := m.State().RevocationPlan()
	if len(plan.Elsewhere) != 1 || !strings.Contains(plan.Elsewhere[0], "account 999988887777") || plan.RootOnly {
		t.Errorf("plan = %+v, want the cross-account role left to its account", plan)
	}
	at := t0.Add(2 * time.Hour)
	if _, err := m.Apply(SessionsRevoked{At: at, Targets: want}); err != nil {
		t.Fatal(err)
	}
	if r := m.State().Contain.Revocation; r == nil || !r.At.Equal(at) || len(r.Targets) != 2 {
		t.Fatalf("revocation = %+v", r)
	}
	if p := m.State().Effects.Pending; len(p) != 0 {
		t.Errorf("pending after the result: %v", p)
	}
}

func TestRootRevocationPlanSaysWhatToDoInstead(t *testing.T) {
	tests := []struct {
		name      string
		orgMember bool
		want      string
	}{
		{"standalone account", false, "contact AWS Support"},
		{"organizations member", true, "SCP denying the root user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Intake: IntakeState{Key: KeyFacts{Root: true, OrgMember: tt.orgMember}}, Investigate: InvestigateState{Investigation: &Investigation{Minted: []MintedCredential{
				{KeyID: sessionKey, Via: ViaGetSessionToken, IssuedAt: t0, ExpiresAt: t0.Add(MaxRootSession)},
			}}}}
			p := st.RevocationPlan()
			if !p.RootOnly || len(p.Targets) != 0 || len(p.Elsewhere) != 1 {
				t.Fatalf("plan = %+v", p)
			}
			for _, want := range []string{"cannot be restricted by an IAM policy", "04:00 UTC", tt.want} {
				if !strings.Contains(p.Elsewhere[0], want) {
					t.Errorf("advice %q lacks %q", p.Elsewhere[0], want)
				}
			}
		})
	}
}

func TestResponderWithLeakedOrMintedKeyIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		event  Event
		reason string
	}{
		{"leaked key deactivating", testKey, ConfirmDeactivate{}, "leaked key itself"},
		{"GetSessionToken key deactivating", sessionKey, ConfirmDeactivate{}, "temporary credential the leaked key minted (GetSessionToken)"},
		{"assumed-role key deactivating", roleKey, ConfirmDeactivate{}, "AssumeRole of " + roleARN},
		{"cross-account key cleaning up", foreignKey, CleanUp{Resource: fixtureInvestigation().BlastRadius[0]}, foreignKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machineAt(t, "deactivate")
			withMinted(m)
			m.s.Intake.Caller.AccessKeyID = tt.key
			_, err := m.Apply(tt.event)
			var r *Refusal
			if !errors.As(err, &r) || !strings.Contains(r.Reason, tt.reason) {
				t.Fatalf("got %v, want a refusal naming %q", err, tt.reason)
			}
		})
	}
	// Reads stay allowed: the responder may investigate with any key.
	m := machineAt(t, "investigated")
	withMinted(m)
	m.s.Intake.Caller.AccessKeyID = sessionKey
	if _, err := m.Apply(BeginInvestigation{From: t0.Add(-time.Hour), To: t0}); err != nil {
		t.Fatalf("a read-only sweep with a minted key was refused: %v", err)
	}
}

func TestMintedCredentialFacts(t *testing.T) {
	c := MintedCredential{Via: ViaAssumeRole, RoleARN: "arn:aws:iam::999988887777:role/path/to/deploy", CrossAccount: true,
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if got := c.RoleName(); got != "deploy" {
		t.Errorf("RoleName = %q", got)
	}
	if got := c.RoleAccount(); got != "999988887777" {
		t.Errorf("RoleAccount = %q", got)
	}
	if got := c.Remaining(t0.Add(20 * time.Minute)); got != 40*time.Minute {
		t.Errorf("Remaining = %s", got)
	}
	if got := c.Remaining(t0.Add(2 * time.Hour)); got != 0 {
		t.Errorf("Remaining after expiry = %s", got)
	}
	if got := c.Describe(); !strings.Contains(got, "(account 999988887777)") {
		t.Errorf("Describe = %q", got)
	}
}

func TestRevocationReplaysFromTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incident.jsonl")
	j, err := CreateJournal(path, string(ModeTraining), "", func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	en, err := StartEngine(Config{Mode: ModeTraining}, j)
	if err != nil {
		t.Fatal(err)
	}
	inv := fixtureInvestigation()
	inv.Minted = mintedFixture()
	id := sameAccount()
	id.Key.Root, id.Key.User = false, "legacy"
	for _, ev := range []Event{
		SubmitKey{KeyID: testKey}, id, BeginInvestigation{From: t0.Add(-time.Hour), To: t0},
		SweepFinished{Investigation: inv}, BeginProposals{}, ProposalsReady{},
		ApplyProposals{}, ProceedToDeactivate{Override: "test"}, RevokeSessions{},
		SessionsRevoked{At: t0.Add(time.Hour), Targets: []RevocationTarget{{Kind: "user", Name: "legacy"}}},
	} {
		if _, err := en.Submit(ev); err != nil {
			t.Fatalf("%s: %v", ev.EventName(), err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := Replay(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	st := rp.Machine.State()
	if st.Contain.Revocation == nil || !st.Contain.Revocation.At.Equal(t0.Add(time.Hour)) || len(st.Investigate.Investigation.Minted) != 3 {
		t.Fatalf("replayed revocation %+v, minted %d", st.Contain.Revocation, len(st.Investigate.Investigation.Minted))
	}
	rep, err := BuildReport(rp.Records, rp.Verify)
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	for _, want := range []string{"### Temporary credentials the key minted", "| " + sessionKey + " | GetSessionToken | " + testKey,
		"not followed: another account", "Sessions minted before 2026-11-23T04:00:00Z revoked on: user legacy"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	for _, rec := range rp.Records {
		if rec.Name == "SessionsRevoked" && rec.Type != RecordResult {
			t.Errorf("SessionsRevoked journaled as %s, want a result", rec.Type)
		}
		if rec.Name == "SessionsRevoked" && !strings.Contains(describe(rec), "sessions issued before") {
			t.Errorf("timeline says %q", describe(rec))
		}
	}
}
