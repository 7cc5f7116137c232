package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// cleanupList is the blast radius (what the key created or changed) as a
// checklist, shared by the steps from deactivation on, where the machine
// allows removing the attacker's resources: pick several (or all that can
// be removed) and clean them up behind one confirmation.
type cleanupList struct {
	sel    int
	picked map[string]bool // by resourceKey
	// top is how far the step's own lines above the list are scrolled,
	// when they do not fit over it.
	top int
}

var cleanupKeyMap = struct {
	Up, Down, Pick, PickAll, Clean key.Binding
	ScrollUp, ScrollDown           key.Binding
}{
	ScrollUp:   binding("pgup", "scroll up", "pgup"),
	ScrollDown: binding("pgdn", "scroll down", "pgdown"),
	Up:         binding("↑/k", "previous resource", "up", "k"),
	Down:       binding("↓/j", "next resource", "down", "j"),
	Pick:       binding("space", "pick", "space"),
	PickAll:    binding("a", "pick all", "a"),
	Clean:      binding("c", "clean up", "c"),
}

func resourceKey(r runbook.Resource) string { return r.Type + "|" + r.ID + "|" + r.Region }

func (c *cleanupList) clamp(st runbook.State) {
	rs := blastRadius(st)
	c.sel = max(0, min(c.sel, len(rs)-1))
	for _, r := range rs {
		if c.picked[resourceKey(r)] && !removable(st, r) {
			delete(c.picked, resourceKey(r)) // gone, or never removable
		}
	}
}

// blastRadius is what the clean-up offers: the attacker's resources, never
// a legitimate caller's own.
func blastRadius(st runbook.State) []runbook.Resource {
	return st.Investigate.Investigation.AttackerResources()
}

// removable reports whether keyrunbook can still remove r: not gone yet,
// and not a temporary credential, which no AWS call deletes.
func removable(st runbook.State, r runbook.Resource) bool {
	return r.Type != "temporary-credentials" && !cleanedUp(st, r)
}

func (c *cleanupList) update(k tea.KeyPressMsg, st runbook.State) (intent, bool) {
	switch {
	case key.Matches(k, cleanupKeyMap.ScrollDown):
		c.top += scrollStep // under() stops it at the last line
		return intent{}, true
	case key.Matches(k, cleanupKeyMap.ScrollUp):
		c.top = max(c.top-scrollStep, 0)
		return intent{}, true
	}
	rs := blastRadius(st)
	if len(rs) == 0 {
		return intent{}, false
	}
	if c.picked == nil {
		c.picked = map[string]bool{}
	}
	switch {
	case key.Matches(k, cleanupKeyMap.Up):
		c.sel = max(c.sel-1, 0)
	case key.Matches(k, cleanupKeyMap.Down):
		c.sel = min(c.sel+1, len(rs)-1)
	case key.Matches(k, cleanupKeyMap.Pick):
		r := rs[c.sel]
		if !removable(st, r) {
			return intent{note: cannotPick(st, r)}, true
		}
		c.picked[resourceKey(r)] = !c.picked[resourceKey(r)]
		if !c.picked[resourceKey(r)] {
			delete(c.picked, resourceKey(r))
		}
	case key.Matches(k, cleanupKeyMap.PickAll):
		all := true
		for _, r := range rs {
			if removable(st, r) && !c.picked[resourceKey(r)] {
				all = false
			}
		}
		clear(c.picked)
		if !all {
			for _, r := range rs {
				if removable(st, r) {
					c.picked[resourceKey(r)] = true
				}
			}
		}
	case key.Matches(k, cleanupKeyMap.Clean):
		var targets []runbook.Resource
		for _, r := range rs {
			if c.picked[resourceKey(r)] {
				targets = append(targets, r)
			}
		}
		if len(targets) == 0 {
			if r := rs[c.sel]; !removable(st, r) {
				return intent{note: cannotPick(st, r)}, true
			}
			targets = []runbook.Resource{rs[c.sel]}
		}
		return intent{event: runbook.CleanUp{Resources: targets}}, true
	default:
		return intent{}, false
	}
	return intent{}, true
}

// cannotPick says why a row of the checklist is not for clean-up.
func cannotPick(st runbook.State, r runbook.Resource) string {
	if r.Type == "temporary-credentials" {
		if st.CredentialRevoked(r) {
			return r.ID + " is revoked: the deny on its sessions stands until it expires; no AWS call deletes it"
		}
		return r.ID + " is a temporary credential: no AWS call deletes it; S revokes the sessions the key minted"
	}
	return r.Type + " " + r.ID + " is already removed"
}

func (c cleanupList) keys(f frame) []key.Binding {
	if len(blastRadius(f.st)) == 0 {
		return nil
	}
	return []key.Binding{cleanupKeyMap.Clean, cleanupKeyMap.PickAll, cleanupKeyMap.Pick, cleanupKeyMap.Down, cleanupKeyMap.Up}
}

// scrollKeys scroll a step's lines laid out by under.
func (c cleanupList) scrollKeys() []key.Binding {
	return []key.Binding{cleanupKeyMap.ScrollDown, cleanupKeyMap.ScrollUp}
}

func sameResource(a, b runbook.Resource) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Region == b.Region
}

func cleanedUp(st runbook.State, r runbook.Resource) bool {
	for _, x := range st.Delete.CleanedUp {
		if sameResource(x, r) {
			return true
		}
	}
	return false
}

func cleaning(inflight map[int]runbook.Effect, r runbook.Resource) bool {
	for _, e := range inflight {
		if x, ok := e.(runbook.CleanUpResource); ok && sameResource(x.Resource, r) {
			return true
		}
	}
	return false
}

// view lists the resources in at most rows lines, keeping the selected one
// in sight.
func (c cleanupList) view(f frame, rows int) []string {
	rs := blastRadius(f.st)
	sty := f.sty
	if len(rs) == 0 {
		return []string{sty.Muted.Render("Blast radius: nothing the key created or changed was found.")}
	}
	done := 0
	for _, r := range rs {
		if cleanedUp(f.st, r) {
			done++
		}
	}
	picked := ""
	if n := len(c.picked); n > 0 {
		picked = fmt.Sprintf(" · %d picked", n)
	}
	lines := []string{sty.Title.Render("Attacker's resources") + sty.Muted.Render(fmt.Sprintf(" · %d of %d cleaned up%s", done, len(rs), picked))}
	rows = max(rows-1, 1)
	first := max(0, min(c.sel-rows+1, len(rs)-rows))
	for i := first; i < min(first+rows, len(rs)); i++ {
		r := rs[i]
		mark := "  "
		if i == c.sel {
			mark = sty.Current.Render("▸ ")
		}
		box := "[ ] "
		switch {
		case c.picked[resourceKey(r)]:
			box = "[x] "
		case !removable(f.st, r):
			box = "    "
		}
		state := sty.Danger.Render("✗ present")
		switch {
		case cleanedUp(f.st, r) && f.st.Mode == runbook.ModeDryRun:
			state = sty.Warning.Render("would be removed")
		case cleanedUp(f.st, r):
			state = sty.OK.Render("✓ removed")
		case cleaning(f.inflight, r):
			state = f.spin + " removing"
		case r.Type == "temporary-credentials" && f.st.CredentialRevoked(r):
			state = sty.OK.Render("✓ revoked")
		case r.Type == "temporary-credentials":
			state = sty.Warning.Render("! S revokes")
		}
		state = mark + box + state
		where := r.ID
		if r.Parent != "" {
			where += " (" + r.Parent + ")"
		}
		if r.Region != "" {
			where += " " + r.Region
		}
		lines = append(lines, clip(state+" "+fmt.Sprintf("%-13s %s ", r.Type, where)+sty.Muted.Render("("+r.Action+")"), f.w))
	}
	return lines
}

// listMinRows is the least the checklist keeps under a step: its title and
// the rows around the selection, so the row c acts on is on screen.
const listMinRows = 5

// under lays out a step's lines with the checklist below them. When both do
// not fit, the step's lines scroll (pgup/pgdn) in the room the list leaves,
// all but their last keep (a text field), which stay in place; a line says
// what is hidden and where, rather than the list falling off the screen.
func (c cleanupList) under(f frame, above []string, keep int) string {
	rs := blastRadius(f.st)
	reserve := 1
	if len(rs) > 0 {
		reserve = min(len(rs)+1, listMinRows)
	}
	room := f.h - reserve
	if len(above) > room && room > keep+2 {
		body, tail := above[:len(above)-keep], above[len(above)-keep:]
		show := room - keep - 1 // one line says what is hidden
		top := min(c.top, len(body)-show)
		more := fmt.Sprintf("… lines %d–%d of %d · pgdn/pgup scroll", top+1, top+show, len(body))
		above = append(append(append([]string(nil), body[top:top+show]...), f.sty.Muted.Render(more)), tail...)
	}
	return strings.Join(append(above, c.view(f, f.h-len(above))...), "\n")
}

// scrollStep is how far pgup/pgdn move the step's lines: most of the room
// an 80×24 screen leaves over the list.
const scrollStep = 10
