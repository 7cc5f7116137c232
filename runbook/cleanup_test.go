package runbook

import (
	"slices"
	"testing"
	"time"
)

// A blast radius with a user and what it holds, a minted credential and an
// instance, as the clean-up checklist sees it.
var (
	evilUser   = Resource{Type: "iam-user", ID: "backup-admin", Action: "CreateUser", Time: t0.Add(-time.Hour)}
	evilKey    = Resource{Type: "access-key", ID: "AKIAEVILEVILEVIL2345", Parent: "backup-admin", Action: "CreateAccessKey", Time: t0.Add(-time.Hour)}
	evilPolicy = Resource{Type: "policy", ID: "arn:aws:iam::aws:policy/AdministratorAccess", Parent: "user/backup-admin", Action: "AttachUserPolicy", Time: t0.Add(-time.Hour)}
	evilVM     = Resource{Type: "ec2-instance", ID: "i-0evil", Region: "sa-east-1", Action: "RunInstances", Time: t0.Add(-time.Hour)}
	evilCreds  = Resource{Type: "temporary-credentials", ID: "ASIAEVILEVILEVIL2345", Parent: "arn:aws:iam::111122223333:role/deploy", Action: "AssumeRole", Time: t0.Add(-time.Hour)}
)

func withBlastRadius(m *Machine) {
	inv := *m.s.Investigate.Investigation
	inv.BlastRadius = []Resource{evilUser, evilKey, evilPolicy, evilVM, evilCreds}
	m.s.Investigate.Investigation = &inv
}

func TestCleanUpChecklistTransitions(t *testing.T) {
	cleaned := func(rs ...Resource) func(*Machine) {
		return func(m *Machine) {
			withBlastRadius(m)
			m.s.Delete.CleanedUp = rs
		}
	}
	runTransitions(t, []transition{
		{name: "several picked, one effect each", at: "deactivate", setup: withBlastRadius,
			event: CleanUp{Resources: []Resource{evilUser, evilVM}}, wantStep: StepDeactivate, wantEffects: []string{"CleanUpResource", "CleanUpResource"}},
		{name: "a user's key and policy go with the user, not in effects of their own", at: "deactivate", setup: withBlastRadius,
			event: CleanUp{Resources: []Resource{evilUser, evilKey, evilPolicy, evilVM}}, wantStep: StepDeactivate, wantEffects: []string{"CleanUpResource", "CleanUpResource"}},
		{name: "a picked item already gone is skipped", at: "deactivate", setup: cleaned(evilKey),
			event: CleanUp{Resources: []Resource{evilKey, evilVM}}, wantStep: StepDeactivate, wantEffects: []string{"CleanUpResource"}},
		{name: "everything picked already gone is refused", at: "deactivate", setup: cleaned(evilKey, evilVM),
			event: CleanUp{Resources: []Resource{evilKey, evilVM}}, wantRefusal: "already cleaned up"},
		{name: "nothing picked is refused", at: "deactivate", setup: withBlastRadius,
			event: CleanUp{}, wantRefusal: "pick a resource"},
		{name: "a temporary credential cannot be deleted", at: "watching", setup: withBlastRadius,
			event: CleanUp{Resources: []Resource{evilCreds}}, wantRefusal: "no AWS call deletes it"},
		{name: "one outside the blast radius refuses the lot", at: "watching", setup: withBlastRadius,
			event: CleanUp{Resources: []Resource{evilVM, {Type: "iam-user", ID: "alice"}}}, wantRefusal: "alice is not in the blast radius"},
	})
}

// A user's removal takes its key and policy with it: those the
// investigation knew of show as cleaned up at once; what it did not know
// of is not added.
func TestCleanedUpUserTakesWhatItHeld(t *testing.T) {
	m := machineAt(t, "deactivate")
	withBlastRadius(m)
	if _, err := m.Apply(CleanUp{Resources: []Resource{evilUser}}); err != nil {
		t.Fatal(err)
	}
	unknown := Resource{Type: "access-key", ID: "AKIAOTHEROTHEROTHER2", Parent: "backup-admin"}
	// The account answers without the event details the sweep had.
	key, policy := evilKey, evilPolicy
	key.Action, key.Time, policy.Action, policy.Time = "", time.Time{}, "", time.Time{}
	if _, err := m.Apply(ResourceCleanedUp{Resource: evilUser, With: []Resource{key, policy, unknown}}); err != nil {
		t.Fatal(err)
	}
	got := m.State().Delete.CleanedUp
	for _, want := range []Resource{evilUser, evilKey, evilPolicy} {
		if !slices.Contains(got, want) {
			t.Errorf("%s %s not cleaned up after its user went: %v", want.Type, want.ID, got)
		}
	}
	if slices.ContainsFunc(got, func(r Resource) bool { return r.ID == unknown.ID }) || slices.Contains(got, evilVM) {
		t.Errorf("cleaned up lists what the investigation did not know of or was not removed: %v", got)
	}
}

func TestCredentialRevoked(t *testing.T) {
	revokedAt := t0
	tests := []struct {
		name string
		rev  *Revocation
		r    Resource
		want bool
	}{
		{"no revocation", nil, evilCreds, false},
		{"role denied after it was minted", &Revocation{At: revokedAt, Targets: []RevocationTarget{{Kind: "role", Name: "deploy", ARN: "arn:aws:iam::111122223333:role/deploy"}}}, evilCreds, true},
		{"another role denied", &Revocation{At: revokedAt, Targets: []RevocationTarget{{Kind: "role", Name: "other"}}}, evilCreds, false},
		{"minted after the revocation", &Revocation{At: evilCreds.Time.Add(-time.Minute), Targets: []RevocationTarget{{Kind: "role", Name: "deploy"}}}, evilCreds, false},
		{"session token of the key's user", &Revocation{At: revokedAt, Targets: []RevocationTarget{{Kind: "user", Name: "svc"}}},
			Resource{Type: "temporary-credentials", ID: "ASIASESSIONSESSION22", Time: t0.Add(-time.Hour)}, true},
		{"not a temporary credential", &Revocation{At: revokedAt, Targets: []RevocationTarget{{Kind: "user", Name: "svc"}}}, evilUser, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (State{Contain: ContainState{Revocation: tt.rev}}).CredentialRevoked(tt.r); got != tt.want {
				t.Fatalf("CredentialRevoked = %v, want %v", got, tt.want)
			}
		})
	}
}
