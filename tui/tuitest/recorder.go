// Package tuitest helps tests that run a Bubble Tea program read its screen.
package tuitest

import (
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Recorder wraps a program's model and keeps the last frame it drew,
// without styling. The renderer writes only the cells that changed, so the
// bytes a program sends to its terminal never hold the screen's text in one
// piece; the frame does.
type Recorder struct {
	tea.Model
	frame *atomic.Pointer[string]
}

// NewRecorder wraps m.
func NewRecorder(m tea.Model) Recorder {
	return Recorder{Model: m, frame: &atomic.Pointer[string]{}}
}

// Update implements tea.Model.
func (r Recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := r.Model.Update(msg)
	r.Model = next
	return r, cmd
}

// View implements tea.Model, noting the frame.
func (r Recorder) View() tea.View {
	v := r.Model.View()
	s := ansi.Strip(v.Content)
	r.frame.Store(&s)
	return v
}

// Screen is the last frame drawn, "" before the first.
func (r Recorder) Screen() string {
	if s := r.frame.Load(); s != nil {
		return *s
	}
	return ""
}
