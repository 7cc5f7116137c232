package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

var deactivateKeyMap = struct {
	Deactivate key.Binding
}{
	Deactivate: binding("enter", "deactivate (type yes)", "enter"),
}

func deactivateKeys(f frame) []key.Binding {
	if f.st.NeedsRootSignIn() {
		return append(rootSignInKeys(f), revokeKeys(f)...)
	}
	return append([]key.Binding{deactivateKeyMap.Deactivate}, revokeKeys(f)...)
}

func deactivateUpdate(k tea.KeyPressMsg, f frame, c *cleanupList) intent {
	if key.Matches(k, deactivateKeyMap.Deactivate) {
		return intent{event: runbook.ConfirmDeactivate{}}
	}
	if it, ok := revokeUpdate(k, f); ok {
		return it
	}
	it, _ := c.update(k, f.st)
	return it
}

// replacementTally summarises the decisions: how many replacements exist
// and moved, failed to be created, were exported, disowned.
func replacementTally(ps []runbook.Proposal) string {
	var applied, moved, missing, exported, notOurs, undecided int
	for _, p := range ps {
		switch p.Decision {
		case runbook.DecisionApply:
			if !p.Applied {
				missing++
				continue
			}
			applied++
			if p.Moved {
				moved++
			}
		case runbook.DecisionExported:
			exported++
		case runbook.DecisionNotOurs:
			notOurs++
		default:
			undecided++
		}
	}
	s := fmt.Sprintf("%d applied (%d moved), %d exported, %d not ours", applied, moved, exported, notOurs)
	if missing > 0 {
		s += fmt.Sprintf(", %d not created", missing)
	}
	if undecided > 0 {
		s += fmt.Sprintf(", %d undecided", undecided)
	}
	return s
}

// deactivateView shows the one call that turns the key off, before it runs;
// for a root key in a drill, the root sign-in first.
func deactivateView(f frame, c cleanupList, ph phone) string {
	st, sty := f.st, f.sty
	if st.NeedsRootSignIn() {
		lines := append(rootSignInLines(f, ph), mintedLines(f)...)
		return c.under(f, append(lines, ""), 0)
	}
	lines := []string{sty.Heading.Render("Deactivate") + sty.Muted.Render(" · turn the key off; reversible, nothing is deleted")}
	pending := false
	for _, n := range st.Effects.Pending {
		pending = pending || n == "DeactivateKey"
	}
	switch {
	case pending:
		lines = append(lines, f.spin+" Deactivating, then reading the key's status back…")
	case st.Effects.LastError != nil:
		lines = append(lines, errorLines(f, st.Effects.LastError)...)
	default:
		lines = append(lines, wrapParagraph(plain, "The key "+st.KeyID+" of "+st.Intake.Key.Owner()+" becomes Inactive: every call signed with it fails from then on. If a workload breaks, roll back from the watch.", f.w, "")...)
	}
	lines = append(lines, stepCallLines(f)...)
	lines = append(lines, rootSessionLine(f)...)
	if st.Intake.Key.Root && st.Contain.RootAccess == nil {
		lines = append(lines, wrapParagraph(sty.Warning, "! root key: the call must be made as root; in an Organizations member account, an SCP denying the root user (unless aws:AssumedRoot) contains it instead.", f.w, "  ")...)
	}
	lines = append(lines, kv(sty, "Replacements", replacementTally(st.Propose.Proposals)))
	if st.Propose.Override != "" {
		lines = append(lines, wrapParagraph(sty.Warning, fmt.Sprintf("! override: %q", st.Propose.Override), f.w, "  ")...)
	}
	if st.Intake.Key.QuarantinePolicy != "" {
		lines = append(lines, sty.Muted.Render("AWS's "+st.Intake.Key.QuarantinePolicy+" stays attached until closing."))
	}
	if st.Mode == runbook.ModeDryRun {
		lines = append(lines, sty.Warning.Render("DRY-RUN: the call is journaled as would-call; the key stays active."))
	}
	lines = append(lines, mintedLines(f)...)
	return c.under(f, append(lines, ""), 0)
}
