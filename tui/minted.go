package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The temporary credentials the key minted: how long each may still work,
// and the session revocation, offered from deactivation on (S). Shown in
// the investigate, deactivate and watch views.

var revokeKey = binding("S", "revoke minted sessions", "S")

// revokeKeys offers S where the machine would accept RevokeSessions.
func revokeKeys(f frame) []key.Binding {
	if len(f.st.RevocationPlan().Targets) == 0 || pendingEffect(f.st, "RevokeOlderSessions") {
		return nil
	}
	return []key.Binding{revokeKey}
}

// revokeUpdate turns S into RevokeSessions; the machine refuses it with a
// reason where it does not apply, and the confirmation shows the calls.
func revokeUpdate(k tea.KeyPressMsg, f frame) (intent, bool) {
	if !key.Matches(k, revokeKey) || f.st.Investigate.Investigation == nil || len(f.st.Investigate.Investigation.Minted) == 0 {
		return intent{}, false
	}
	return intent{event: runbook.RevokeSessions{}}, true
}

func pendingEffect(st runbook.State, name string) bool {
	for _, n := range st.Effects.Pending {
		if n == name {
			return true
		}
	}
	return false
}

// mintedSummary is the investigate view's line on minted credentials.
func mintedSummary(f frame) []string {
	inv := f.st.Investigate.Investigation
	if inv == nil || len(inv.Minted) == 0 {
		return nil
	}
	live := 0
	for _, m := range inv.Minted {
		if m.Remaining(f.now) > 0 {
			live++
		}
	}
	s := fmt.Sprintf("%d temporary credential(s) minted by the key, %d still valid: their calls count as the key's; revoke them after deactivating (S)",
		len(inv.Minted), live)
	return wrapParagraph(f.sty.Danger, "! "+s, f.w, "  ")
}

// mintedLines lists the minted credentials with the time each may still
// work, then what the revocation does, did, or cannot do.
func mintedLines(f frame) []string {
	st, sty := f.st, f.sty
	if st.Investigate.Investigation == nil || len(st.Investigate.Investigation.Minted) == 0 {
		return nil
	}
	lines := []string{sty.Title.Render("Minted credentials") + sty.Muted.Render(" · deactivating the key does not end them")}
	// What S does comes before the list of credentials, so a short screen
	// cuts the list, not the action.
	plan := st.RevocationPlan()
	switch {
	case pendingEffect(st, "RevokeOlderSessions"):
		lines = append(lines, f.spin+" Revoking: denying every session issued before now…")
	case st.Contain.Revocation != nil:
		mark := sty.OK.Render("  ✓ ")
		if st.Contain.Revocation.DryRun {
			mark = sty.Warning.Render("  DRY-RUN ")
		}
		lines = append(lines, wrapAfterPrefix(mark, fmt.Sprintf("sessions issued before %s denied on %s (S again moves the cut-off to now)",
			clock(st.Contain.Revocation.At), targetNames(st.Contain.Revocation.Targets)), plain, f.w, "    ")...)
	case len(plan.Targets) > 0:
		lines = append(lines, wrapParagraph(sty.Warning, "S revokes them: "+runbook.RevocationPolicyName+" on "+targetNames(plan.Targets)+
			" denies every session issued before now, legitimate ones too.", f.w, "  ")...)
	}
	for _, e := range plan.Elsewhere {
		lines = append(lines, wrapParagraph(sty.Warning, "! "+e, f.w, "  ")...)
	}
	for _, m := range st.Investigate.Investigation.Minted {
		lines = append(lines, wrapAfterPrefix("  "+m.KeyID+" ", mintedDetail(m, f.now, st.Contain.Revocation), plain, f.w, "    ")...)
	}
	return lines
}

// mintedDetail says how a credential was minted and how long it may work:
// "GetSessionToken · 29h02m left · 412 calls". A lifetime STS did not
// report is the longest it allows: "≤ 12h00m left".
func mintedDetail(m runbook.MintedCredential, now time.Time, rv *runbook.Revocation) string {
	how := m.Via
	switch {
	case m.CrossAccount:
		how += " " + m.RoleName() + " of account " + m.RoleAccount()
	case m.RoleARN != "":
		how += " " + m.RoleName()
	case m.FederatedUser != "":
		how += " as " + m.FederatedUser
	}
	parts := []string{how}
	switch left := m.Remaining(now); {
	case left == 0:
		parts = append(parts, "expired")
	case m.ExpiryBasis == runbook.ExpiryFromResponse:
		parts = append(parts, shortDur(left)+" left")
	default:
		parts = append(parts, "≤ "+shortDur(left)+" left")
	}
	if rv != nil && !rv.DryRun && m.IssuedAt.Before(rv.At) && !m.CrossAccount {
		parts = append(parts, "revoked")
	}
	switch {
	case m.CrossAccount:
		parts = append(parts, "not followed: acts in that account")
	case m.Swept:
		parts = append(parts, fmt.Sprintf("%d calls", m.Events))
	}
	return strings.Join(parts, " · ")
}

func targetNames(ts []runbook.RevocationTarget) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return strings.Join(names, ", ")
}

// watchLagLines flags a quiet watch that CloudTrail's delivery lag makes
// not yet meaningful, and a window shorter than the lag.
func watchLagLines(f frame) []string {
	if note := f.st.WatchLagNote(); note != "" {
		return wrapParagraph(f.sty.Warning, "! "+note, f.w, "  ")
	}
	return nil
}

// coverageLines are the investigation's blind spots, for the investigate
// view's coverage pane.
func coverageLines(f frame, room int) []string {
	inv := f.st.Investigate.Investigation
	if inv == nil || room <= 0 {
		return nil
	}
	lines := []string{f.sty.Title.Render("Coverage and blind spots") + f.sty.Muted.Render(" · what this sweep did not read")}
	for _, c := range inv.Coverage {
		lines = append(lines, wrapAfterPrefix("  · ", c, plain, f.w, "    ")...)
	}
	if len(lines) > room {
		lines = append(lines[:room-1], f.sty.Muted.Render("  … (the report lists every statement)"))
	}
	return lines
}
