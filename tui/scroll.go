package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// lineScroll is a dialog's window over lines that may not fit (the calls a
// confirmation shows, the query a trail source runs): ↑/↓ move it one line,
// and a last line says which lines show. Written once for every dialog.
type lineScroll struct {
	offset int // first line shown, when they do not fit
	lines  int // about how many lines there are, at most
}

// scroll moves the window for ↑ or ↓ and reports whether k was one of them.
func (s *lineScroll) scroll(k tea.KeyPressMsg, dk dialogKeys) bool {
	switch {
	case key.Matches(k, dk.Up):
		s.offset = max(s.offset-1, 0)
	case key.Matches(k, dk.Down):
		// The view stops at the last line; stopping here too keeps ↑
		// answering at once after too many ↓.
		s.offset = min(s.offset+1, s.lines)
	default:
		return false
	}
	return true
}

// window is what of lines fits in room: all of them, or room-1 from the
// offset and a line saying which and how to scroll.
func (s lineScroll) window(lines []string, room int, sty styles) []string {
	if len(lines) <= room {
		return lines
	}
	visible := room - 1 // one line says how to scroll
	first := max(0, min(s.offset, len(lines)-visible))
	end := first + visible
	return append(append([]string(nil), lines[first:end]...),
		sty.Warning.Render(fmt.Sprintf("↑/↓ scroll · lines %d-%d of %d", first+1, end, len(lines))))
}
