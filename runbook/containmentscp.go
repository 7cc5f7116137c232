package runbook

import (
	"slices"
	"time"
)

// A member account's root key is contained with a service control policy
// (ContainedBySCP), attached from the management account. Deleting the key
// leaves the SCP attached: the root user of the account stays denied
// everything outside an sts:AssumeRoot session. The hardening checklist
// names it (CheckContainmentSCP), and the responder may remove it there
// like any change: confirmed, journaled, rehearsed in dry-run.

// CheckContainmentSCP is the ID of the checklist item that reads whether
// the SCP keyrunbook attached to contain a member's root key is still
// there.
const CheckContainmentSCP = "containment-scp"

// ReleaseContainmentSCP is the responder asking, at the hardening
// checklist, to detach and delete the SCP that contained the root key.
type ReleaseContainmentSCP struct{}

// RemoveContainmentSCP detaches the containment SCP from the key's member
// account and deletes it, from the management account.
type RemoveContainmentSCP struct {
	KeyID   string `json:"keyId"`
	Account string `json:"account"`
}

// ContainmentSCPRemoved answers RemoveContainmentSCP: the SCP named Policy
// is detached and deleted (or, DryRun, would be).
type ContainmentSCPRemoved struct {
	Policy string    `json:"policy,omitempty"`
	At     time.Time `json:"at"`
	DryRun bool      `json:"dryRun,omitempty"`
}

// EventName implements Event.
func (ReleaseContainmentSCP) EventName() string { return "ReleaseContainmentSCP" }

// EventName implements Event.
func (ContainmentSCPRemoved) EventName() string { return "ContainmentSCPRemoved" }

// EffectName implements Effect.
func (RemoveContainmentSCP) EffectName() string { return "RemoveContainmentSCP" }

// Mutates implements Effect: it changes the organization's policies.
func (RemoveContainmentSCP) Mutates() bool { return true }

// ContainmentSCPOpen reports whether the checklist names a containment SCP
// still there, which the responder may remove.
func (h HardenState) ContainmentSCPOpen() bool {
	return slices.ContainsFunc(h.Checklist, func(it CheckItem) bool { return it.ID == CheckContainmentSCP && !it.OK })
}

func (ReleaseContainmentSCP) sentence() string {
	return "removal of the SCP that contained the root key requested"
}

func (e ContainmentSCPRemoved) sentence() string {
	if e.DryRun {
		return "DRY-RUN: " + e.Policy + " would be detached and deleted (rehearsed at " + stamp(e.At) + ")"
	}
	return e.Policy + " detached and deleted at " + stamp(e.At)
}
