package runbook

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// proposedUnproven is the machine right after ProposalsReady, with the
// proofs it asked for still running.
func proposedUnproven(t *testing.T) (*Machine, []ProveProposal) {
	t.Helper()
	m := machineAt(t, "proposing")
	effects, err := m.Apply(ProposalsReady{Proposals: fixtureProposals()})
	if err != nil {
		t.Fatal(err)
	}
	return m, proofsAsked(t, effects)
}

func proofsAsked(t *testing.T, effects []Effect) []ProveProposal {
	t.Helper()
	var out []ProveProposal
	for _, e := range effects {
		if p, ok := e.(ProveProposal); ok {
			out = append(out, p)
		}
	}
	return out
}

func mustApply(t *testing.T, m *Machine, evs ...Event) []Effect {
	t.Helper()
	var effects []Effect
	for _, ev := range evs {
		got, err := m.Apply(ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.EventName(), err)
		}
		effects = append(effects, got...)
	}
	return effects
}

func decideBoth() []Event {
	return []Event{DecideProposal{CallerID: "c-ec2", Decision: DecisionApply}, DecideProposal{CallerID: "c-cron", Decision: DecisionApply}}
}

func TestProposalsReadyAsksAProofPerProposal(t *testing.T) {
	_, asked := proposedUnproven(t)
	if len(asked) != 2 {
		t.Fatalf("asked %d proofs, want 2", len(asked))
	}
	for i, want := range []string{"c-ec2", "c-cron"} {
		p := asked[i]
		if p.Proposal.CallerID != want || p.Seq != i+1 {
			t.Errorf("proof %d: caller %s seq %d", i, p.Proposal.CallerID, p.Seq)
		}
		if len(p.Callers) != 1 || p.Callers[0].ID != want {
			t.Errorf("proof of %s replays callers %v, want only its own", want, callerIDsOf(p.Callers))
		}
		// Attacker and suspicious callers only; the AWS service and the
		// legitimate callers never count as attackers.
		if got := callerIDsOf(p.Attackers); !reflect.DeepEqual(got, []string{"c-evil"}) {
			t.Errorf("proof of %s checks attackers %v, want [c-evil]", want, got)
		}
	}
}

func callerIDsOf(cs []UsageCaller) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestProofTransitions(t *testing.T) {
	passEC2 := ProposalProven{CallerID: "c-ec2", Seq: 1, Allowed: []string{"s3:ListAllMyBuckets"}}
	passCron := ProposalProven{CallerID: "c-cron", Seq: 2, Allowed: []string{"s3:ListAllMyBuckets"}}
	denyCron := ProposalProven{CallerID: "c-cron", Seq: 2, Denied: []string{"s3:PutObject on arn:aws:s3:::backups/*"}}
	leakCron := ProposalProven{CallerID: "c-cron", Seq: 2, Allowed: []string{"s3:ListAllMyBuckets"}, AttackerAllowed: []string{"s3:ListAllMyBuckets (c-evil)"}}
	errCron := ProposalProven{CallerID: "c-cron", Seq: 2, Error: "Your credentials lack iam:SimulateCustomPolicy (AccessDenied).", Action: "iam:SimulateCustomPolicy", Code: "AccessDenied"}
	tests := []struct {
		name        string
		before      []Event // after ProposalsReady
		event       Event
		wantEffects []string
		wantRefusal string
		wantStatus  ProofStatus // of c-cron's proof, when accepted
	}{
		{name: "a passing proof is recorded", event: passCron, wantStatus: ProofPassed},
		{name: "a proof denying a legitimate call fails", event: denyCron, wantStatus: ProofFailed},
		{name: "a proof allowing an attacker write fails", event: leakCron, wantStatus: ProofFailed},
		{name: "a proof that could not run is an error", event: errCron, wantStatus: ProofError},
		{name: "an unasked proof is refused", event: ProposalProven{CallerID: "c-cron", Seq: 9}, wantRefusal: "none was asked for"},
		{name: "a proof of an older round settles and is dropped", before: []Event{
			EditProposal{Proposal: Proposal{CallerID: "c-cron", Kind: ReplaceIAMUser, Name: "cron2", Policy: okPolicy}},
		}, event: denyCron, wantStatus: ProofRunning},
		{name: "apply while proofs run is refused", before: decideBoth(), event: ApplyProposals{}, wantRefusal: "the proof of c-ec2 is still running"},
		{name: "apply with a failed proof is refused, naming it", before: append(decideBoth(), passEC2, denyCron), event: ApplyProposals{},
			wantRefusal: "c-cron's policy fails its proof (denies 1 legitimate call(s): s3:PutObject on arn:aws:s3:::backups/*)"},
		{name: "apply with an attacker write allowed is refused", before: append(decideBoth(), passEC2, leakCron), event: ApplyProposals{},
			wantRefusal: "allows 1 attacker write(s): s3:ListAllMyBuckets (c-evil)"},
		{name: "apply with an unproven policy is refused", before: append(decideBoth(), passEC2, errCron), event: ApplyProposals{},
			wantRefusal: "c-cron's policy could not be proved"},
		{name: "apply with every proof passed", before: append(decideBoth(), passEC2, passCron), event: ApplyProposals{},
			wantEffects: []string{"ApplyReplacement", "ApplyReplacement"}, wantStatus: ProofPassed},
		{name: "apply with a failed proof overridden", before: append(decideBoth(), passEC2, denyCron,
			OverrideProof{CallerID: "c-cron", Reason: "the backup job moves to a new bucket tonight"}), event: ApplyProposals{},
			wantEffects: []string{"ApplyReplacement", "ApplyReplacement"}, wantStatus: ProofFailed},
		{name: "a failed proof of an exported proposal does not block apply", before: []Event{
			DecideProposal{CallerID: "c-ec2", Decision: DecisionApply}, DecideProposal{CallerID: "c-cron", Decision: DecisionExported}, passEC2, denyCron,
		}, event: ApplyProposals{}, wantEffects: []string{"ApplyReplacement"}, wantStatus: ProofFailed},
		{name: "override needs a reason", before: []Event{denyCron}, event: OverrideProof{CallerID: "c-cron", Reason: "  "}, wantRefusal: "say why"},
		{name: "override of a passed proof is refused", before: []Event{passCron}, event: OverrideProof{CallerID: "c-cron", Reason: "x"}, wantRefusal: "nothing to override"},
		{name: "override of a running proof is refused", event: OverrideProof{CallerID: "c-cron", Reason: "x"}, wantRefusal: "still running"},
		{name: "override of an unknown caller is refused", event: OverrideProof{CallerID: "c-zz", Reason: "x"}, wantRefusal: "no proof of c-zz"},
		{name: "override of an unproven policy", before: []Event{errCron}, event: OverrideProof{CallerID: "c-cron", Reason: "no SimulateCustomPolicy in this account"}, wantStatus: ProofError},
		{name: "an edit proves again", before: []Event{passEC2, passCron},
			event:       EditProposal{Proposal: Proposal{CallerID: "c-cron", Kind: ReplaceIAMUser, Name: "cron2", Policy: okPolicy}},
			wantEffects: []string{"ProveProposal", "ProveProposal"}, wantStatus: ProofRunning},
		{name: "an attacker label proves the rest again", before: []Event{passEC2, passCron},
			event: RelabelCaller{CallerID: "c-cron", Label: LabelAttacker}, wantEffects: []string{"ProveProposal"}},
		{name: "not ours proves the rest again", before: []Event{passEC2, passCron},
			event: DecideProposal{CallerID: "c-ec2", Decision: DecisionNotOurs}, wantEffects: []string{"ProveProposal", "ProveProposal"}, wantStatus: ProofRunning},
		{name: "a legitimate label waits for the new proposal", before: []Event{passEC2, passCron},
			event: RelabelCaller{CallerID: "c-evil", Label: LabelLegitimate}, wantEffects: []string{"ProposeReplacements"}, wantStatus: ProofPassed},
		{name: "retry runs a proof that could not run", before: []Event{errCron}, event: Retry{}, wantEffects: []string{"ProveProposal"}, wantStatus: ProofError},
		{name: "a failed proof effect is an unproven policy", event: EffectFailed{Effect: "ProveProposal", Message: "boom"}, wantStatus: ProofRunning},
		{name: "apply of an export-only kind is refused", before: []Event{
			EditProposal{Proposal: Proposal{CallerID: "c-cron", Kind: ReplaceRolesAnywhere, Name: "cron", Policy: okPolicy}},
		}, event: DecideProposal{CallerID: "c-cron", Decision: DecisionApply}, wantRefusal: "certificate authority"},
		{name: "export of an export-only kind", before: []Event{
			EditProposal{Proposal: Proposal{CallerID: "c-cron", Kind: ReplaceEKSPodIdentity, Name: "cron", Policy: okPolicy}},
		}, event: DecideProposal{CallerID: "c-cron", Decision: DecisionExported}, wantStatus: ProofRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := proposedUnproven(t)
			mustApply(t, m, tt.before...)
			before := m.Clone()
			effects, err := m.Apply(tt.event)
			if tt.wantRefusal != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantRefusal) {
					t.Fatalf("got %v, want refusal containing %q", err, tt.wantRefusal)
				}
				if !reflect.DeepEqual(before, m) {
					t.Fatal("a refusal changed the state")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := effectNames(effects); !reflect.DeepEqual(got, tt.wantEffects) {
				t.Errorf("effects %v, want %v", got, tt.wantEffects)
			}
			if tt.wantStatus != "" {
				p, ok := m.State().ProofOf("c-cron")
				if !ok || p.Status != tt.wantStatus {
					t.Errorf("c-cron's proof %+v, want status %s", p, tt.wantStatus)
				}
			}
		})
	}
}

func TestFailedProofEffectBlocksApplyAndSaysWhy(t *testing.T) {
	m, _ := proposedUnproven(t)
	mustApply(t, m, decideBoth()...)
	mustApply(t, m, EffectFailed{Effect: "ProveProposal", Message: "throttled"}) // the first in flight: c-ec2's
	mustApply(t, m, ProposalProven{CallerID: "c-cron", Seq: 2})
	if p, _ := m.State().ProofOf("c-ec2"); p.Status != ProofError || p.Error != "throttled" {
		t.Fatalf("c-ec2's proof %+v", p)
	}
	if _, err := m.Apply(ApplyProposals{}); err == nil || !strings.Contains(err.Error(), "c-ec2's policy could not be proved (throttled)") {
		t.Fatalf("apply: %v", err)
	}
	asked := proofsAsked(t, mustApply(t, m, Retry{}))
	if len(asked) != 1 || asked[0].Proposal.CallerID != "c-ec2" {
		t.Fatalf("retry asked %+v", asked)
	}
}

// TestOverrideLastsOneRound: an override is of the proof the responder
// read; an edit asks a new proof, and the override no longer counts.
func TestOverrideLastsOneRound(t *testing.T) {
	m, _ := proposedUnproven(t)
	mustApply(t, m, ProposalProven{CallerID: "c-ec2", Seq: 1}, ProposalProven{CallerID: "c-cron", Seq: 2, Denied: []string{"s3:PutObject"}},
		OverrideProof{CallerID: "c-cron", Reason: "known gap"})
	if p, _ := m.State().ProofOf("c-cron"); !p.Settled() || p.Override != "known gap" {
		t.Fatalf("override not recorded: %+v", p)
	}
	mustApply(t, m, EditProposal{Proposal: Proposal{CallerID: "c-ec2", Kind: ReplaceInstanceRole, Name: "web", Policy: okPolicy}})
	if p, _ := m.State().ProofOf("c-cron"); p.Settled() || p.Override != "" || p.Status != ProofRunning {
		t.Fatalf("after an edit the override still counts: %+v", p)
	}
}

// TestAttackerLabelsNeverFeedAPolicy is item 3's property at the machine:
// a caller relabelled attacker loses its proposal, is no longer replayed as
// legitimate by any proof, and its writes are checked as the attacker's.
func TestAttackerLabelsNeverFeedAPolicy(t *testing.T) {
	for _, label := range []Label{LabelAttacker, LabelSuspicious, LabelUnknown} {
		t.Run(string(label), func(t *testing.T) {
			m, _ := proposedUnproven(t)
			asked := proofsAsked(t, mustApply(t, m, RelabelCaller{CallerID: "c-cron", Label: label}))
			if m.proposalIndex("c-cron") >= 0 {
				t.Fatalf("a caller labelled %s kept its proposal", label)
			}
			if len(asked) != 1 || asked[0].Proposal.CallerID != "c-ec2" {
				t.Fatalf("proofs asked %+v", asked)
			}
			if ids := callerIDsOf(asked[0].Callers); !reflect.DeepEqual(ids, []string{"c-ec2"}) {
				t.Fatalf("c-ec2's proof replays %v as legitimate", ids)
			}
			attackers := callerIDsOf(asked[0].Attackers)
			wantAttacker := label != LabelUnknown
			if got := strings.Contains(strings.Join(attackers, ","), "c-cron"); got != wantAttacker {
				t.Fatalf("attackers %v: c-cron among them %v, want %v", attackers, got, wantAttacker)
			}
		})
	}
}

// TestProofReplaysEveryCallerOfASharedIdentity: two callers on one target
// share the identity's name, so each proof replays both.
func TestProofReplaysEveryCallerOfASharedIdentity(t *testing.T) {
	m := machineAt(t, "proposing")
	ps := fixtureProposals()
	ps[1].Kind, ps[1].Name, ps[1].Target = ps[0].Kind, ps[0].Name, ps[0].Target
	asked := proofsAsked(t, mustApply(t, m, ProposalsReady{Proposals: ps}))
	for _, p := range asked {
		if ids := callerIDsOf(p.Callers); !reflect.DeepEqual(ids, []string{"c-ec2", "c-cron"}) {
			t.Errorf("proof of %s replays %v", p.Proposal.CallerID, ids)
		}
	}
}

func TestProofEventsReplayFromTheLog(t *testing.T) {
	for _, ev := range []Event{
		ProposalProven{CallerID: "c-1", Seq: 3, Allowed: []string{"a"}, Denied: []string{"b"}, AttackerAllowed: []string{"c"}, Error: "e"},
		OverrideProof{CallerID: "c-1", Reason: "r"},
	} {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeEvent(ev.EventName(), data)
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Fatalf("%s: got %+v, %v", ev.EventName(), got, err)
		}
		if describe(Record{Type: RecordResult, Name: ev.EventName(), Data: data}) == "" {
			t.Errorf("%s has no timeline sentence", ev.EventName())
		}
	}
	if !IsResult(ProposalProven{}) || IsResult(OverrideProof{}) {
		t.Error("ProposalProven answers an effect; OverrideProof is the responder's")
	}
}

func TestSwitchKindCyclesTheWaysToServeACaller(t *testing.T) {
	host := UsageCaller{ID: "c-1", SourceIP: "10.2.3.4"}
	tests := []struct {
		from       Proposal
		wantKind   ReplacementKind
		wantTarget string
		wantOK     bool
	}{
		{Proposal{Kind: ReplaceIAMUser, Target: "10.2.3.4"}, ReplaceRolesAnywhere, "10.2.3.4", true},
		{Proposal{Kind: ReplaceRolesAnywhere, Target: "10.2.3.4"}, ReplaceOIDCRole, OIDCSubjectPlaceholder, true},
		{Proposal{Kind: ReplaceOIDCRole, Target: "repo:acme/app:*"}, ReplaceIAMUser, "10.2.3.4", true},
		{Proposal{Kind: ReplaceEKSPodIdentity, Target: "prod/<namespace>/<service-account>"}, ReplaceEKSIRSA, "prod/<namespace>/<service-account>", true},
		{Proposal{Kind: ReplaceEKSIRSA, Target: "prod/web/api"}, ReplaceEKSPodIdentity, "prod/web/api", true},
		{Proposal{Kind: ReplaceInstanceRole, Target: "i-0abc"}, ReplaceInstanceRole, "i-0abc", false},
	}
	for _, tt := range tests {
		got, ok := SwitchKind(tt.from, host)
		if ok != tt.wantOK || got.Kind != tt.wantKind || got.Target != tt.wantTarget {
			t.Errorf("%s: got %s %q %v, want %s %q %v", tt.from.Kind, got.Kind, got.Target, ok, tt.wantKind, tt.wantTarget, tt.wantOK)
		}
		if !got.Kind.Valid() {
			t.Errorf("%s is not a valid kind", got.Kind)
		}
	}
	for _, k := range []ReplacementKind{ReplaceInstanceRole, ReplaceLambdaRole, ReplaceECSTaskRole, ReplaceIAMUser, ReplaceOIDCRole} {
		if k.ExportOnly() {
			t.Errorf("%s is export-only, but keyrunbook creates it", k)
		}
	}
	for _, k := range []ReplacementKind{ReplaceEKSPodIdentity, ReplaceEKSIRSA, ReplaceRolesAnywhere} {
		if !k.ExportOnly() {
			t.Errorf("%s should be export-only", k)
		}
	}
}

func TestProofSummary(t *testing.T) {
	tests := []struct {
		p    Proof
		want string
	}{
		{Proof{Status: ProofRunning}, "running"},
		{Proof{Status: ProofPassed, Allowed: []string{"a", "b"}, AttackerDenied: []string{"c"}}, "passed: 2 legitimate call(s) allowed, 1 attacker write(s) denied"},
		{Proof{Status: ProofFailed, Denied: []string{"s3:PutObject"}, Override: "known"}, "failed: denies 1 legitimate call(s): s3:PutObject; applied anyway, override: known"},
		{Proof{Status: ProofError, Error: "no permission"}, "could not run: no permission"},
	}
	for _, tt := range tests {
		if got := tt.p.Summary(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}
