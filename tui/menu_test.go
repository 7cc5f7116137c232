package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func menuItems() []MenuItem {
	return []MenuItem{
		{Name: "iam-user-lambda-ci", Brief: "IAM user key shared by a Lambda function and a CI pipeline"},
		{Name: "root-key-ec2-onprem", Brief: "A root key used by an EC2 instance and a server on premises"},
		{Name: "attacker-only", Brief: "A key nobody legitimate uses any more"},
	}
}

func sendMenu(m MenuModel, msgs ...tea.Msg) (MenuModel, bool) {
	quit := false
	for _, msg := range msgs {
		next, cmd := m.Update(msg)
		m = next.(MenuModel)
		quit = quit || quits(cmd)
	}
	return m, quit
}

// quits reports whether cmd, or a command it batches, quits.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if quits(c) {
				return true
			}
		}
	}
	return false
}

func TestMenuPicksAScenario(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keys     []tea.Msg
		want     string
		wantQuit bool
	}{
		{"first", []tea.Msg{keyMsg("enter")}, "iam-user-lambda-ci", true},
		{"second", []tea.Msg{keyMsg("down"), keyMsg("enter")}, "root-key-ec2-onprem", true},
		{"leave without picking", []tea.Msg{keyMsg("q")}, "", true},
		{"just browsing", []tea.Msg{keyMsg("down"), keyMsg("down")}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, quit := sendMenu(NewMenu(menuItems()), append([]tea.Msg{tea.WindowSizeMsg{Width: 80, Height: 24}}, tt.keys...)...)
			got, ok := m.Chosen()
			if got != tt.want || ok != (tt.want != "") || quit != tt.wantQuit {
				t.Errorf("Chosen() = %q, %v; quit %v; want %q, quit %v", got, ok, quit, tt.want, tt.wantQuit)
			}
		})
	}
}

func TestMenuShowsEachBrief(t *testing.T) {
	t.Parallel()
	m := NewMenu(menuItems())
	v := m.View()
	if !v.AltScreen {
		t.Error("the menu does not use the alternate screen")
	}
	screen := ansi.Strip(v.Content)
	for _, it := range menuItems() {
		if !strings.Contains(screen, it.Name) || !strings.Contains(screen, it.Brief) {
			t.Errorf("the menu lacks %s and its brief:\n%s", it.Name, screen)
		}
	}
	if !strings.Contains(screen, "TRAINING") {
		t.Error("the menu does not say it is training")
	}
}

// The list cuts a long brief to one line; the selected scenario's whole
// brief is shown under it.
func TestMenuShowsTheWholeBrief(t *testing.T) {
	t.Parallel()
	long := "The key minted sessions before anyone noticed: the attacker holds temporary credentials, never its secret key, and they outlive the key."
	m, _ := sendMenu(NewMenu([]MenuItem{{Name: "minted-session", Brief: long}}), tea.WindowSizeMsg{Width: 80, Height: 24})
	screen := ansi.Strip(m.View().Content)
	flat := strings.Join(strings.Fields(screen), " ")
	if !strings.Contains(flat, long) {
		t.Fatalf("the whole brief is not on screen:\n%s", screen)
	}
	if n := len(strings.Split(screen, "\n")); n > 24 {
		t.Fatalf("the menu takes %d lines at 80×24", n)
	}
}
