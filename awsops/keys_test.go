package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// runEffect runs one effect and returns its result and the calls it noted.
func runEffect(t *testing.T, x *Executor, e runbook.Effect) (runbook.Event, []runbook.APICall) {
	t.Helper()
	var calls []runbook.APICall
	ev := x.Run(context.Background(), e, func(ev runbook.Event) {
		if c, ok := ev.(runbook.APICall); ok {
			calls = append(calls, c)
		}
	})
	return ev, calls
}

// executorFor builds an executor on the rig's responder, identified for
// keyID, with opts (the rig's clock when opts has none).
func (r *containRig) executorFor(t *testing.T, keyID string, opts ExecutorOptions) *Executor {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = r.clock
	}
	x := NewExecutor(r.x.cfg, opts)
	x.clients.SweepRate = 1000
	if ev, _ := runEffect(t, x, runbook.IdentifyKey{KeyID: keyID}); ev.EventName() != "KeyIdentified" {
		t.Fatalf("identify: %+v", ev)
	}
	return x
}

func mutations(r *containRig) int {
	n := 0
	for _, req := range r.sim.Requests() {
		if req.Mutating {
			n++
		}
	}
	return n
}

func operations(calls []runbook.APICall) string {
	var ops []string
	for _, c := range calls {
		ops = append(ops, c.Operation)
	}
	return strings.Join(ops, ",")
}

func TestUserKeyDeactivateReactivateDelete(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	keyID := r.sim.LeakedKeyID()
	x := r.executorFor(t, keyID, ExecutorOptions{})
	target := runbook.KeyTarget{KeyID: keyID, User: "legacy-deployer"}
	steps := []struct {
		effect runbook.Effect
		result string
		status runbook.KeyStatus
		calls  string // the calls noted, in order
	}{
		{runbook.DeactivateKey{KeyTarget: target}, "KeyDeactivated", runbook.KeyInactive, "UpdateAccessKey,ListAccessKeys"},
		{runbook.ReactivateKey{KeyTarget: target}, "KeyReactivated", runbook.KeyActive, "UpdateAccessKey,ListAccessKeys"},
		{runbook.DeleteKey{KeyTarget: target}, "EffectFailed", runbook.KeyActive, "ListAccessKeys"}, // refused: active
		{runbook.DeactivateKey{KeyTarget: target}, "KeyDeactivated", runbook.KeyInactive, "UpdateAccessKey,ListAccessKeys"},
		{runbook.DeleteKey{KeyTarget: target}, "KeyDeleted", runbook.KeyGone, "ListAccessKeys,DeleteAccessKey,ListAccessKeys"},
		{runbook.DeleteKey{KeyTarget: target}, "KeyDeleted", runbook.KeyGone, "ListAccessKeys"}, // a retry finds it gone
	}
	for i, s := range steps {
		ev, calls := runEffect(t, x, s.effect)
		if ev.EventName() != s.result {
			t.Fatalf("step %d %s: want %s, got %+v", i, s.effect.EffectName(), s.result, ev)
		}
		if got := r.keyStatus(t, "legacy-deployer", keyID); got != s.status {
			t.Fatalf("step %d %s: key reads %s, want %s", i, s.effect.EffectName(), got, s.status)
		}
		if got := operations(calls); got != s.calls {
			t.Errorf("step %d %s: calls %s, want %s", i, s.effect.EffectName(), got, s.calls)
		}
	}
}

func TestKeyOperationsRefuseWhatTheyCannotDoExactly(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	keyID := r.sim.LeakedKeyID()
	x := r.executorFor(t, keyID, ExecutorOptions{})
	tests := []struct {
		name   string
		effect runbook.Effect
		says   string
	}{
		{"owner unknown", runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: keyID}}, "owner of key"},
		{"wrong owner", runbook.DeactivateKey{KeyTarget: runbook.KeyTarget{KeyID: keyID, User: "metrics-push"}}, "IAM has no key"},
		{"no such user", runbook.ReactivateKey{KeyTarget: runbook.KeyTarget{KeyID: keyID, User: "nobody"}}, "IAM has no key"},
		{"delete while active", runbook.DeleteKey{KeyTarget: runbook.KeyTarget{KeyID: keyID, User: "legacy-deployer"}}, "not Inactive"},
		{"delete owner unknown", runbook.DeleteKey{KeyTarget: runbook.KeyTarget{KeyID: keyID}}, "owner of key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mutations(r)
			ev, _ := runEffect(t, x, tt.effect)
			f, ok := ev.(runbook.EffectFailed)
			if !ok || !strings.Contains(f.Message, tt.says) || f.Effect != tt.effect.EffectName() {
				t.Fatalf("want EffectFailed saying %q, got %+v", tt.says, ev)
			}
			if got := r.keyStatus(t, "legacy-deployer", keyID); got != runbook.KeyActive {
				t.Errorf("the key reads %s", got)
			}
			if tt.name != "wrong owner" && tt.name != "no such user" && mutations(r) != before {
				t.Error("a mutating request was sent")
			}
		})
	}
}

// Root keys: path 1 with root's credentials, path 3 by hand then retry,
// and the refusals around them.
func TestRootKeyPaths(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", rootConsole: true})
	keyID := r.sim.LeakedKeyID()
	target := runbook.KeyTarget{KeyID: keyID, Root: true}
	withRoot := r.executorFor(t, keyID, ExecutorOptions{Root: r.x.opts.Root})
	responderCfg := r.x.cfg
	notRoot := r.executorFor(t, keyID, ExecutorOptions{Root: &responderCfg})
	byHand := r.executorFor(t, keyID, ExecutorOptions{})

	ev, _ := runEffect(t, notRoot, runbook.DeactivateKey{KeyTarget: target})
	if f, ok := ev.(runbook.EffectFailed); !ok || !strings.Contains(f.Message, "not the root user") {
		t.Fatalf("a non-root --root-profile was accepted: %+v", ev)
	}
	before := mutations(r)
	ev, _ = runEffect(t, byHand, runbook.DeactivateKey{KeyTarget: target})
	f, ok := ev.(runbook.EffectFailed)
	if !ok || !strings.Contains(f.Message, "sign in to the AWS console as the root user of account 418295730164") ||
		!strings.Contains(f.Message, "Status now: Active") || !strings.Contains(f.Message, "press retry") {
		t.Fatalf("want the manual steps and the status read, got %+v", ev)
	}
	if mutations(r) != before {
		t.Error("the manual path sent a mutating request")
	}

	// The responder makes the key inactive as root (here: with root's key),
	// then retries: the status is read again and the step completes.
	if ev, calls := runEffect(t, withRoot, runbook.DeactivateKey{KeyTarget: target}); ev.EventName() != "KeyDeactivated" {
		t.Fatalf("root path: %+v (calls %s)", ev, operations(calls))
	}
	if got := r.rootKeyStatus(t, keyID); got != runbook.KeyInactive {
		t.Fatalf("root key reads %s", got)
	}
	if ev, _ := runEffect(t, byHand, runbook.DeactivateKey{KeyTarget: target}); ev.EventName() != "KeyDeactivated" {
		t.Fatalf("the retry after doing it by hand did not read the key inactive: %+v", ev)
	}

	// Deletion: by hand it is refused with the steps; with an
	// Organizations admin the sim's missing sts:AssumeRoot is explained.
	withOrg := r.executorFor(t, keyID, ExecutorOptions{OrgAdmin: &responderCfg})
	if ev, _ := runEffect(t, withOrg, runbook.DeleteKey{KeyTarget: target}); !strings.Contains(ev.(runbook.EffectFailed).Message, "assume-root") {
		t.Errorf("AssumeRoot failure does not give the manual commands: %+v", ev)
	}
	if ev, _ := runEffect(t, withRoot, runbook.DeleteKey{KeyTarget: target}); ev.EventName() != "KeyDeleted" {
		t.Fatalf("root delete: %+v", ev)
	}
	if got := r.rootKeyStatus(t, keyID); got != runbook.KeyGone {
		t.Fatalf("root key reads %s after deletion", got)
	}
	if ev, _ := runEffect(t, byHand, runbook.DeleteKey{KeyTarget: target}); ev.EventName() != "KeyDeleted" {
		t.Errorf("a retry after the deletion did not find the key gone: %+v", ev)
	}
}

type otherEffect struct{}

func (otherEffect) EffectName() string { return "OtherEffect" }
func (otherEffect) Mutates() bool      { return false }

// An effect the executor does not know fails as a bug; every effect of
// runbook's registry has its handler in the one dispatch table, and the
// table holds nothing else.
func TestRunDispatchesEveryRegisteredEffect(t *testing.T) {
	x := NewExecutor(aws.Config{Region: "us-east-1"}, ExecutorOptions{})
	if ev, _ := runEffect(t, x, otherEffect{}); !strings.Contains(ev.(runbook.EffectFailed).Message, "bug") {
		t.Fatalf("unknown effect: %+v", ev)
	}
	registered := map[string]bool{}
	for _, e := range runbook.Effects() {
		registered[e.Name] = true
		if handlers[e.Name] == nil {
			t.Errorf("effect %s has no handler in handlers.go", e.Name)
		}
	}
	for name := range handlers {
		if !registered[name] {
			t.Errorf("handlers.go handles %s, which runbook's registry does not know", name)
		}
	}
}
