package tui

import (
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// replaceView shows each replacement being created, the calls as they
// run, then whether each caller moved to its new identity.
type replaceView struct {
	// details keeps what each move check said (CallerMoved.Detail), which
	// the machine's state does not hold.
	details map[string]string
	// secrets maps a caller to the file holding its new key's secret.
	secrets map[string]string
}

var replaceKeyMap = struct {
	Verify, Next, Override, Back key.Binding
}{
	Verify:   binding("v", "verify moves", "v"),
	Next:     binding("enter", "go to deactivation", "enter"),
	Override: binding("o", "override with a reason", "o"),
	Back:     binding("b", "back to the proposals", "b"),
}

func (v replaceView) update(k tea.KeyPressMsg, f frame) intent {
	goingOn := key.Matches(k, replaceKeyMap.Next, replaceKeyMap.Override)
	if id := checkingMove(f.inflight); goingOn && id != "" {
		// The move check's answer is what the responder wants before
		// turning the key off.
		return intent{note: "The move check for " + id + " is still running: wait for its answer before deactivating."}
	}
	switch {
	case key.Matches(k, replaceKeyMap.Verify):
		return intent{event: runbook.VerifyMoves{}}
	case key.Matches(k, replaceKeyMap.Back):
		return intent{event: runbook.BackToProposals{}}
	case key.Matches(k, replaceKeyMap.Next):
		return intent{event: runbook.ProceedToDeactivate{}}
	case key.Matches(k, replaceKeyMap.Override):
		return intent{prompt: &promptSpec{
			title: "Deactivate with callers still depending on the key",
			detail: []string{
				"Their work will fail once the key is off. Say why you go on anyway: the reason goes into the action log and the report.",
			},
			placeholder: "reason",
			build:       func(a string) runbook.Event { return runbook.ProceedToDeactivate{Override: a} },
		}}
	}
	return intent{}
}

// checkingMove returns the caller of the oldest move check running, or "".
func checkingMove(inflight map[int]runbook.Effect) string {
	for _, id := range slices.Sorted(maps.Keys(inflight)) {
		if x, ok := inflight[id].(runbook.VerifyMove); ok {
			return x.Proposal.CallerID
		}
	}
	return ""
}

func (v replaceView) keys(frame) []key.Binding {
	return []key.Binding{replaceKeyMap.Verify, replaceKeyMap.Next, replaceKeyMap.Back, replaceKeyMap.Override}
}

// applying reports whether the caller's replacement is being created or
// checked right now.
func applying(inflight map[int]runbook.Effect, callerID string) (creating, checking bool) {
	for _, e := range inflight {
		switch x := e.(type) {
		case runbook.ApplyReplacement:
			creating = creating || x.Proposal.CallerID == callerID
		case runbook.VerifyMove:
			checking = checking || x.Proposal.CallerID == callerID
		}
	}
	return creating, checking
}

func (v replaceView) view(f frame) string {
	st, sty := f.st, f.sty
	lines := []string{sty.Heading.Render("Replace") + sty.Muted.Render(" · create each replacement, then check its caller moved")}
	for _, p := range st.Propose.Proposals {
		creating, checking := applying(f.inflight, p.CallerID)
		lines = append(lines, clip(sty.Title.Render(p.CallerID)+" · "+string(p.Kind)+" "+p.Name, f.w))
		var state string
		switch {
		case p.Decision == runbook.DecisionExported:
			state = sty.Muted.Render("exported for review: not created by keyrunbook")
		case p.Decision == runbook.DecisionNotOurs:
			state = sty.Danger.Render("not ours: counted as suspicious")
		case p.Decision == runbook.DecisionUndecided:
			state = sty.Warning.Render("undecided: blocks deactivation")
		case creating:
			state = f.spin + " creating…"
		case !p.Applied:
			state = sty.Warning.Render("not created")
		default:
			move := sty.Warning.Render("move not verified yet (v)")
			switch {
			case checking:
				move = f.spin + " checking…"
			case p.Moved:
				move = sty.OK.Render("✓ moved")
			case v.details[p.CallerID] != "":
				move = sty.Warning.Render("not moved yet: " + v.details[p.CallerID])
			}
			state = sty.OK.Render("✓ created") + " · " + move
			if st.Mode == runbook.ModeDryRun {
				state = sty.Warning.Render("would create (dry-run: not created)")
			}
		}
		lines = append(lines, clip("  "+state, f.w))
		lines = append(lines, nextRunLines(f, p, checking)...)
		if p.Applied && len(p.Created) > 0 {
			lines = append(lines, wrapAfterPrefix("  ", strings.Join(p.Created, ", "), sty.Muted, f.w, "  ")...)
		}
		if path := v.secrets[p.CallerID]; path != "" {
			lines = append(lines, wrapAfterPrefix("  ", "new key's secret: "+path+" (mode 0600): install it, then delete the file", sty.Warning, f.w, "  ")...)
		}
	}
	if len(st.Propose.Proposals) == 0 {
		lines = append(lines, "No replacement to create.")
	}
	if st.Mode == runbook.ModeDryRun {
		lines = append(lines, sty.Warning.Render("DRY-RUN: nothing was created; the calls are journaled as would-call."))
	}
	if len(f.calls) > 0 {
		lines = append(lines, "", sty.Muted.Render("AWS calls, latest last:"))
		room := max(f.h-len(lines)-2, 1)
		calls := f.calls[max(len(f.calls)-room, 0):]
		for _, c := range calls {
			line := "  " + c.Service + " " + c.Operation
			switch {
			case c.Error != "":
				line = sty.Danger.Render(line + " ✗ " + redact(c.Error))
			case c.WouldCall:
				line += sty.Warning.Render(" would-call")
			default:
				line += sty.OK.Render(" ✓")
			}
			lines = append(lines, line)
		}
	}
	lines = append(lines, "")
	lines = append(lines, wrapParagraph(sty.Muted, "Next: v checks CloudTrail for each caller under its new identity; enter goes to deactivation once every legitimate caller is decided.", f.w, "")...)
	return strings.Join(lines, "\n")
}

// nextRunLines say when a scheduled caller that has not moved yet runs
// next: before then a move check cannot see it.
func nextRunLines(f frame, p runbook.Proposal, checking bool) []string {
	if !p.Applied || p.Moved || f.st.Investigate.Investigation == nil {
		return nil
	}
	c, ok := f.st.Investigate.Investigation.Caller(p.CallerID)
	if !ok {
		return nil
	}
	next, ok := c.NextRun(f.now)
	if !ok {
		return nil
	}
	when := "next expected run " + next.Format("15:04 UTC")
	if d := next.Sub(f.now); d > 0 {
		when += " (in " + shortDur(d.Round(time.Minute)) + ")"
	} else {
		when += " (now)"
	}
	if checking && f.training != nil {
		when += ": the check waits for it on the simulated clock"
	}
	return wrapAfterPrefix("  ", when, f.sty.Muted, f.w, "    ")
}
