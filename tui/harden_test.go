package tui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// After a member's root key is deleted, the checklist names the SCP that
// contained it, still attached; x shows its removal's calls and, once
// confirmed, the item reads removed.
func TestHardenRemovesTheContainmentSCP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.x.scpAttached = true
	h.toHarden()
	h.wantScreen("SCP keyrunbook-deny-root-"+testAccount, "attached to account "+testAccount, "x detaches and deletes it")
	h.press("x")
	h.wantScreen("Remove the SCP that contained the root key", `organizations DetachPolicy {"PolicyId": "p-scp",`, `"TargetId": "`+testAccount+`"}`, `organizations DeletePolicy {"PolicyId": "p-scp"}`)
	if slices.Contains(h.x.effectsRun(), "RemoveContainmentSCP") {
		t.Fatal("the SCP was removed before the responder confirmed")
	}
	h.press("enter")
	h.wantScreen("✓ The SCP that contained the root key is removed", "detached from account", testAccount+" and deleted at")
	if !slices.Contains(h.x.effectsRun(), "RemoveContainmentSCP") {
		t.Fatalf("effects %v", h.x.effectsRun())
	}
	if strings.Contains(h.screen(), "x detaches") {
		t.Fatalf("the removed SCP is still offered:\n%s", h.screen())
	}
}
