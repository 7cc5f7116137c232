package tui

import (
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// hardenView is the account's checklist after the key is gone, with the
// attacker's resources still to remove.
type hardenView struct {
	// first is the first checklist item shown, when it does not fit.
	first int
}

var hardenKeyMap = struct {
	Recheck, Close, PageDown, PageUp, FollowUp, ReleaseSCP key.Binding
}{
	FollowUp:   binding("F", "first open follow-up done", "F"),
	ReleaseSCP: binding("x", "remove the containment SCP", "x"),
	Recheck:    binding("g", "read the checklist again", "g"),
	Close:      binding("enter", "close the incident", "enter"),
	PageDown:   binding("pgdn", "more checks", "pgdown"),
	PageUp:     binding("pgup", "previous checks", "pgup"),
}

func (v *hardenView) clamp(st runbook.State) {
	v.first = max(0, min(v.first, len(st.Harden.Checklist)-1))
}

func (v *hardenView) update(k tea.KeyPressMsg, f frame, c *cleanupList) intent {
	switch {
	case key.Matches(k, hardenKeyMap.Recheck):
		return intent{event: runbook.RecheckHardening{}}
	case key.Matches(k, hardenKeyMap.Close):
		return intent{event: runbook.CloseIncident{}}
	case key.Matches(k, hardenKeyMap.ReleaseSCP) && f.st.Harden.ContainmentSCPOpen():
		// A change like any: offered, its calls read and confirmed.
		return intent{event: runbook.ReleaseContainmentSCP{}}
	case key.Matches(k, hardenKeyMap.FollowUp):
		// keyrunbook cannot see a secret rotated or a snapshot unshared:
		// the responder's word is journaled instead.
		for _, it := range f.st.Harden.Checklist {
			if strings.HasPrefix(it.ID, "follow-up-") && !it.OK {
				return intent{event: runbook.ConfirmFollowUp{ID: it.ID, Note: "done by hand"}}
			}
		}
		return intent{note: "no follow-up is open"}
	case key.Matches(k, hardenKeyMap.PageDown):
		v.first = min(v.first+3, max(len(f.st.Harden.Checklist)-1, 0))
		return intent{}
	case key.Matches(k, hardenKeyMap.PageUp):
		v.first = max(v.first-3, 0)
		return intent{}
	}
	it, _ := c.update(k, f.st)
	return it
}

func (v hardenView) keys(f frame) []key.Binding {
	keys := []key.Binding{hardenKeyMap.Close, hardenKeyMap.Recheck, hardenKeyMap.FollowUp, hardenKeyMap.PageDown, hardenKeyMap.PageUp}
	if f.st.Harden.ContainmentSCPOpen() {
		keys = append([]key.Binding{hardenKeyMap.ReleaseSCP}, keys...)
	}
	return keys
}

func (v hardenView) view(f frame, c cleanupList) string {
	st, sty := f.st, f.sty
	pass := 0
	for _, it := range st.Harden.Checklist {
		if it.OK {
			pass++
		}
	}
	head := sty.Heading.Render("Harden")
	if st.Harden.Checklist != nil {
		head += sty.Muted.Render(fmt.Sprintf(" · %d of %d checks pass", pass, len(st.Harden.Checklist)))
	}
	lines := []string{head}
	checking := false
	for _, n := range st.Effects.Pending {
		checking = checking || n == "CheckHardening"
	}
	switch {
	case checking:
		lines = append(lines, f.spin+" Reading the account's checklist (credential report, account summary, trails)…")
	case st.Effects.LastError != nil:
		lines = append(lines, errorLines(f, st.Effects.LastError)...)
	}
	// The clean-up list keeps its share at the bottom; the checklist scrolls.
	cleanRows := min(len(blastRadius(st))+1, 5)
	room := max(f.h-len(lines)-cleanRows-3, 2)
	var items []string
	for _, it := range st.Harden.Checklist[min(v.first, len(st.Harden.Checklist)):] {
		mark := sty.OK.Render("✓ ")
		if !it.OK {
			mark = sty.Danger.Render("✗ ")
		}
		switch {
		case it.ID == runbook.CheckContainmentSCP:
			// The SCP's name and its account are what the responder acts
			// on: wrapped, never clipped away.
			items = append(items, clip(mark+it.Title, f.w))
			items = append(items, wrapAfterPrefix("  ", it.State, sty.Muted, f.w, "  ")...)
			if !it.OK {
				items = append(items, wrapAfterPrefix("  ", "x detaches and deletes it, after showing the calls", sty.Call, f.w, "  ")...)
			}
		case !it.OK && f.w > 0 && ansi.StringWidth(mark+it.Title+" · "+it.State) > f.w:
			// What a failing check read ("unknown, because …", what is
			// missing) is the evidence for its fix: wrapped, never cut.
			items = append(items, clip(mark+it.Title, f.w))
			items = append(items, wrapAfterPrefix("  ", it.State, sty.Muted, f.w, "  ")...)
		default:
			items = append(items, clip(mark+it.Title+sty.Muted.Render(" · "+it.State), f.w))
		}
		if !it.OK && it.Fix != "" {
			items = append(items, wrapAfterPrefix("  fix: ", it.Fix, plain, f.w, "       ")...)
		}
	}
	if len(items) > room {
		items = append(items[:room-1], sty.Muted.Render(fmt.Sprintf("  … more below (pgdn) · %d checks in all", len(st.Harden.Checklist))))
	}
	lines = append(lines, items...)
	lines = append(lines, "")
	lines = append(lines, c.view(f, cleanRows)...)
	lines = append(lines, "", sty.Muted.Render("enter closes the incident; g reads the checklist again after a fix; F marks a follow-up done."))
	return strings.Join(lines, "\n")
}
