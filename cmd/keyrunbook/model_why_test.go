package main

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The narration names the key's owner once, in a sentence a learner reads
// aloud: a root key's owner is the root user of the account it names.
func TestIdentifyWhyNamesTheOwner(t *testing.T) {
	for _, tt := range []struct {
		name string
		key  runbook.KeyFacts
		want string
	}{
		{"root", runbook.KeyFacts{Root: true, Account: "410000000101"}, "The key belongs to the root user in account 410000000101,"},
		{"IAM user", runbook.KeyFacts{User: "svc-ci", Account: "265839104772"}, "The key belongs to IAM user svc-ci in account 265839104772,"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := identifyWhy(runbook.State{Intake: runbook.IntakeState{Key: tt.key}})
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("identifyWhy = %q, want it to start %q", got, tt.want)
			}
		})
	}
}
