package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Issue 15, point 9: the Delete screen asserted "✓ the key is Inactive"
// from what the machine remembered of the deactivation. It now reads the
// key again in IAM as it opens, and asserts only what that read says.

// TestDeleteScreenRereadsTheKey: someone turned the key back on during the
// watch; the screen says so on opening, before any deletion is tried, and
// the machine refuses the deletion.
func TestDeleteScreenRereadsTheKey(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.keyStatus = runbook.KeyActive // reactivated out of band
	h.toDelete()
	h.wantScreen("✗ the key reads Active in IAM at", "roll back (R) and deactivate again")
	if strings.Contains(h.screen(), "✓ IAM reads the key Inactive") || strings.Contains(h.screen(), "✓ the key is Inactive") {
		t.Fatalf("the screen asserts the key is inactive:\n%s", h.screen())
	}
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepDelete)
	if strings.Contains(strings.Join(h.x.effectsRun(), ","), "DeleteKey") {
		t.Error("the deletion of a key that reads Active was sent")
	}
}

// TestDeleteScreenKeyUnknownWhileTheReadFails: the read fails (IAM denied
// it); the screen says unknown and why, never a status, and r reads again.
func TestDeleteScreenKeyUnknownWhileTheReadFails(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "ReadKeyStatus"
	h.toDelete()
	h.wantScreen("? the key's status: unknown, because")
	if s := h.screen(); strings.Contains(s, "✓ IAM reads the key") || strings.Contains(s, "✓ the key is Inactive") {
		t.Fatalf("a failed read is shown as a status:\n%s", s)
	}
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	if strings.Contains(strings.Join(h.x.effectsRun(), ","), "DeleteKey") {
		t.Fatal("the deletion was sent while the key's status was unknown")
	}
	h.press("esc", "r")
	h.wantScreen("✓ IAM reads the key Inactive at")
}

// TestDeleteScreenAssertsNothingWhileReading: until the read answers, the
// screen says it is reading, not a status.
func TestDeleteScreenAssertsNothingWhileReading(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.hold["ReadKeyStatus"] = true
	h.toDelete()
	h.wantScreen("the key's status: reading it again in IAM")
	if s := h.screen(); strings.Contains(s, "✓ IAM reads the key") || strings.Contains(s, "✓ the key is Inactive") {
		t.Fatalf("a status is asserted before it was read:\n%s", s)
	}
	h.release("ReadKeyStatus")
	h.wantScreen("✓ IAM reads the key Inactive at")
}

// TestDeleteScreenRereadsOnResume: an incident resumed at the Delete step
// reads the key again as the screen opens; what the log remembered of it
// is not asserted.
func TestDeleteScreenRereadsOnResume(t *testing.T) {
	h := newHarness(t, runbook.ModeLive)
	h.toDelete()
	h.wantScreen("✓ IAM reads the key Inactive at")
	// The program ends; meanwhile someone turns the key back on.
	h.x.keyStatus = runbook.KeyActive
	o := Options{Engine: h.m.engine, Executor: h.x, LogPath: h.path, Now: fixedNow, Plan: h.x.plan}
	m := New(o)
	m.animate = false
	h.m = m
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.wantStep(runbook.StepDelete)
	h.wantScreen("✗ the key reads Active in IAM at")
	if n := strings.Count(strings.Join(h.x.effectsRun(), ","), "ReadKeyStatus"); n != 2 {
		t.Errorf("ReadKeyStatus ran %d times, want 2 (the step opening, then the resume)", n)
	}
}
