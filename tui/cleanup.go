package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// cleanupList is the blast radius (what the key created or changed) with a
// selection, shared by the steps from deactivation on, where the machine
// allows removing the attacker's resources.
type cleanupList struct {
	sel int
}

var cleanupKeyMap = struct {
	Up, Down, Clean key.Binding
}{
	Up:    binding("↑/k", "previous resource", "up", "k"),
	Down:  binding("↓/j", "next resource", "down", "j"),
	Clean: binding("c", "clean up", "c"),
}

func (c *cleanupList) clamp(st runbook.State) {
	n := 0
	if st.Investigation != nil {
		n = len(st.Investigation.BlastRadius)
	}
	c.sel = max(0, min(c.sel, n-1))
}

func blastRadius(st runbook.State) []runbook.Resource {
	if st.Investigation == nil {
		return nil
	}
	return st.Investigation.BlastRadius
}

func (c *cleanupList) update(k tea.KeyPressMsg, st runbook.State) (intent, bool) {
	rs := blastRadius(st)
	if len(rs) == 0 {
		return intent{}, false
	}
	switch {
	case key.Matches(k, cleanupKeyMap.Up):
		c.sel = max(c.sel-1, 0)
	case key.Matches(k, cleanupKeyMap.Down):
		c.sel = min(c.sel+1, len(rs)-1)
	case key.Matches(k, cleanupKeyMap.Clean):
		return intent{event: runbook.CleanUp{Resource: rs[c.sel]}}, true
	default:
		return intent{}, false
	}
	return intent{}, true
}

func (c cleanupList) keys(f frame) []key.Binding {
	if len(blastRadius(f.st)) == 0 {
		return nil
	}
	return []key.Binding{cleanupKeyMap.Clean, cleanupKeyMap.Down, cleanupKeyMap.Up}
}

func sameResource(a, b runbook.Resource) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Region == b.Region
}

func cleanedUp(st runbook.State, r runbook.Resource) bool {
	for _, x := range st.CleanedUp {
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
	lines := []string{sty.Title.Render("Attacker's resources") + sty.Muted.Render(fmt.Sprintf(" · %d of %d cleaned up", done, len(rs)))}
	rows = max(rows-1, 1)
	first := max(0, min(c.sel-rows+1, len(rs)-rows))
	for i := first; i < min(first+rows, len(rs)); i++ {
		r := rs[i]
		mark := "  "
		if i == c.sel {
			mark = sty.Current.Render("▸ ")
		}
		state := sty.Danger.Render("✗ present")
		switch {
		case cleanedUp(f.st, r) && f.st.Mode == runbook.ModeDryRun:
			state = sty.Warning.Render("would remove")
		case cleanedUp(f.st, r):
			state = sty.OK.Render("✓ removed")
		case cleaning(f.inflight, r):
			state = f.spin + " removing"
		}
		where := r.ID
		if r.Parent != "" {
			where += " (" + r.Parent + ")"
		}
		if r.Region != "" {
			where += " " + r.Region
		}
		lines = append(lines, clip(mark+state+" "+fmt.Sprintf("%-13s %s ", r.Type, where)+sty.Muted.Render("("+r.Action+")"), f.w))
	}
	return lines
}
