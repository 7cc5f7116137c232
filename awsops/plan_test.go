package awsops

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The plan of a user's clean-up names the user's real key and policy, read
// from the simulated account, sends no mutating call, and is what the
// clean-up then sends.
func TestPlanCleanUpListsTheRealInputs(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	inv := r.sweep("us-east-1")
	user := blastIn(t, inv, "iam-user", "")
	key := blastIn(t, inv, "access-key", "")
	effect := runbook.CleanUpResource{Resource: user}

	before := mutations(r)
	planned, err := r.x.Plan(context.Background(), effect)
	if err != nil {
		t.Fatal(err)
	}
	if mutations(r) != before {
		t.Fatal("planning sent a mutating call")
	}
	var writes []string
	for _, c := range planned {
		if c.WouldCall {
			writes = append(writes, c.Operation+" "+string(c.Input))
		}
	}
	joined := strings.Join(writes, "\n")
	for _, want := range []string{`DeleteAccessKey {"AccessKeyId":"` + key.ID + `"`, `"UserName":"` + user.ID + `"`, "DetachUserPolicy", "DeleteUser"} {
		if !strings.Contains(joined, want) {
			t.Errorf("plan lacks %s:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "each one listed") {
		t.Errorf("plan holds a placeholder:\n%s", joined)
	}

	ev, sent := runEffect(t, r.x, effect)
	done, ok := ev.(runbook.ResourceCleanedUp)
	if !ok {
		t.Fatalf("clean-up: %+v", ev)
	}
	var sentWrites []string
	for _, c := range sent {
		if isMutatingOperation(c.Operation) {
			sentWrites = append(sentWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	var plannedWrites []string
	for _, c := range planned {
		if c.WouldCall {
			plannedWrites = append(plannedWrites, c.Operation+" "+compactJSON(string(c.Input)))
		}
	}
	if strings.Join(sentWrites, "\n") != strings.Join(plannedWrites, "\n") {
		t.Errorf("sent\n%s\nplanned\n%s", strings.Join(sentWrites, "\n"), strings.Join(plannedWrites, "\n"))
	}
	// What went with the user is reported, so its key shows as removed.
	found := false
	for _, w := range done.With {
		if w.Type == "access-key" && w.ID == key.ID {
			found = true
		}
	}
	if !found {
		t.Errorf("the user's removal does not report its key %s: %+v", key.ID, done.With)
	}
}

func TestPlanOtherEffects(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "attacker-only"})
	if _, err := r.x.Plan(context.Background(), runbook.CheckHardening{}); !errors.Is(err, ErrNoPlan) {
		t.Fatalf("err = %v, want ErrNoPlan", err)
	}
}

// isMutatingOperation tells the write calls apart in a live run's notes,
// which carry no would-call mark.
func isMutatingOperation(op string) bool {
	for _, p := range []string{"List", "Get", "Describe"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}
