package runbook

import (
	"errors"
	"testing"
)

func TestRootSignInTransitions(t *testing.T) {
	noSession := func(m *Machine) { m.s.Contain.RootAccess = nil }
	member := func(m *Machine) { m.s.Contain.RootAccess, m.s.Intake.Key.OrgMember = nil, true }
	signingIn := func(m *Machine) {
		noSession(m)
		if _, err := m.Apply(SignInAsRoot{MFACode: "123456"}); err != nil {
			panic(err)
		}
	}
	runTransitions(t, []transition{
		{name: "deactivating a root key waits for the root sign-in", at: "deactivate", setup: noSession, event: ConfirmDeactivate{}, wantRefusal: "sign in as root"},
		{name: "root sign-in asks for a root session", at: "deactivate", setup: noSession, event: SignInAsRoot{MFACode: "123456"}, wantStep: StepDeactivate, wantEffects: []string{"ObtainRootCredentials"}},
		{name: "second sign-in while one runs refused", at: "deactivate", setup: signingIn, event: SignInAsRoot{MFACode: "654321"}, wantRefusal: "already running"},
		{name: "root session recorded", at: "deactivate", setup: signingIn, event: rootSignedIn(), wantStep: StepDeactivate},
		{name: "root session of another principal refused", at: "deactivate", setup: signingIn,
			event: RootCredentialsObtained{Access: RootAccess{Method: RootSignIn, Actor: "arn:aws:iam::111122223333:user/responder"}}, wantRefusal: "not the root user"},
		{name: "unasked root session refused", at: "deactivate", event: rootSignedIn(), wantRefusal: "no sign-in was asked for"},
		{name: "a refused MFA code is recorded, not retried", at: "deactivate", setup: signingIn,
			event: EffectFailed{Effect: "ObtainRootCredentials", Message: "Your authentication information is incorrect."}, wantStep: StepDeactivate},
		{name: "sign-in before the first root change refused", at: "applied", event: SignInAsRoot{MFACode: "123456"}, wantRefusal: "first change that needs them"},
		{name: "sign-in for an IAM user's key refused", at: "deactivate", setup: func(m *Machine) { m.s.Intake.Key.Root, m.s.Intake.Key.User = false, "alice" }, event: SignInAsRoot{MFACode: "123456"}, wantRefusal: "your own credentials"},
		{name: "sign-in in a live incident refused", at: "deactivate", setup: func(m *Machine) { noSession(m); m.s.Mode = ModeLive }, event: SignInAsRoot{MFACode: "123456"}, wantRefusal: "--root-profile"},
		{name: "live deactivation of a root key keeps --root-profile", at: "deactivate", setup: func(m *Machine) { noSession(m); m.s.Mode = ModeLive }, event: ConfirmDeactivate{}, wantStep: StepDeactivate, wantEffects: []string{"DeactivateKey"}},
		{name: "member account deactivates without a session (the SCP is the management account's)", at: "deactivate", setup: member, event: ConfirmDeactivate{}, wantStep: StepDeactivate, wantEffects: []string{"DeactivateKey"}},
		{name: "member account's deletion waits for AssumeRoot", at: "watched", setup: member, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "sts:AssumeRoot"},
		{name: "member account's AssumeRoot during the watch", at: "watched", setup: member, event: SignInAsRoot{}, wantStep: StepDelete, wantEffects: []string{"ObtainRootCredentials"}},
	})
}

func TestRootSignInMethodFollowsTheAccount(t *testing.T) {
	for _, tt := range []struct {
		member bool
		want   RootMethod
	}{{false, RootSignIn}, {true, RootAssume}} {
		m := machineAt(t, "deactivate")
		m.s.Contain.RootAccess, m.s.Intake.Key.OrgMember = nil, tt.member
		effects, err := m.Apply(SignInAsRoot{MFACode: "123456"})
		if err != nil {
			t.Fatal(err)
		}
		got := effects[0].(ObtainRootCredentials)
		if got.Method != tt.want || got.Account != "111122223333" || got.MFACode != "123456" {
			t.Errorf("member=%v: effect %+v, want method %s for the key's account with the code", tt.member, got, tt.want)
		}
	}
}

func TestRefusedMFACodeIsNotRetried(t *testing.T) {
	m := machineAt(t, "deactivate")
	m.s.Contain.RootAccess = nil
	if _, err := m.Apply(SignInAsRoot{MFACode: "000000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(EffectFailed{Effect: "ObtainRootCredentials", Message: "Your authentication information is incorrect."}); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if len(st.Effects.Failed) != 0 || st.Effects.LastError == nil || len(st.Effects.Pending) != 0 {
		t.Fatalf("failed %v, last error %v, pending %v: want the error shown and nothing to retry", st.Effects.Failed, st.Effects.LastError, st.Effects.Pending)
	}
	var r *Refusal
	if _, err := m.Apply(Retry{}); !errors.As(err, &r) {
		t.Fatalf("retry of a refused MFA code accepted: %v", err)
	}
	if !st.NeedsRootSignIn() {
		t.Fatal("the drill no longer asks for the sign-in after a refused code")
	}
}
