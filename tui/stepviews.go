package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// stepView is one step's screen, as a bubbles component is: what a key does
// there (Update), what it shows (View) and the keys it offers (KeyMap, for
// the help line and the full help). The root model hands each to the
// current step's view, found by step in stepViews: adding a step is one
// entry there, not a case in three switches.
type stepView interface {
	Update(k tea.KeyPressMsg, f frame) (intent, tea.Cmd)
	View(f frame) string
	KeyMap(f frame) []key.Binding
}

// stepFuncs is a stepView made of a step's functions; a nil one does
// nothing (no key, no binding).
type stepFuncs struct {
	update func(tea.KeyPressMsg, frame) (intent, tea.Cmd)
	view   func(frame) string
	keys   func(frame) []key.Binding
}

func (s stepFuncs) Update(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) {
	if s.update == nil {
		return intent{}, nil
	}
	return s.update(k, f)
}

func (s stepFuncs) View(f frame) string { return s.view(f) }

func (s stepFuncs) KeyMap(f frame) []key.Binding {
	if s.keys == nil {
		return nil
	}
	return s.keys(f)
}

// noCmd lifts an update that starts no command.
func noCmd(update func(tea.KeyPressMsg, frame) intent) func(tea.KeyPressMsg, frame) (intent, tea.Cmd) {
	return func(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) { return update(k, f), nil }
}

// stepViews are the step views by step, over m's own fields. They are built
// on each use, never kept: Bubble Tea copies the model on every update, and
// a view kept from an earlier copy would change that copy. A step missing
// here (Closed, Aborted) shows the closing screen and takes no step keys.
func (m *Model) stepViews() map[runbook.Step]stepView {
	c := &m.cleanup
	watch := func(f frame) string { return watchView(f, *c) }
	return map[runbook.Step]stepView{
		runbook.StepIntake: stepFuncs{
			update: func(k tea.KeyPressMsg, _ frame) (intent, tea.Cmd) { return m.intake.update(k) },
			view:   m.intake.view,
			keys:   func(frame) []key.Binding { return m.intake.keys() },
		},
		runbook.StepIdentify:    stepFuncs{update: noCmd(identifyUpdate), view: identifyView, keys: identifyKeys},
		runbook.StepInvestigate: stepFuncs{update: noCmd(m.investigate.update), view: m.investigate.view, keys: m.investigate.keys},
		runbook.StepPropose:     stepFuncs{update: noCmd(m.propose.update), view: m.propose.view, keys: m.propose.keys},
		runbook.StepReplace:     stepFuncs{update: noCmd(m.replace.update), view: m.replace.view, keys: m.replace.keys},
		runbook.StepDeactivate: stepFuncs{
			update: func(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) {
				if f.st.NeedsRootSignIn() {
					if it, ok := m.rootSignInUpdate(k, f); ok {
						return it, nil
					}
				}
				return deactivateUpdate(k, f, c), nil
			},
			view: func(f frame) string { return deactivateView(f, *c, m.phone) },
			keys: func(f frame) []key.Binding {
				return append(append(deactivateKeys(f), c.keys(f)...), c.scrollKeys()...)
			},
		},
		runbook.StepWatch: stepFuncs{
			update: func(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) { return watchUpdate(k, f, c), nil },
			view:   watch,
			keys: func(f frame) []key.Binding {
				return append(append(watchKeys(f), c.keys(f)...), c.scrollKeys()...)
			},
		},
		// Reactivating shows the watch while the key comes back; it takes
		// no keys of its own.
		runbook.StepReactivate: stepFuncs{view: watch},
		runbook.StepDelete: stepFuncs{
			update: func(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) { return m.remove.update(k, f, c) },
			view:   func(f frame) string { return m.remove.view(f, *c) },
			keys:   func(f frame) []key.Binding { return m.remove.keys(f, *c) },
		},
		runbook.StepHarden: stepFuncs{
			update: func(k tea.KeyPressMsg, f frame) (intent, tea.Cmd) { return m.harden.update(k, f, c), nil },
			view:   func(f frame) string { return m.harden.view(f, *c) },
			keys:   func(f frame) []key.Binding { return append(m.harden.keys(f), c.keys(f)...) },
		},
	}
}
