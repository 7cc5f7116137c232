package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The organization view (keyrunbook org in a terminal): the audit's table,
// riskiest first; enter picks an account to open the runbook of its root
// key; r reviews the keys no caller used and retires them in one go,
// after the responder types their count. The view holds no AWS logic: the
// retirement is OrgOptions.Retire, which journals each deletion.

// OrgOptions feeds the organization view.
type OrgOptions struct {
	Mode runbook.Mode
	// Organization names it in the header.
	Organization string
	// Accounts are the audited accounts, riskiest first.
	Accounts []runbook.RootAudit
	Now      time.Time
	Window   time.Duration
	// Advice, when set, says centralized root access is off and how to
	// enable it.
	Advice string
	// Retire deletes root keys and returns each one's outcome.
	Retire func(ctx context.Context, keys []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error)
	// RetireRefusal, when set, says why no key can be deleted (a feature of
	// centralized root access is off) and how to enable it: r shows it
	// instead of the review.
	RetireRefusal string
}

type orgScreen int

const (
	orgTable orgScreen = iota
	orgReview
	orgRetiring
)

// OrgModel is the organization view.
type OrgModel struct {
	o        OrgOptions
	rows     []runbook.RootAudit // accounts with a root key, or maybe one
	cursor   int
	screen   orgScreen
	input    textinput.Model
	review   []runbook.RootKeyRetirement
	outcomes []runbook.RootKeyRetirement
	err      string
	chosen   *runbook.RootAudit
	width    int
	sty      styles
	keys     orgKeyMap
}

type orgKeyMap struct {
	Up, Down, Open, Retire, Back, Quit key.Binding
}

func newOrgKeyMap() orgKeyMap {
	return orgKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open its runbook")),
		Retire: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retire unused keys")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// retiredMsg carries the retirement's outcomes.
type retiredMsg struct {
	outcomes []runbook.RootKeyRetirement
	err      error
}

// NewOrg builds the organization view.
func NewOrg(o OrgOptions) OrgModel {
	m := OrgModel{o: o, sty: newStyles(true, false), keys: newOrgKeyMap()}
	for _, a := range o.Accounts {
		if a.HasKeys != runbook.No {
			m.rows = append(m.rows, a)
		}
	}
	m.input = textinput.New()
	m.input.Prompt = "> "
	m.input.SetStyles(m.sty.inputStyles())
	return m
}

// Chosen is the account picked to open the runbook of its root key.
func (m OrgModel) Chosen() (runbook.RootAudit, bool) {
	if m.chosen == nil {
		return runbook.RootAudit{}, false
	}
	return *m.chosen, true
}

// Init implements tea.Model.
func (m OrgModel) Init() tea.Cmd { return tea.RequestBackgroundColor }

// retirable are the keys of every account no caller used in the window.
func (m OrgModel) retirable() []runbook.RootKeyRetirement {
	var out []runbook.RootKeyRetirement
	for _, a := range m.rows {
		if a.Retirable(m.o.Now, m.o.Window) {
			for _, k := range a.Keys {
				out = append(out, runbook.RootKeyRetirement{Account: a.Account, KeyID: k.ID})
			}
		}
	}
	return out
}

// Update implements tea.Model.
func (m OrgModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.sty = newStyles(msg.IsDark(), false)
		return m, nil
	case tea.WindowSizeMsg:
		m.width = msg.Width
		return m, nil
	case retiredMsg:
		m.screen, m.outcomes = orgTable, msg.outcomes
		if msg.err != nil {
			m.err = msg.err.Error()
		}
		m.applyOutcomes()
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	if m.screen == orgReview {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m OrgModel) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.screen {
	case orgRetiring:
		return m, nil // the deletions finish before anything else
	case orgReview:
		switch {
		case key.Matches(msg, m.keys.Back):
			m.screen, m.err = orgTable, ""
			return m, nil
		case msg.String() == "enter":
			if strings.TrimSpace(m.input.Value()) != strconv.Itoa(len(m.review)) {
				m.err = fmt.Sprintf("type %d, the number of keys, to delete them; esc goes back", len(m.review))
				return m, nil
			}
			m.screen, m.err = orgRetiring, ""
			keys, retire := m.review, m.o.Retire
			return m, func() tea.Msg {
				out, err := retire(context.Background(), keys)
				return retiredMsg{out, err}
			}
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, m.keys.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, m.keys.Down):
		m.cursor = min(len(m.rows)-1, m.cursor+1)
	case key.Matches(msg, m.keys.Open) && len(m.rows) > 0:
		a := m.rows[m.cursor]
		m.chosen = &a
		return m, tea.Quit
	case key.Matches(msg, m.keys.Retire):
		m.review = m.retirable()
		if len(m.review) == 0 {
			m.err = "no root key is unused in the window: each needs its runbook"
			return m, nil
		}
		if m.o.Retire == nil {
			m.err = "retirement is not available here"
			return m, nil
		}
		if m.o.RetireRefusal != "" {
			m.err = m.o.RetireRefusal
			return m, nil
		}
		m.screen, m.err = orgReview, ""
		m.input.SetValue("")
		return m, m.input.Focus()
	}
	return m, nil
}

// applyOutcomes removes the deleted keys from the table.
func (m *OrgModel) applyOutcomes() {
	gone := map[string]bool{}
	for _, r := range m.outcomes {
		if r.Outcome == "deleted" {
			gone[r.KeyID] = true
		}
	}
	var rows []runbook.RootAudit
	for _, a := range m.rows {
		var keys []runbook.RootKey
		for _, k := range a.Keys {
			if !gone[k.ID] {
				keys = append(keys, k)
			}
		}
		if a.HasKeys == runbook.Yes && len(a.Keys) > 0 && len(keys) == 0 {
			continue // every root key of the account is gone
		}
		a.Keys = keys
		rows = append(rows, a)
	}
	m.rows = rows
	m.cursor = min(m.cursor, max(0, len(rows)-1))
}
