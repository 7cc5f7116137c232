package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/list"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// MenuItem is one training scenario in the menu.
type MenuItem struct {
	Name  string
	Brief string // shown cut in the list, whole under it for the selected one
}

// FilterValue implements list.Item: the menu filters by name and brief.
func (i MenuItem) FilterValue() string { return i.Name + " " + i.Brief }

// Title implements list.DefaultItem.
func (i MenuItem) Title() string { return i.Name }

// Description implements list.DefaultItem.
func (i MenuItem) Description() string { return i.Brief }

// MenuModel is the training scenario menu: a list with a one-line brief per
// scenario. Enter picks one and ends the program; Chosen then says which.
type MenuModel struct {
	list   list.Model
	chosen string
	pick   key.Binding
	banner lipgloss.Style
	width  int
}

// NewMenu builds the scenario menu.
func NewMenu(items []MenuItem) MenuModel {
	li := make([]list.Item, len(items))
	for i, it := range items {
		li[i] = it
	}
	l := list.New(li, list.NewDefaultDelegate(), minWidth, minHeight-2)
	l.Title = "Training scenarios"
	l.SetStatusBarItemName("scenario", "scenarios")
	l.Styles = list.DefaultStyles(true)
	// This list version binds its quit key to "v"; the menu leaves on q.
	l.KeyMap.Quit = key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "quit"))
	pick := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start"))
	l.AdditionalShortHelpKeys = func() []key.Binding { return []key.Binding{pick} }
	return MenuModel{list: l, pick: pick, banner: newStyles(true, false).BannerTraining}
}

// Chosen returns the picked scenario's name, and false when the responder
// left the menu without picking one.
func (m MenuModel) Chosen() (string, bool) { return m.chosen, m.chosen != "" }

// Init implements tea.Model: it asks for the background colour, which
// picks light or dark styles.
func (m MenuModel) Init() tea.Cmd { return tea.RequestBackgroundColor }

// Update implements tea.Model.
func (m MenuModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.list.SetSize(msg.Width, max(msg.Height-2-briefLines, 4))
		return m, nil
	case tea.BackgroundColorMsg:
		m.list.Styles = list.DefaultStyles(msg.IsDark())
		return m, nil
	case tea.KeyPressMsg:
		// Enter picks, unless it ends the typing of a filter.
		if key.Matches(msg, m.pick) && m.list.FilterState() != list.Filtering {
			if it, ok := m.list.SelectedItem().(MenuItem); ok {
				m.chosen = it.Name
				return m, tea.Quit
			}
		}
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

// View implements tea.Model.
func (m MenuModel) View() tea.View {
	head := m.banner.Render("TRAINING · simulated account, no AWS needed") + "\n"
	v := tea.NewView(head + "\n" + m.list.View() + "\n" + m.brief())
	v.AltScreen = true
	v.WindowTitle = "keyrunbook · training"
	return v
}

// briefLines is the room under the list for the selected scenario's whole
// brief, which the list's one-line description cuts.
const briefLines = 4

// brief wraps the selected scenario's brief into the lines under the list.
func (m MenuModel) brief() string {
	it, ok := m.list.SelectedItem().(MenuItem)
	if !ok || it.Brief == "" {
		return ""
	}
	w := m.width
	if w <= 0 {
		w = minWidth
	}
	lines := strings.Split(lipgloss.NewStyle().Width(max(w-2, 10)).Render(it.Brief), "\n")
	if len(lines) > briefLines {
		lines = append(lines[:briefLines-1], clip(lines[briefLines-1], max(w-3, 8))+"…")
	}
	return strings.Join(lines, "\n")
}
