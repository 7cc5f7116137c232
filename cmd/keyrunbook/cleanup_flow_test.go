package main

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
	"github.com/keyrunbook/keyrunbook/tui/tuitest"
)

// The attacker-only drill in the real TUI against the simulated account at
// 80×24: with no legitimate caller there is nothing to create, so Propose
// goes on to Deactivate; there every resource the attacker left is picked
// with one key and removed behind one confirmation, which lists each call
// with the input read from the account.
func TestTUICleansUpAttackerOnlyWithOneConfirmation(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a drill in the TUI")
	}
	d := startDrill(t, "attacker-only")
	m := tui.New(tui.Options{Engine: d.en, Executor: d.tr.exec, LogPath: d.log, KeyID: d.tr.sim.LeakedKeyID(),
		Training: &tui.TrainingInfo{Scenario: d.sc.Name, Brief: d.sc.Brief}, Now: d.tr.sim.Now, Plan: d.tr.exec.Plan})
	rec := tuitest.NewRecorder(m)
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(80, 24))
	screen := rec.Screen
	waitFor := func(subs ...string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			s, all := screen(), true
			for _, sub := range subs {
				all = all && strings.Contains(s, sub)
			}
			if all {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q:\n%s", subs, screen())
	}
	press := func(k string) {
		switch k {
		case "enter":
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		default:
			tm.Send(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
		}
	}

	waitFor("Which access key leaked?")
	press("enter")
	waitFor("Owner")
	press("enter")
	waitFor("Investigate ·", "attacker")
	press("enter")
	waitFor("No legitimate caller needs a replacement", "Press enter to go on to deactivation")
	press("enter")
	waitFor("Deactivate · turn the key off", "Attacker's resources")
	press("a")
	waitFor("picked")
	press("c")
	waitFor("Remove what the attacker created", "calls will be made")
	// enter waits until every call is read from the account.
	for deadline := time.Now().Add(60 * time.Second); strings.Contains(screen(), "reading the account") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(screen(), "each one listed") || strings.Contains(screen(), "read from the account as it runs") {
		t.Fatalf("the confirmation does not show the real calls:\n%s", screen())
	}
	press("enter")
	waitFor("cleaned up")
	// The program owns the incident while it runs: the test reads the
	// action log until every clean-up intent has its result, then the
	// final model once the program has quit.
	deadline := time.Now().Add(60 * time.Second)
	for !cleanUpsSettled(t, d.log) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	waitFor("Leave this incident?")
	press("y")
	st := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(tuitest.Recorder).Model.(tui.Model).State()
	if !cleanedAll(st) {
		t.Fatalf("left after one confirmation: %v\n%s", leftOver(st), screen())
	}
	raw, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), `"name":"CleanUp"`); n != 1 {
		t.Errorf("%d CleanUp events, want one confirmation's", n)
	}
}

// cleanUpsSettled reports whether the action log holds a result for every
// clean-up intent, and at least one.
func cleanUpsSettled(t *testing.T, log string) bool {
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	intents, results := 0, 0
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.Contains(line, `"type":"intent"`) && strings.Contains(line, `"name":"CleanUpResource"`):
			intents++
		case strings.Contains(line, `"name":"ResourceCleanedUp"`), strings.Contains(line, `"effect":"CleanUpResource"`):
			results++
		}
	}
	return intents > 0 && results >= intents
}

// cleanedAll reports whether every removable resource of the blast radius
// is cleaned up (temporary credentials cannot be deleted, only revoked).
func cleanedAll(st runbook.State) bool { return len(leftOver(st)) == 0 }

func leftOver(st runbook.State) []string {
	var left []string
	for _, r := range st.Investigate.Investigation.BlastRadius {
		if r.Type == "temporary-credentials" {
			continue
		}
		done := false
		for _, c := range st.Delete.CleanedUp {
			done = done || c.Type == r.Type && c.ID == r.ID && c.Region == r.Region
		}
		if !done {
			left = append(left, r.Type+" "+r.ID)
		}
	}
	return left
}
