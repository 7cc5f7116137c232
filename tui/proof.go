package tui

import (
	"fmt"
	"strings"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The propose view's proof lines (issue 11): whether the selected
// proposal's policy allows every call its legitimate callers made and
// denies the attacker's writes, replayed through iam:SimulateCustomPolicy;
// what to do when it does not; and, for a kind keyrunbook only exports,
// that it cannot be applied.

// proofShown caps each list of calls the view spells out.
const proofShown = 4

// proofLines renders the proof of p for the propose view.
func proofLines(f frame, p runbook.Proposal) []string {
	sty, w := f.sty, f.w
	var lines []string
	if p.Kind.ExportOnly() {
		lines = append(lines, wrapParagraph(sty.Warning, "export only: "+p.Kind.ExportOnlyReason()+".", w, "  ")...)
	}
	if p.Kind == runbook.ReplaceOIDCRole && strings.Contains(p.Target, "<") {
		lines = append(lines, wrapParagraph(sty.Warning, "set the target (t) to the repository the role trusts, repo:ORG/REPO:* or narrower: a placeholder is not applied.", w, "  ")...)
	}
	pr, ok := f.st.ProofOf(p.CallerID)
	switch {
	case p.Applied:
		return lines
	case !ok && p.Policy == "":
		return append(lines, sty.Muted.Render("proof: no policy to prove"))
	case !ok:
		return append(lines, sty.Muted.Render("proof: not run"))
	case pr.Status == runbook.ProofRunning:
		return append(lines, f.spin+" proving the policy: replaying its callers' calls through iam:SimulateCustomPolicy…")
	case pr.Status == runbook.ProofError:
		lines = append(lines, wrapParagraph(sty.Danger, "? proof could not run: "+pr.Error, w, "  ")...)
	case pr.Status == runbook.ProofPassed:
		lines = append(lines, wrapParagraph(sty.OK, fmt.Sprintf("✓ proof: %d legitimate call(s) allowed, %d attacker write(s) denied", len(pr.Allowed), len(pr.AttackerDenied)), w, "  ")...)
	default:
		if n := len(pr.Denied); n > 0 {
			lines = append(lines, wrapParagraph(sty.Danger, fmt.Sprintf("✗ proof: denies %d of %d legitimate call(s): %s", n, n+len(pr.Allowed), shortList(pr.Denied)), w, "  ")...)
		}
		if n := len(pr.AttackerAllowed); n > 0 {
			lines = append(lines, wrapParagraph(sty.Danger, fmt.Sprintf("✗ proof: allows %d attacker write(s): %s", n, shortList(pr.AttackerAllowed)), w, "  ")...)
		}
	}
	if pr.Override != "" {
		return append(lines, wrapParagraph(sty.Warning, "overridden: "+pr.Override, w, "  ")...)
	}
	if pr.Status == runbook.ProofFailed || pr.Status == runbook.ProofError {
		lines = append(lines, sty.Muted.Render("  E edit the policy · o apply it anyway, with a reason"))
	}
	for _, n := range pr.Notes {
		lines = append(lines, wrapParagraph(sty.Muted, "· "+n, w, "  ")...)
	}
	return lines
}

func shortList(items []string) string {
	if len(items) <= proofShown {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:proofShown], ", "), len(items)-proofShown)
}

// proofMark is a proposal's proof in a word, for its row in the list.
func proofMark(f frame, p runbook.Proposal) string {
	pr, ok := f.st.ProofOf(p.CallerID)
	switch {
	case p.Applied || !ok:
		return ""
	case pr.Status == runbook.ProofRunning:
		return f.sty.Muted.Render("proving")
	case pr.Status == runbook.ProofPassed:
		return f.sty.OK.Render("✓ proved")
	case pr.Override != "":
		return f.sty.Warning.Render("overridden")
	case pr.Status == runbook.ProofError:
		return f.sty.Danger.Render("? unproven")
	}
	return f.sty.Danger.Render("✗ proof")
}

// overridePrompt asks why a proposal whose proof did not pass may be
// applied; the reason goes into the action log with OverrideProof.
func overridePrompt(st runbook.State, p runbook.Proposal) *promptSpec {
	pr, ok := st.ProofOf(p.CallerID)
	if !ok || pr.Settled() || pr.Status == runbook.ProofRunning {
		return nil
	}
	detail := []string{"The policy's proof did not pass. Say why it may be applied anyway: the reason goes into the action log."}
	if len(pr.Denied) > 0 {
		detail = append(detail, "Denies: "+shortList(pr.Denied))
	}
	if len(pr.AttackerAllowed) > 0 {
		detail = append(detail, "Allows the attacker: "+shortList(pr.AttackerAllowed))
	}
	if pr.Error != "" {
		detail = append(detail, "Could not run: "+pr.Error)
	}
	return &promptSpec{
		title:       "Apply " + p.CallerID + "'s policy unproven",
		detail:      detail,
		placeholder: "why this is acceptable",
		build: func(a string) runbook.Event {
			return runbook.OverrideProof{CallerID: p.CallerID, Reason: a}
		},
	}
}

// switchKind is the edit that moves a proposal to the next way of serving
// its caller (runbook.SwitchKind), or nil when there is none.
func switchKind(st runbook.State, p runbook.Proposal) runbook.Event {
	if p.Applied || st.Investigate.Investigation == nil {
		return nil
	}
	c, _ := st.Investigate.Investigation.Caller(p.CallerID)
	next, ok := runbook.SwitchKind(p, c)
	if !ok {
		return nil
	}
	return runbook.EditProposal{Proposal: next}
}

// callerWhere is the investigate pane's line of what groups a caller with
// others (issue 11, item 3): its cluster, VPC endpoint and time pattern.
func callerWhere(c runbook.UsageCaller) string {
	var parts []string
	if c.Cluster != "" {
		parts = append(parts, "cluster: "+c.Cluster)
	}
	if c.VPCEndpoint != "" {
		parts = append(parts, "via "+c.VPCEndpoint)
	}
	if c.Pattern != "" {
		parts = append(parts, "active: "+c.Pattern)
	}
	return strings.Join(parts, " · ")
}
