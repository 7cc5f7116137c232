package runbook

import (
	"strings"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	tests := []transition{
		// Intake.
		{name: "valid key starts identification", at: "intake", event: SubmitKey{KeyID: testKey}, wantStep: StepIdentify, wantEffects: []string{"IdentifyKey"}},
		{name: "key with spaces around is trimmed", at: "intake", event: SubmitKey{KeyID: "  " + testKey + "\n"}, wantStep: StepIdentify, wantEffects: []string{"IdentifyKey"}},
		{name: "temporary key refused with advice", at: "intake", event: SubmitKey{KeyID: "ASIAIOSFODNN7EXAMPLE"}, wantRefusal: "temporary credential"},
		{name: "short key refused", at: "intake", event: SubmitKey{KeyID: "AKIA123"}, wantRefusal: "20 characters"},
		{name: "lower-case key refused", at: "intake", event: SubmitKey{KeyID: "akiaiosfodnn7example"}, wantRefusal: "upper case"},
		{name: "bad alphabet refused", at: "intake", event: SubmitKey{KeyID: "AKIAIOSFODNN0EXAMPL1"}, wantRefusal: "A-Z and 2-7"},
		{name: "not a key refused", at: "intake", event: SubmitKey{KeyID: "hello"}, wantRefusal: "must start with AKIA"},
		{name: "empty key refused", at: "intake", event: SubmitKey{KeyID: ""}, wantRefusal: "enter the leaked"},
		{name: "second key refused", at: "identifying", event: SubmitKey{KeyID: testKey}, wantRefusal: "already set"},

		// Identify.
		{name: "identification recorded", at: "identifying", event: sameAccount(), wantStep: StepIdentify},
		{name: "identification for another key refused", at: "identifying", event: KeyIdentified{Key: KeyFacts{KeyID: "AKIAAAAAAAAAAAAAAAAA"}}, wantRefusal: "not AKIAIOSFODNN7EXAMPLE"},
		{name: "unasked identification refused", at: "identified", event: sameAccount(), wantRefusal: "no IdentifyKey was asked for"},
		{name: "sweep before identification refused", at: "identifying", event: BeginInvestigation{From: t0.Add(-time.Hour), To: t0}, wantRefusal: "wait for identification"},
		{name: "sweep starts", at: "identified", event: BeginInvestigation{From: t0.Add(-time.Hour), To: t0}, wantStep: StepInvestigate, wantEffects: []string{"SweepCloudTrail"}},
		{name: "inverted window refused", at: "identified", event: BeginInvestigation{From: t0, To: t0.Add(-time.Hour)}, wantRefusal: "start is before its end"},

		// Investigate.
		{name: "progress during sweep", at: "sweeping", event: SweepProgress{Region: RegionSweep{Region: "us-east-1", State: RegionRunning, Pages: 3}}, wantStep: StepInvestigate},
		{name: "progress after sweep refused", at: "investigated", event: SweepProgress{Region: RegionSweep{Region: "us-east-1"}}, wantRefusal: "no sweep is running"},
		{name: "second sweep while running refused", at: "sweeping", event: BeginInvestigation{From: t0.Add(-time.Hour), To: t0}, wantRefusal: "already running"},
		{name: "sweep again after finishing", at: "investigated", event: BeginInvestigation{From: t0.Add(-time.Hour), To: t0}, wantStep: StepInvestigate, wantEffects: []string{"SweepCloudTrail"}},
		{name: "proposals before sweep ends refused", at: "sweeping", event: BeginProposals{}, wantRefusal: "wait for the CloudTrail sweep"},
		{name: "proposals start", at: "investigated", event: BeginProposals{}, wantStep: StepPropose, wantEffects: []string{"ProposeReplacements"}},
		{name: "relabel caller", at: "investigated", event: RelabelCaller{CallerID: "c-evil", Label: LabelAttacker}, wantStep: StepInvestigate},
		{name: "relabel unknown caller refused", at: "investigated", event: RelabelCaller{CallerID: "nope", Label: LabelAttacker}, wantRefusal: "no caller nope"},
		{name: "relabel with bad label refused", at: "investigated", event: RelabelCaller{CallerID: "c-evil", Label: "friend"}, wantRefusal: "not a label"},
		{name: "failed sweep is retryable", at: "sweeping", event: EffectFailed{Effect: "SweepCloudTrail", Message: "denied", Action: "cloudtrail:LookupEvents"}, wantStep: StepInvestigate},

		// Propose.
		{name: "relabel to legitimate asks for its proposal", at: "proposed", event: RelabelCaller{CallerID: "c-evil", Label: LabelLegitimate}, wantStep: StepPropose, wantEffects: []string{"ProposeReplacements"}},
		{name: "relabel away from legitimate drops the proposal", at: "proposed", event: RelabelCaller{CallerID: "c-cron", Label: LabelAttacker}, wantStep: StepPropose, wantEffects: []string{"ProveProposal"}},
		{name: "edit proposal", at: "proposed", event: EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "web-role", Policy: okPolicy}}, wantStep: StepPropose, wantEffects: []string{"ProveProposal", "ProveProposal"}},
		{name: "edit with invalid policy refused", at: "proposed", event: EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "web-role", Policy: `{"Version":"2012-10-17"`}}, wantRefusal: "not valid JSON"},
		{name: "edit with bad version refused", at: "proposed", event: EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "web-role", Policy: `{"Version":"2008-10-17","Statement":[]}`}}, wantRefusal: "Version"},
		{name: "edit with bad name refused", at: "proposed", event: EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "web role!", Policy: okPolicy}}, wantRefusal: "may use only"},
		{name: "edit with bad kind refused", at: "proposed", event: EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: "magic", Name: "r", Policy: okPolicy}}, wantRefusal: "not a replacement kind"},
		{name: "decide unknown caller refused", at: "proposed", event: DecideProposal{CallerID: "zz", Decision: DecisionApply}, wantRefusal: "no proposal for caller zz"},
		{name: "decide bad decision refused", at: "proposed", event: DecideProposal{CallerID: "c-ec2", Decision: "maybe"}, wantRefusal: "not a decision"},
		{name: "apply creates decided proposals", at: "decided", event: ApplyProposals{}, wantStep: StepReplace, wantEffects: []string{"ApplyReplacement", "ApplyReplacement"}},
		{name: "apply before proposals are built refused", at: "proposing", event: ApplyProposals{}, wantRefusal: "wait for the proposals"},

		// Replace.
		{name: "replacement result", at: "applying", event: ReplacementApplied{CallerID: "c-ec2", Created: []string{"arn:aws:iam::111122223333:role/r"}}, wantStep: StepReplace},
		{name: "proceed while applying refused", at: "applying", event: ProceedToDeactivate{}, wantRefusal: "wait for the replacements"},
		{name: "verify moves", at: "applied", event: VerifyMoves{}, wantStep: StepReplace, wantEffects: []string{"VerifyMove", "VerifyMove"}},
		{name: "back to proposals", at: "applied", event: BackToProposals{}, wantStep: StepPropose},
		{name: "back to proposals while applying refused", at: "applying", event: BackToProposals{}, wantRefusal: "wait for the replacements"},
		{name: "back to proposals from deactivate refused", at: "deactivate", event: BackToProposals{}, wantRefusal: "from the replace step"},
		{name: "late move check settles after proceeding", at: "applied", setup: func(m *Machine) {
			if _, err := m.Apply(VerifyMoves{}); err != nil {
				panic(err)
			}
			if _, err := m.Apply(ProceedToDeactivate{}); err != nil {
				panic(err)
			}
		}, event: CallerMoved{CallerID: "c-ec2", Moved: true}, wantStep: StepDeactivate},
		{name: "unasked move check refused", at: "applied", event: CallerMoved{CallerID: "c-ec2", Moved: true}, wantRefusal: "no VerifyMove was asked for"},
		{name: "proceed to deactivate", at: "applied", event: ProceedToDeactivate{}, wantStep: StepDeactivate},
		{name: "proceed with undecided caller refused", at: "applied", setup: func(m *Machine) {
			m.s.Propose.Proposals = cloneProposals(m.s.Propose.Proposals)
			m.s.Propose.Proposals[1].Decision, m.s.Propose.Proposals[1].Applied = DecisionUndecided, false
		}, event: ProceedToDeactivate{}, wantRefusal: "c-cron is undecided"},
		{name: "proceed with undecided caller and override", at: "applied", setup: func(m *Machine) {
			m.s.Propose.Proposals = cloneProposals(m.s.Propose.Proposals)
			m.s.Propose.Proposals[1].Decision, m.s.Propose.Proposals[1].Applied = DecisionUndecided, false
		}, event: ProceedToDeactivate{Override: "cron host is being decommissioned tonight"}, wantStep: StepDeactivate},

		// Deactivate.
		{name: "confirm deactivation", at: "deactivate", event: ConfirmDeactivate{}, wantStep: StepDeactivate, wantEffects: []string{"DeactivateKey"}},
		{name: "confirm deactivation twice refused", at: "deactivating", event: ConfirmDeactivate{}, wantRefusal: "already running"},
		{name: "deactivated starts the watch", at: "deactivating", event: KeyDeactivated{At: t0}, wantStep: StepWatch, wantEffects: []string{"PollWatch"}},
		{name: "deactivation denied stays retryable", at: "deactivating", event: EffectFailed{Effect: "DeactivateKey", Code: "AccessDenied", Action: "iam:UpdateAccessKey", Message: "denied"}, wantStep: StepDeactivate},
		{name: "deactivate from another account refused", at: "deactivate", setup: func(m *Machine) { m.s.Intake.Caller.Account = "999988887777" }, event: ConfirmDeactivate{}, wantRefusal: "key belongs to account 111122223333"},
		{name: "deactivate with the leaked key itself refused", at: "deactivate", setup: func(m *Machine) { m.s.Intake.Caller.AccessKeyID = testKey }, event: ConfirmDeactivate{}, wantRefusal: "leaked key itself"},
		{name: "clean up attacker user", at: "deactivate", event: CleanUp{Resource: fixtureInvestigation().BlastRadius[0]}, wantStep: StepDeactivate, wantEffects: []string{"CleanUpResource"}},
		{name: "clean up something not in blast radius refused", at: "deactivate", event: CleanUp{Resource: Resource{Type: "iam-user", ID: "alice"}}, wantRefusal: "not in the blast radius"},
		{name: "clean up before containment refused", at: "proposed", event: CleanUp{Resource: fixtureInvestigation().BlastRadius[0]}, wantRefusal: "once containment has begun"},

		// Watch.
		{name: "quiet reading keeps watching", at: "watching", event: WatchObserved{At: t0.Add(time.Hour + 10*time.Minute)}, wantStep: StepWatch, wantEffects: []string{"PollWatch"}},
		{name: "quiet full window moves to delete", at: "watching", event: WatchObserved{At: t0.Add(time.Hour + DefaultWatchWindow)}, wantStep: StepDelete, wantEffects: []string{"ReadKeyStatus"}},
		{name: "dry-run delete step reads nothing again", at: "watching", setup: func(m *Machine) { m.s.Mode = ModeDryRun },
			event: WatchObserved{At: t0.Add(time.Hour + DefaultWatchWindow)}, wantStep: StepDelete},
		{name: "delete while the key is read again refused", at: "watching", setup: watchPassed, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "being read again"},
		{name: "delete after the read found the key active refused", at: "watching", setup: func(m *Machine) {
			watchPassed(m)
			applyOrPanic(m, KeyStatusRead{Status: KeyActive, At: t0.Add(2 * time.Hour)})
		}, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "key is still active"},
		{name: "delete after the read failed refused", at: "watching", setup: func(m *Machine) {
			watchPassed(m)
			applyOrPanic(m, EffectFailed{Effect: "ReadKeyStatus", Message: "AccessDenied"})
		}, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "status is unknown"},
		{name: "retry reads the key again", at: "watching", setup: func(m *Machine) {
			watchPassed(m)
			applyOrPanic(m, EffectFailed{Effect: "ReadKeyStatus", Message: "AccessDenied"})
		}, event: Retry{}, wantStep: StepDelete, wantEffects: []string{"ReadKeyStatus"}},
		{name: "reread the key at delete", at: "watched", event: RereadKey{}, wantStep: StepDelete, wantEffects: []string{"ReadKeyStatus"}},
		{name: "reread while reading asks nothing more", at: "watching", setup: watchPassed, event: RereadKey{}, wantStep: StepDelete},
		{name: "reread before delete refused", at: "watching", event: RereadKey{}, wantRefusal: "at the Delete step"},
		{name: "key status unasked refused", at: "watching", event: KeyStatusRead{Status: KeyInactive, At: t0.Add(2 * time.Hour)}, wantRefusal: "no ReadKeyStatus was asked for"},
		{name: "key use ends the window unpassed", at: "watching", event: WatchObserved{At: t0.Add(2 * time.Hour), KeyUses: 3}, wantStep: StepWatch},
		{name: "broken workload ends the window unpassed", at: "watching", event: WatchObserved{At: t0.Add(2 * time.Hour), Unhealthy: []string{"cron"}}, wantStep: StepWatch},
		{name: "key use within the window keeps watching", at: "watching", event: WatchObserved{At: t0.Add(time.Hour + 10*time.Minute), KeyUses: 3}, wantStep: StepWatch, wantEffects: []string{"PollWatch"}},
		{name: "reading older than the last refused", at: "watching", event: WatchObserved{At: t0}, wantRefusal: "older than the last"},
		{name: "delete during watch refused", at: "watching", event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "watch window has not passed"},
		{name: "roll back needs a reason", at: "watching", event: RequestReactivate{}, wantRefusal: "say why"},
		{name: "roll back", at: "watching", event: RequestReactivate{Reason: "cron failing"}, wantStep: StepReactivate, wantEffects: []string{"ReactivateKey"}},
		{name: "restart watch with a poll in flight", at: "watching", event: RestartWatch{}, wantStep: StepWatch},

		// Delete.
		{name: "delete with wrong confirmation refused", at: "watched", event: ConfirmDelete{Typed: "XXXX"}, wantRefusal: "does not match"},
		{name: "delete an active key refused", at: "watched", setup: func(m *Machine) { m.s.Intake.Key.Status = KeyActive }, event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "cannot delete: key is still active"},
		{name: "delete an active key contained by an SCP", at: "watched", setup: func(m *Machine) { m.s.Intake.Key.Status, m.s.Delete.KeyContained = KeyActive, true }, event: ConfirmDelete{Typed: "MPLE"}, wantStep: StepDelete, wantEffects: []string{"DeleteKey"}},
		{name: "delete", at: "watched", event: ConfirmDelete{Typed: "MPLE"}, wantStep: StepDelete, wantEffects: []string{"DeleteKey"}},
		{name: "delete twice refused", at: "deleting", event: ConfirmDelete{Typed: "MPLE"}, wantRefusal: "already running"},
		{name: "roll back still possible before delete", at: "watched", event: RequestReactivate{Reason: "on second thought"}, wantStep: StepReactivate, wantEffects: []string{"ReactivateKey"}},
		{name: "deleted goes to harden", at: "deleting", event: KeyDeleted{At: t0.Add(3 * time.Hour)}, wantStep: StepHarden, wantEffects: []string{"CheckHardening"}},

		// Harden and close.
		{name: "close before checklist refused", at: "harden", event: CloseIncident{}, wantRefusal: "read the hardening checklist"},
		{name: "recheck while reading refused", at: "harden", event: RecheckHardening{}, wantRefusal: "being read"},
		{name: "recheck", at: "checked", event: RecheckHardening{}, wantStep: StepHarden, wantEffects: []string{"CheckHardening"}},
		{name: "close", at: "checked", event: CloseIncident{Note: "done"}, wantStep: StepClosed},
		{name: "nothing after closed", at: "closed", event: Abort{Reason: "x"}, wantRefusal: "incident is closed"},

		// Anywhere.
		{name: "abort needs a reason", at: "investigated", event: Abort{Reason: " "}, wantRefusal: "say why"},
		{name: "abort from investigate", at: "investigated", event: Abort{Reason: "false alarm: key was a canary"}, wantStep: StepAborted},
		{name: "abort from intake", at: "intake", event: Abort{Reason: "wrong account"}, wantStep: StepAborted},
		{name: "retry with nothing failed refused", at: "investigated", event: Retry{}, wantRefusal: "nothing to retry"},
		{name: "unasked failure refused", at: "investigated", event: EffectFailed{Effect: "DeleteKey"}, wantRefusal: "was not running"},
		{name: "result in the wrong step refused", at: "deactivate", event: KeyDeleted{At: t0}, wantRefusal: "no DeleteKey was asked for"},
	}
	runTransitions(t, tests)
}

func TestRetryRunsTheFailedEffectAgain(t *testing.T) {
	m := machineAt(t, "deactivating")
	if _, err := m.Apply(EffectFailed{Effect: "DeactivateKey", Code: "AccessDenied", Action: "iam:UpdateAccessKey", Message: "not authorized"}); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Effects.LastError == nil || st.Effects.LastError.Action != "iam:UpdateAccessKey" {
		t.Fatalf("last error = %+v, want the denied action", st.Effects.LastError)
	}
	if st.Intake.Key.Status != KeyActive {
		t.Fatalf("a failed deactivation must not mark the key inactive, got %s", st.Intake.Key.Status)
	}
	effects, err := m.Apply(Retry{})
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 1 {
		t.Fatalf("retry effects = %v", effectNames(effects))
	}
	d, ok := effects[0].(DeactivateKey)
	if !ok || d.KeyID != testKey || !d.Root {
		t.Fatalf("retry effect = %#v, want DeactivateKey of the root key %s", effects[0], testKey)
	}
}

func TestRollBackReturnsToProposeWithLessons(t *testing.T) {
	m := machineAt(t, "watching")
	if _, err := m.Apply(WatchObserved{At: t0.Add(time.Hour + 5*time.Minute), Unhealthy: []string{"cron"}, Denied: []DeniedCall{{Principal: "keyrunbook-cron", Action: "s3:PutObject"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(RequestReactivate{Reason: "nightly backup broke"}); err != nil {
		t.Fatal(err)
	}
	// The poll asked for before the roll-back may still answer; it must not
	// be taken for the new watch.
	if _, err := m.Apply(KeyReactivated{At: t0.Add(time.Hour + 6*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Step != StepPropose || st.Intake.Key.Status != KeyActive || st.Contain.Rollbacks != 1 {
		t.Fatalf("after roll-back: step %s status %s rollbacks %d", st.Step, st.Intake.Key.Status, st.Contain.Rollbacks)
	}
	if len(st.Contain.Lessons) != 1 || !strings.Contains(st.Contain.Lessons[0], "keyrunbook-cron denied s3:PutObject") {
		t.Fatalf("lessons = %q", st.Contain.Lessons)
	}
	if _, err := m.Apply(WatchObserved{At: t0.Add(2 * time.Hour)}); err == nil {
		t.Fatal("a stale watch reading after roll-back was accepted")
	}
	// Applied replacements stay applied: proposing again must not recreate them.
	if _, err := m.Apply(ApplyProposals{}); err != nil {
		t.Fatal(err)
	}
	if len(m.State().Effects.Pending) != 0 {
		t.Fatalf("re-applying after roll-back recreated %v", m.State().Effects.Pending)
	}
}

func TestDeleteNeedsAQuietFullWindowAfterKeyUse(t *testing.T) {
	m := machineAt(t, "watching")
	if _, err := m.Apply(WatchObserved{At: t0.Add(2 * time.Hour), KeyUses: 2}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Apply(ConfirmDelete{Typed: "MPLE"})
	if err == nil || !strings.Contains(err.Error(), "2 use(s) of the key") {
		t.Fatalf("delete after key use: %v", err)
	}
	if _, err := m.Apply(RestartWatch{}); err != nil {
		t.Fatal(err)
	}
	// The restart begins at the last reading; a quiet full window follows.
	if _, err := m.Apply(WatchObserved{At: t0.Add(2*time.Hour + 10*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if m.Step() != StepWatch {
		t.Fatalf("10 quiet minutes passed the window: step %s", m.Step())
	}
	if _, err := m.Apply(WatchObserved{At: t0.Add(2*time.Hour + DefaultWatchWindow)}); err != nil {
		t.Fatal(err)
	}
	if m.Step() != StepDelete {
		t.Fatalf("a quiet full window after restart: step %s", m.Step())
	}
}

func TestNotOursMakesTheCallerSuspicious(t *testing.T) {
	m := machineAt(t, "proposed")
	if _, err := m.Apply(DecideProposal{CallerID: "c-cron", Decision: DecisionNotOurs}); err != nil {
		t.Fatal(err)
	}
	c, _ := m.State().Investigate.Investigation.Caller("c-cron")
	if c.Label != LabelSuspicious {
		t.Fatalf("label = %s, want suspicious", c.Label)
	}
}

func TestParseKeyIDDoesNotEchoASecret(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	_, err := ParseKeyID(secret)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v echoes the pasted secret", err)
	}
}

// watchPassed ends the watch window quietly: the Delete step opens and
// reads the key again.
func watchPassed(m *Machine) {
	applyOrPanic(m, WatchObserved{At: t0.Add(time.Hour + DefaultWatchWindow)})
}

func applyOrPanic(m *Machine, ev Event) {
	if _, err := m.Apply(ev); err != nil {
		panic(err)
	}
}
