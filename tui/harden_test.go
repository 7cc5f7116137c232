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

// What a failing check read is the evidence for its fix: at 80 columns a
// long "unknown, because …" wraps under its title instead of being cut.
func TestHardenShowsAFailingChecksWholeState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.x.unreadCheck = "unknown, because cloudwatch:DescribeAlarms in us-east-1 was denied (AccessDenied)"
	h.toHarden()
	var pane []string // the step's pane, right of the step list
	for _, line := range strings.Split(h.screen(), "\n") {
		if _, right, ok := strings.Cut(line, "│"); ok {
			pane = append(pane, right)
		}
	}
	screen := strings.Join(strings.Fields(strings.Join(pane, " ")), " ")
	for _, want := range []string{"✗ A billing alarm exists", "unknown, because cloudwatch:DescribeAlarms in us-east-1 was denied (AccessDenied)"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the checklist at 80×24 lacks %q:\n%s", want, h.screen())
		}
	}
}
