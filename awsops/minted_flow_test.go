package awsops

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 11's "done when", through the engine against minted-session: the
// investigation attributes what the minted credentials did to the leak,
// and the revocation stops them in the simulated account while the
// long-term key's legitimate caller goes on.
func TestMintedSessionIncident(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "minted-session"})
	r.do(runbook.SubmitKey{KeyID: r.sim.LeakedKeyID()})
	now := r.clock.Now()
	r.do(runbook.BeginInvestigation{From: now.Add(-day), To: now})
	st := r.state()
	if st.Investigate.Investigation == nil || len(st.Investigate.Investigation.Minted) != 3 {
		t.Fatalf("minted: %+v (last error %+v)", st.Investigate.Investigation, st.Effects.LastError)
	}
	blastIn(t, st.Investigate.Investigation, "iam-user", "build-cache-svc") // made with the role session
	blastIn(t, st.Investigate.Investigation, "access-key", "")

	r.do(runbook.BeginProposals{})
	for _, p := range r.state().Propose.Proposals {
		r.do(runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionExported})
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.RevokeSessions{})
	rv := r.state().Contain.Revocation
	if rv == nil || !slices.ContainsFunc(rv.Targets, func(x runbook.RevocationTarget) bool { return x.Kind == "role" && x.Name == "release-admin" }) ||
		!slices.ContainsFunc(rv.Targets, func(x runbook.RevocationTarget) bool { return x.Kind == "user" && x.Name == "svc-imagebuild" }) {
		t.Fatalf("revocation %+v (last error %+v)", rv, r.state().Effects.LastError)
	}
	if log := readLog(t, r.log); !strings.Contains(log, `"operation":"PutRolePolicy"`) || !strings.Contains(log, `"operation":"PutUserPolicy"`) {
		t.Error("the revocation's calls are not in the action log")
	}
	r.sim.Advance(30 * time.Minute)
	for _, h := range r.sim.Health() {
		switch h.Workload {
		case "intruder-session":
			if h.Healthy || !strings.Contains(h.LastError, "explicit deny") {
				t.Errorf("the session token still works after the revocation: %+v", h)
			}
		case "build-runner":
			if !h.Healthy {
				t.Errorf("the runner on the long-term key broke: %+v", h)
			}
		}
	}
}

// A responder signed in with a credential the leaked key minted is refused
// every change once the investigation shows where the credential came from.
func TestResponderWithAMintedKeyIsRefused(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "minted-session"})
	id, secret := keyOf(t, r.sim, "stolen-admin"), secretOf(t, r, "stolen-admin")
	x := NewExecutor(clientsFor(t, r.url, id, secret).Config, ExecutorOptions{Clock: r.clock, PollInterval: 5 * time.Minute})
	x.clients.SweepRate = 1000
	r.x = x
	r.do(runbook.SubmitKey{KeyID: r.sim.LeakedKeyID()})
	if c := r.state().Intake.Caller; c.AccessKeyID != id || c.Account != mintedAccount {
		t.Fatalf("caller %+v", c)
	}
	now := r.clock.Now()
	r.do(runbook.BeginInvestigation{From: now.Add(-day), To: now})
	r.do(runbook.BeginProposals{})
	for _, p := range r.state().Propose.Proposals {
		r.do(runbook.DecideProposal{CallerID: p.CallerID, Decision: runbook.DecisionExported})
	}
	r.do(runbook.ApplyProposals{})
	r.do(runbook.ProceedToDeactivate{})
	for _, ev := range []runbook.Event{
		runbook.ConfirmDeactivate{},
		runbook.CleanUp{Resource: blastIn(t, r.state().Investigate.Investigation, "iam-user", "build-cache-svc")},
		runbook.RevokeSessions{},
	} {
		_, err := r.en.Submit(ev)
		var refusal *runbook.Refusal
		if !errors.As(err, &refusal) || !strings.Contains(refusal.Reason, "temporary credential the leaked key minted") {
			t.Errorf("%s with the attacker's role session: %v", ev.EventName(), err)
		}
	}
	if slices.ContainsFunc(r.sim.Requests(), func(q sim.RequestRecord) bool { return q.Mutating && q.AccessKeyID == id }) {
		t.Error("a change was sent with the minted key")
	}
}
