package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

var orgNow = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

func orgAccounts() []runbook.RootAudit {
	used := runbook.RootKey{ID: "AKIAUSEDUSEDUSEDUSE1", Status: "Active", LastUsedKnown: true,
		LastUsed: orgNow.Add(-2 * time.Hour), Service: "iam", Region: "ap-southeast-1"}
	never := func(id string) runbook.RootKey {
		return runbook.RootKey{ID: id, Status: "Active", LastUsedKnown: true}
	}
	accts := []runbook.RootAudit{
		{Account: "410000000102", Name: "sandbox-7", Source: runbook.SourceAssumeRoot, HasKeys: runbook.Yes, MFA: runbook.No, Keys: []runbook.RootKey{used}},
		{Account: "410000000103", Name: "legacy-billing", Source: runbook.SourceAssumeRoot, HasKeys: runbook.Yes, MFA: runbook.Yes, Keys: []runbook.RootKey{never("AKIANEVERNEVERNEVER1")}},
		{Account: "410000000104", Name: "data-archive", Source: runbook.SourceAssumeRoot, HasKeys: runbook.Yes, MFA: runbook.No, Keys: []runbook.RootKey{never("AKIANEVERNEVERNEVER2")}},
		{Account: "410000000107", Name: "security-tooling", Source: runbook.SourceAssumeRoot, HasKeys: runbook.No, MFA: runbook.Yes},
	}
	runbook.SortByRisk(accts, orgNow, 90*24*time.Hour)
	return accts
}

// sendOrg applies messages, running the commands they return (the
// retirement) and feeding back what they answer, as the program would.
func sendOrg(t *testing.T, m OrgModel, msgs ...tea.Msg) (OrgModel, bool) {
	t.Helper()
	quit := false
	for _, msg := range msgs {
		next, cmd := m.Update(msg)
		m = next.(OrgModel)
		if cmd == nil {
			continue
		}
		switch out := cmd().(type) {
		case tea.QuitMsg:
			quit = true
		case retiredMsg:
			next, _ = m.Update(out)
			m = next.(OrgModel)
		}
	}
	return m, quit
}

func orgScreenText(m OrgModel) string { return ansi.Strip(m.View().Content) }

func TestOrgViewPicksAnAccountToOpenItsRunbook(t *testing.T) {
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Organization: "o-lumenf0ld7x", Accounts: orgAccounts(), Now: orgNow, Window: 90 * 24 * time.Hour})
	screen := orgScreenText(m)
	first, second := strings.Index(screen, "sandbox-7"), strings.Index(screen, "data-archive")
	if first < 0 || second < first || strings.Contains(screen, "security-tooling") {
		t.Fatalf("want the accounts with root keys, riskiest first, and no clean account:\n%s", screen)
	}
	if !strings.Contains(screen, "iam ap-southeast-1 2h ago") || !strings.Contains(screen, "LIVE") {
		t.Fatalf("screen:\n%s", screen)
	}
	m, quit := sendOrg(t, m, keyMsg("down"), keyMsg("enter"))
	got, ok := m.Chosen()
	if !quit || !ok || got.Name != "data-archive" {
		t.Fatalf("chose %+v (quit %v), want data-archive", got, quit)
	}
}

func TestOrgViewRetiresUnusedKeysAfterOneReview(t *testing.T) {
	var asked []runbook.RootKeyRetirement
	retire := func(_ context.Context, keys []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error) {
		asked = keys
		out := make([]runbook.RootKeyRetirement, len(keys))
		for i, k := range keys {
			k.Outcome = "deleted"
			out[i] = k
		}
		return out, nil
	}
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Organization: "o-lumenf0ld7x", Accounts: orgAccounts(), Now: orgNow,
		Window: 90 * 24 * time.Hour, Retire: retire})
	m, _ = sendOrg(t, m, keyMsg("r"))
	review := strings.Join(strings.Fields(orgScreenText(m)), " ") // wrapped to the screen
	if !strings.Contains(review, "Review: 2 root keys") || !strings.Contains(review, "AKIANEVERNEVERNEVER1") ||
		strings.Contains(review, "AKIAUSEDUSEDUSEDUSE1") || !strings.Contains(review, "no root task policy allows iam:UpdateAccessKey") {
		t.Fatalf("review:\n%s", review)
	}
	m, _ = sendOrg(t, m, keyMsg("3"), keyMsg("enter"))
	if asked != nil || !strings.Contains(orgScreenText(m), "type 2, the number of keys") {
		t.Fatalf("a wrong count deleted %v or was not answered:\n%s", asked, orgScreenText(m))
	}
	m, _ = sendOrg(t, m, keyMsg("backspace"), keyMsg("2"), keyMsg("enter"))
	if len(asked) != 2 {
		t.Fatalf("retire asked for %v, want the two unused keys", asked)
	}
	after := orgScreenText(m)
	if strings.Count(after, ": deleted") != 0 || strings.Count(after, "deleted") != 2 || strings.Contains(after, "legacy-billing  1 active") {
		t.Fatalf("after retiring:\n%s", after)
	}
	if !strings.Contains(after, "sandbox-7") {
		t.Fatalf("the key in use left the table:\n%s", after)
	}
}

func TestOrgViewReviewSaysDryRunAndGoesBack(t *testing.T) {
	m := NewOrg(OrgOptions{Mode: runbook.ModeDryRun, Accounts: orgAccounts(), Now: orgNow, Window: 90 * 24 * time.Hour,
		Retire: func(context.Context, []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error) {
			return nil, nil
		}})
	m, _ = sendOrg(t, m, keyMsg("r"))
	if s := orgScreenText(m); !strings.Contains(s, "would be deleted (dry-run: nothing is)") || !strings.Contains(s, "DRY-RUN") {
		t.Fatalf("dry-run review:\n%s", s)
	}
	m, _ = sendOrg(t, m, keyMsg("esc"))
	if s := orgScreenText(m); !strings.Contains(s, "ACCOUNT") {
		t.Fatalf("esc did not go back to the table:\n%s", s)
	}
}

func TestOrgViewRendersWithoutSizeOrAccounts(t *testing.T) {
	m := NewOrg(OrgOptions{Mode: runbook.ModeTraining})
	if s := orgScreenText(m); !strings.Contains(s, "No account's root user has an access key") {
		t.Fatalf("empty organization:\n%s", s)
	}
	m, quit := sendOrg(t, m, keyMsg("enter"), keyMsg("r"), keyMsg("q"))
	if _, ok := m.Chosen(); ok || !quit {
		t.Fatal("an empty table chose an account or did not quit")
	}
}

func TestOrgViewFitsEightyColumns(t *testing.T) {
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Accounts: orgAccounts(), Now: orgNow, Window: 90 * 24 * time.Hour})
	m, _ = sendOrg(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, line := range strings.Split(orgScreenText(m), "\n") {
		if w := ansi.StringWidth(line); w > 80 {
			t.Fatalf("a line of %d cells at 80 columns: %q", w, line)
		}
	}
	if s := orgScreenText(m); !strings.Contains(s, "enter open its runbook · r retire unused keys · q quit") {
		t.Fatalf("the help line is cut at 80 columns:\n%s", s)
	}
	if s := orgScreenText(m); !strings.Contains(s, "in use: enter opens its runbook") {
		t.Fatalf("the selected account's details do not say what comes next:\n%s", s)
	}
}

// The selected account's details word its next move as a key to press on
// this screen, not as a command to run elsewhere.
func TestOrgViewSaysTheNextMoveAsAKey(t *testing.T) {
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Accounts: orgAccounts(), Now: orgNow, Window: 90 * 24 * time.Hour})
	screen := orgScreenText(m)
	if !strings.Contains(screen, "in use: enter opens its runbook") || strings.Contains(screen, "keyrunbook respond") {
		t.Fatalf("sandbox-7 (in use) should say enter opens its runbook:\n%s", screen)
	}
	m, _ = sendOrg(t, m, keyMsg("down"))
	if screen = orgScreenText(m); !strings.Contains(screen, "r reviews, then deletes it through AssumeRoot") {
		t.Fatalf("an unused key should say r retires it:\n%s", screen)
	}
}

// At 80 columns the review keeps what each deletion rests on: every key's
// last use is on screen, none cut at the edge.
func TestOrgReviewFitsEightyColumns(t *testing.T) {
	accts := orgAccounts()
	accts[2].Name = "a-very-long-account-name-for-legacy-billing"
	accts[2].Keys[0].LastUsed, accts[2].Keys[0].Service, accts[2].Keys[0].Region = orgNow.Add(-400*24*time.Hour), "s3", "eu-west-1"
	retire := func(context.Context, []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error) {
		return nil, nil
	}
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Accounts: accts, Now: orgNow, Window: 90 * 24 * time.Hour, Retire: retire})
	m, _ = sendOrg(t, m, tea.WindowSizeMsg{Width: 80, Height: 24}, keyMsg("r"))
	screen := orgScreenText(m)
	for _, line := range strings.Split(screen, "\n") {
		if w := ansi.StringWidth(line); w > 80 {
			t.Fatalf("a line of %d cells at 80 columns: %q", w, line)
		}
	}
	for _, want := range []string{"last used s3 eu-west-1 400d ago", "last used never", "Type 2 and press enter"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the review at 80 columns lacks %q:\n%s", want, screen)
		}
	}
}
