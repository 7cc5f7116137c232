package tui

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestIntakeValidatesAsYouType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		typed string
		want  string
	}{
		{"empty", "", "AKIA followed by 16 characters"},
		{"too short", "AKIAZ7Q3", "has 20 characters, this one has 8"},
		{"lower case", "akiaz7q3examplekey42", "upper case"},
		{"temporary", "ASIAZ7Q3EXAMPLEKEY42", "temporary credential"},
		{"bad characters", "AKIAZ7Q3EXAMPLEKEY01", "only the characters A-Z"},
		{"valid", testKey, "✓ a long-term access key ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runbook.ModeTraining)
			h.typeText(tt.typed)
			h.wantScreen(tt.want)
		})
	}
}

func TestIntakeRefusesInvalidKeyWithoutJournalingIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.typeText("ASIAZ7Q3EXAMPLEKEY42")
	h.press("enter")
	h.wantStep(runbook.StepIntake)
	h.wantScreen("revoke its sessions")
	if log := readLog(t, h.path); strings.Contains(log, "ASIAZ7Q3") {
		t.Errorf("the refused input reached the action log:\n%s", log)
	}
}

// secret is shaped like a secret access key (40 characters of base64).
const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// secretShape finds a run of exactly 40 base64 characters, the shape of a
// secret access key (a longer run, such as a path, is not one).
var secretShape = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`)

func TestIntakeHidesAPastedSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.send(tea.PasteMsg{Content: secret})
	if scr := h.screen(); strings.Contains(scr, secret) || secretShape.MatchString(scr) {
		t.Fatalf("the pasted secret is on screen:\n%s", scr)
	}
	h.wantScreen("looks like a secret access key")
	h.press("enter")
	h.wantStep(runbook.StepIntake)
	if log := readLog(t, h.path); strings.Contains(log, secret[:20]) {
		t.Errorf("the secret reached the action log")
	}
	// Clearing the field shows what is typed again.
	h.press("ctrl+u")
	h.typeText(testKey)
	h.wantScreen(testKey)
}

func TestRendersBeforeAndAfterResize(t *testing.T) {
	t.Parallel()
	en, _ := newEngine(t, runbook.ModeLive)
	m := New(Options{Engine: en, Executor: newScript(), Now: fixedNow})
	// No WindowSizeMsg yet: the layout assumes the 80×24 minimum.
	checkSize(t, ansi.Strip(m.View().Content), 80, 24)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {100, 30}} {
		next, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = next.(Model)
		checkSize(t, ansi.Strip(m.View().Content), size[0], size[1])
	}
	if !m.View().AltScreen {
		t.Error("the view does not ask for the alternate screen")
	}
}

func checkSize(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("%d×%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%d×%d: line %d is %d cells wide: %q", w, h, i, n, l)
		}
	}
}

func TestModeBannerOnEveryStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode   runbook.Mode
		banner string
	}{
		{runbook.ModeLive, "LIVE · changes are real"},
		{runbook.ModeDryRun, "DRY-RUN · nothing is changed"},
		{runbook.ModeTraining, "TRAINING · simulated account"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.mode)
			seen := map[runbook.Step]bool{}
			check := func() {
				h.t.Helper()
				seen[h.step()] = true
				h.wantScreen(tt.banner)
			}
			check()
			h.toIdentified()
			check()
			h.press("enter")
			check()
			h.press("enter", "a", "down", "a", "enter")
			check() // the confirmation too
			h.press("enter", "v")
			check()
			h.press("enter")
			check()
			h.press("enter")
			h.typeText("yes")
			h.press("enter")
			check()
			h.typeText(runbook.LastFour(testKey))
			h.press("enter")
			check()
			h.press("enter")
			check()
			if len(seen) != 9 {
				t.Errorf("saw steps %v, want all but Watch", seen)
			}
		})
	}
}

func TestDeactivateNeedsTypedYes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toDeactivate()
	h.press("enter")
	h.wantScreen("Deactivate the leaked key", `iam UpdateAccessKey {"AccessKeyId":`, `"Status": "Inactive"`, `"UserName": "svc-reporting"}`, "type yes")
	h.press("enter") // Enter alone is not enough.
	h.typeText("no")
	h.press("enter")
	h.wantStep(runbook.StepDeactivate)
	if slices.Contains(h.x.effectsRun(), "DeactivateKey") {
		t.Fatal("deactivated without a typed yes")
	}
	h.press("esc")
	h.wantScreen("Deactivate · turn the key off")
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	if !slices.Contains(h.x.effectsRun(), "DeactivateKey") {
		t.Fatal("a typed yes did not deactivate")
	}
}

func TestApplyShowsEveryCallAndCancels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toProposed()
	h.press("a", "down", "a", "enter")
	h.wantScreen("These 6 calls will be made", "iam CreateRole", "↑/↓ scroll")
	for range 20 {
		h.press("down")
	}
	h.wantScreen(`iam CreateAccessKey {"UserName":`, "the new secret is handed to you once")
	h.press("esc")
	h.wantStep(runbook.StepPropose)
	if slices.Contains(h.x.effectsRun(), "ApplyReplacement") {
		t.Fatal("a cancelled confirmation ran its calls")
	}
}

func TestRefusalShownInPlaceAndOverride(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toProposed()
	h.press("a", "enter", "enter") // c-ci stays undecided
	h.wantStep(runbook.StepReplace)
	h.press("enter")
	h.wantStep(runbook.StepReplace)
	h.wantScreen("cannot deactivate yet", "c-ci is undecided")
	h.press("o")
	h.press("enter") // an empty reason is not one
	h.wantScreen("Deactivate with callers still depending on the key")
	h.typeText("CI is paused until Monday")
	h.press("enter")
	h.wantStep(runbook.StepDeactivate)
	h.wantScreen(`override: "CI is paused until Monday"`)
}

func TestCtrlCAsksBeforeLeavingAnOpenIncident(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toIdentified()
	h.press("ctrl+c")
	h.wantScreen("Leave this incident?", "keyrunbook resume")
	if h.quit {
		t.Fatal("quit without asking")
	}
	h.press("n")
	h.wantStep(runbook.StepIdentify)
	h.press("ctrl+c", "y")
	if !h.quit {
		t.Fatal("did not quit after y")
	}
	if msg := h.m.ExitMessage(); !strings.Contains(msg, "keyrunbook resume "+h.path) || !strings.Contains(msg, "Identify") {
		t.Errorf("exit message %q does not say how to resume", msg)
	}
}

func TestQuitWithoutAskingWhenNothingIsOpen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.press("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c at intake with no key did not quit")
	}

	h = newHarness(t, runbook.ModeTraining)
	h.toHarden()
	h.press("enter")
	h.wantStep(runbook.StepClosed)
	h.press("q")
	if !h.quit {
		t.Fatal("q on the closed incident did not quit")
	}
	if msg := h.m.ExitMessage(); !strings.Contains(msg, "keyrunbook report "+h.path) {
		t.Errorf("exit message %q lacks the report command", msg)
	}
}

func TestAbortFromAnywhereWithAReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toInvestigated()
	h.press("A")
	h.wantScreen("Abort the incident", "Nothing is undone")
	h.press("enter")
	h.wantStep(runbook.StepInvestigate)
	h.typeText("false positive: test key")
	h.press("enter")
	h.wantStep(runbook.StepAborted)
	h.wantScreen("Aborted at Investigate", "false positive: test key", "✗ Investigate", "– Propose", "still active")
}

func TestAbortKeyTypesInTextFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.typeText("AKIA")
	if h.m.prompt.open {
		t.Fatal("typing A in the key field opened the abort prompt")
	}
	h.wantScreen("Key ID › AKIA")
}

func TestFailedEffectShownWithRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.x.failOnce = "DeactivateKey"
	h.toDeactivate()
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepDeactivate)
	h.wantScreen("deactivating the key failed", "lack iam:UpdateAccessKey", "press r to retry")
	h.press("r")
	h.wantScreen("Run the failed change again", "iam UpdateAccessKey")
	h.typeText("yes")
	h.press("enter")
	if n := countOf(h.x.effectsRun(), "DeactivateKey"); n != 2 {
		t.Fatalf("DeactivateKey ran %d times, want 2", n)
	}
	h.wantStep(runbook.StepDelete)
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func TestHintsAreCounted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	h.press("esc") // leave the key field so h is a key, not a letter
	h.press("h")
	h.wantScreen("No hint for this step")
	h.press("i")
	h.toInvestigated()
	h.press("h")
	h.wantScreen("Hint", "appeared only recently")
	h.press("h") // hides
	h.press("h")
	if got := h.m.HintsUsed(); got != 2 {
		t.Errorf("HintsUsed = %d, want 2 (each hint shown counts)", got)
	}
}

func TestAPICallsJournaledAndShown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toIdentified()
	h.wantScreen("last call: sts GetAccessKeyInfo")
	log := readLog(t, h.path)
	if !strings.Contains(log, `"GetCallerIdentity"`) || !strings.Contains(log, `"name":"APICall"`) {
		t.Errorf("the API calls are not in the action log:\n%s", log)
	}
	if !strings.Contains(log, responder) {
		t.Error("the log does not name the actor after identification")
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
