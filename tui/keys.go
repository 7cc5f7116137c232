package tui

import "charm.land/bubbles/v2/key"

// globalKeys work on every step, unless a text field has the keyboard
// (then only ctrl+c and esc do, so typing an "A" never aborts).
type globalKeys struct {
	Help  key.Binding
	Quit  key.Binding
	Leave key.Binding
	Abort key.Binding
	Retry key.Binding
	Hint  key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Leave: key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Abort: key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "abort")),
		Retry: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Hint:  key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hint")),
	}
}

// dialogKeys drive every prompt and confirmation.
type dialogKeys struct {
	Confirm key.Binding
	Cancel  key.Binding
	Yes     key.Binding
	No      key.Binding
	Up      key.Binding
	Down    key.Binding
}

func newDialogKeys() dialogKeys {
	return dialogKeys{
		Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Yes:     key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:      key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Up:      key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "scroll up")),
		Down:    key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "scroll down")),
	}
}

// binding builds one key of a step view's keymap.
func binding(helpKey, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
}
