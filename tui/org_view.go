package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// View implements tea.Model. It renders at any size, 0×0 included.
func (m OrgModel) View() tea.View {
	var b strings.Builder
	b.WriteString(m.banner() + "\n")
	b.WriteString(m.sty.Title.Render("Root keys in organization "+m.o.Organization) + "\n")
	if m.o.Advice != "" {
		b.WriteString(m.sty.Warning.Render("! "+m.o.Advice) + "\n")
	}
	b.WriteString("\n")
	switch m.screen {
	case orgReview:
		m.viewReview(&b)
	case orgRetiring:
		fmt.Fprintf(&b, "Deleting %d root keys through sts:AssumeRoot (IAMDeleteRootUserCredentials), each journaled…\n", len(m.review))
	default:
		m.viewTable(&b)
	}
	if m.err != "" {
		b.WriteString("\n" + m.sty.Warning.Render(m.err) + "\n")
	}
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "keyrunbook · organization"
	return v
}

func (m OrgModel) banner() string {
	switch m.o.Mode {
	case runbook.ModeTraining:
		return m.sty.BannerTraining.Render("TRAINING · simulated organization")
	case runbook.ModeDryRun:
		return m.sty.BannerDryRun.Render("DRY-RUN · reads are real, nothing is deleted")
	}
	return m.sty.BannerLive.Render("LIVE · deletions are real")
}

// next is the table's short word for what the campaign does; the
// selected account's details below say why.
func (m OrgModel) next(a runbook.RootAudit) string {
	switch a.NextMove(m.o.Now, m.o.Window) {
	case runbook.MoveRetire:
		return "retire"
	case runbook.MoveRespond:
		return "runbook"
	case runbook.MoveManagementRoot:
		return "as root"
	case runbook.MoveEnableCentral:
		return "enable"
	case runbook.MoveReread:
		return "unread"
	}
	return "check"
}

// lastUse is the table's short last use: service and age.
func (m OrgModel) lastUse(a runbook.RootAudit) string {
	if k, ok := a.LatestUse(); ok {
		return k.Service + " " + runbook.Ago(m.o.Now.Sub(k.LastUsed)) + " ago"
	}
	return a.LastUseText(m.o.Now)
}

func (m OrgModel) viewTable(b *strings.Builder) {
	w := m.width
	if w <= 0 {
		w = minWidth
	}
	if len(m.rows) == 0 {
		b.WriteString(m.sty.OK.Render("No account's root user has an access key.") + "\n")
	} else {
		// 78 cells: the region of the last use is in the details below.
		b.WriteString(clip(fmt.Sprintf("  %-12s  %-14s  %-12s  %-14s  %-7s  %s", "ACCOUNT", "NAME", "ROOT KEYS", "LAST USED", "MFA", "NEXT"), w) + "\n")
		for i, a := range m.rows {
			line := fmt.Sprintf("%-12s  %-14s  %-12s  %-14s  %-7s  %s", a.Account, clip(a.Name, 14), a.KeysText(),
				m.lastUse(a), a.MFA, m.next(a))
			if i == m.cursor {
				b.WriteString("› " + m.sty.Selected.Render(clip(line, w-2)) + "\n")
				continue
			}
			b.WriteString("  " + clip(line, w-2) + "\n")
		}
		a := m.rows[m.cursor]
		b.WriteString("\n" + m.sty.Heading.Render(a.Account+" "+a.Name) + "\n")
		for _, k := range a.Keys {
			b.WriteString(clip(fmt.Sprintf("  %s  %s, last used %s", k.ID, k.Status, k.LastUse(m.o.Now)), w) + "\n")
		}
		b.WriteString(clip(fmt.Sprintf("  root MFA %s · console password %s · read from %s", a.MFA, a.LoginProfile, orDash(a.Source)), w) + "\n")
		for _, line := range wrapPlain(m.nextText(a), w-2, w-2) {
			b.WriteString("  " + line + "\n")
		}
	}
	if len(m.outcomes) > 0 {
		b.WriteString("\n" + m.sty.Heading.Render("Retired") + "\n")
		for _, r := range m.outcomes {
			style := m.sty.OK
			if strings.HasPrefix(r.Outcome, "failed") {
				style = m.sty.Danger
			}
			b.WriteString("  " + r.Account + "  " + r.KeyID + "  " + style.Render(clip(r.Outcome, max(10, w-40))) + "\n")
		}
	}
	// The help names each key as its binding does (one fact): it fits 80
	// columns, so "q quit" is never the part cut.
	var help []string
	for _, k := range []key.Binding{m.keys.Open, m.keys.Retire, m.keys.Quit} {
		help = append(help, k.Help().Key+" "+k.Help().Desc)
	}
	b.WriteString("\n" + m.sty.Muted.Render(clip("↑/↓ move · "+strings.Join(help, " · "), w)) + "\n")
}

func (m OrgModel) viewReview(b *strings.Builder) {
	b.WriteString(m.sty.Heading.Render(fmt.Sprintf("Review: %d root keys no caller used in the window", len(m.review))) + "\n")
	names := map[string]string{}
	keys := map[string]runbook.RootKey{}
	for _, a := range m.rows {
		names[a.Account] = a.Name
		for _, k := range a.Keys {
			keys[k.ID] = k
		}
	}
	w := m.width
	if w <= 0 {
		w = minWidth
	}
	// What each deletion rests on (the key, its status, its last use) is
	// never cut: on a narrow screen the last use takes a line of its own.
	for _, r := range m.review {
		k := keys[r.KeyID]
		row := fmt.Sprintf("  %-12s  %-14s  %s  %-8s", r.Account, clip(names[r.Account], 14), r.KeyID, k.Status)
		used := "last used " + k.LastUse(m.o.Now)
		if ansi.StringWidth(row+"  "+used) > w {
			b.WriteString(row + "\n" + clip("      "+used, w) + "\n")
			continue
		}
		b.WriteString(row + "  " + used + "\n")
	}
	verb := "Each is deleted"
	if m.o.Mode == runbook.ModeDryRun {
		verb = "Each would be deleted (dry-run: nothing is)"
	}
	b.WriteString("\n")
	for _, p := range []struct {
		style lipgloss.Style
		text  string
	}{
		{lipgloss.NewStyle(), verb + " through sts:AssumeRoot with IAMDeleteRootUserCredentials and journaled."},
		{m.sty.Danger, "A root key cannot be deactivated first: no root task policy allows iam:UpdateAccessKey. Deletion cannot be undone."},
		{lipgloss.NewStyle(), fmt.Sprintf("Type %d and press enter to confirm; esc goes back.", len(m.review))},
	} {
		b.WriteString(strings.Join(wrapParagraph(p.style, p.text, w, ""), "\n") + "\n")
	}
	b.WriteString(m.input.View() + "\n")
}

// nextText words the account's next move (runbook.RootAudit.NextMove) for
// this screen, where the move is a key to press rather than a command.
func (m OrgModel) nextText(a runbook.RootAudit) string {
	switch a.NextMove(m.o.Now, m.o.Window) {
	case runbook.MoveRetire:
		return "unused in the window: r reviews, then deletes it through AssumeRoot"
	case runbook.MoveRespond:
		return a.UseText(m.o.Now, m.o.Window) + ": enter opens its runbook (contain with an SCP, replace the caller, delete through AssumeRoot)"
	case runbook.MoveManagementRoot:
		return runbook.ManagementRootAdvice
	case runbook.MoveEnableCentral:
		return "enable centralized root access, then audit again"
	case runbook.MoveReread:
		return a.Why
	}
	return "check by hand"
}
