package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// intakeView takes the leaked key's ID, checked as it is typed, and when
// the key was exposed, if the responder knows (issue 14: callers new after
// it are the responder's to decide).
type intakeView struct {
	input   textinput.Model
	exposed textinput.Model
	km      intakeKeys
}

type intakeKeys struct {
	Submit key.Binding
	Leave  key.Binding
	Edit   key.Binding
	Next   key.Binding
}

// exposedLayout is how the exposure time is typed: UTC, to the minute.
const exposedLayout = "2006-01-02 15:04"

func newIntakeView(keyID string, exposedAt time.Time, sty styles) intakeView {
	in := textinput.New()
	in.SetStyles(sty.inputStyles())
	in.Prompt = "Key ID › "
	in.Placeholder = "AKIA… (20 characters)"
	// Long enough to hold a mistaken paste, whose length the message names.
	in.CharLimit = 128
	in.Validate = func(s string) error {
		_, err := runbook.ParseKeyID(s)
		return err
	}
	in.SetValue(keyID)
	in.Focus()
	ex := textinput.New()
	ex.SetStyles(sty.inputStyles())
	ex.Prompt = "Exposed at (UTC) › "
	ex.Placeholder = "YYYY-MM-DD HH:MM (empty: unknown)"
	ex.CharLimit = 32
	ex.Validate = func(s string) error {
		_, err := parseExposed(s)
		return err
	}
	if !exposedAt.IsZero() {
		ex.SetValue(exposedAt.UTC().Format(exposedLayout))
	}
	v := intakeView{input: in, exposed: ex, km: intakeKeys{
		Submit: binding("enter", "identify the key", "enter"),
		Leave:  binding("esc", "leave the field", "esc"),
		Edit:   binding("i", "edit the key ID", "i", "enter"),
		Next:   binding("tab", "key ID / exposure time", "tab"),
	}}
	v.mask()
	return v
}

// parseExposed reads the exposure time; empty is "unknown".
func parseExposed(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(exposedLayout, s)
	if err != nil {
		return time.Time{}, errExposedLayout
	}
	return t, nil
}

var errExposedLayout = errorString("write the exposure time as YYYY-MM-DD HH:MM (UTC), or leave it empty")

type errorString string

func (e errorString) Error() string { return string(e) }

func (v intakeView) focus() tea.Cmd {
	if v.input.Focused() {
		return v.input.Focus()
	}
	return nil
}

// focused reports whether one of the fields has the keyboard.
func (v intakeView) focused() bool { return v.input.Focused() || v.exposed.Focused() }

func (v *intakeView) setWidth(w int) {
	v.input.SetWidth(max(w-12, 20))
	v.exposed.SetWidth(max(w-22, 20))
}

func (v *intakeView) update(k tea.KeyPressMsg) (intent, tea.Cmd) {
	if !v.focused() {
		if key.Matches(k, v.km.Edit) {
			return intent{}, v.input.Focus()
		}
		return intent{}, nil
	}
	switch {
	case key.Matches(k, v.km.Leave):
		v.input.Blur()
		v.exposed.Blur()
		return intent{}, nil
	case key.Matches(k, v.km.Next):
		if v.input.Focused() {
			v.input.Blur()
			return intent{}, v.exposed.Focus()
		}
		v.exposed.Blur()
		return intent{}, v.input.Focus()
	case key.Matches(k, v.km.Submit):
		id, err := runbook.ParseKeyID(v.input.Value())
		if err != nil {
			// Never sent to the machine: a refused event is journaled
			// with its input, and a mistaken paste may be a secret.
			return intent{note: err.Error()}, nil
		}
		exposedAt, err := parseExposed(v.exposed.Value())
		if err != nil {
			return intent{note: err.Error()}, nil
		}
		return intent{event: runbook.SubmitKey{KeyID: id, ExposedAt: exposedAt}}, nil
	}
	var cmd tea.Cmd
	*v, cmd = v.updateField(k)
	return intent{}, cmd
}

// updateField passes typing and pastes to the text field.
func (v intakeView) updateField(msg tea.Msg) (intakeView, tea.Cmd) {
	var cmd tea.Cmd
	if v.exposed.Focused() {
		v.exposed, cmd = v.exposed.Update(msg)
		return v, cmd
	}
	v.input, cmd = v.input.Update(msg)
	v.mask()
	return v, cmd
}

// mask hides what looks like a secret access key pasted by mistake: 40
// characters of base64 that are not an ID must not stay on the screen.
func (v *intakeView) mask() {
	if looksSecret(v.input.Value()) {
		v.input.EchoMode = textinput.EchoPassword
	} else {
		v.input.EchoMode = textinput.EchoNormal
	}
}

// looksSecret reports a value shaped like a secret access key: no key-ID
// prefix and at least 30 characters of base64.
func looksSecret(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 30 || strings.HasPrefix(s, "AKIA") || strings.HasPrefix(s, "ASIA") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return true
}

func (v intakeView) keys() []key.Binding {
	if v.focused() {
		return []key.Binding{v.km.Submit, v.km.Next, v.km.Leave}
	}
	return []key.Binding{v.km.Edit}
}

func (v intakeView) view(f frame) string {
	sty := f.sty
	// The warning about the secret is the line a responder must read
	// whole: it wraps, never cut at a narrow terminal.
	lines := []string{sty.Heading.Render("Intake")}
	lines = append(lines, wrapParagraph(plain, "Which access key leaked? Paste its ID (AKIA…), never its secret.", f.w, "")...)
	lines = append(lines, "", v.input.View())
	value := strings.TrimSpace(v.input.Value())
	switch {
	case looksSecret(value):
		lines = append(lines, wrapParagraph(sty.Danger, "✗ this looks like a secret access key, not its ID: it is hidden and will not be used. Clear it (ctrl+u) and paste the ID.", f.w, "  ")...)
	case value == "":
		lines = append(lines, sty.Muted.Render("  AKIA followed by 16 characters (A-Z, 2-7)"))
	case v.input.Err != nil:
		lines = append(lines, wrapParagraph(sty.Warning, "✗ "+v.input.Err.Error(), f.w, "  ")...)
	default:
		lines = append(lines, sty.OK.Render("✓ a long-term access key ID"))
	}
	lines = append(lines, "", v.exposed.View())
	switch {
	case v.exposed.Err != nil:
		lines = append(lines, wrapParagraph(sty.Warning, "✗ "+v.exposed.Err.Error(), f.w, "  ")...)
	case strings.TrimSpace(v.exposed.Value()) == "":
		lines = append(lines, wrapParagraph(sty.Muted, "  unknown (tab to set it): callers are judged by where they run and what they did", f.w, "")...)
	default:
		lines = append(lines, wrapParagraph(sty.Muted, "  a caller first seen after it, from an address and tool the key never used, waits for your verdict", f.w, "")...)
	}
	lines = append(lines, "")
	if t := f.training; t != nil && t.Brief != "" {
		lines = append(lines, sty.Title.Render("Scenario "+t.Scenario))
		lines = append(lines, wrapParagraph(plain, t.Brief, f.w, "")...)
		lines = append(lines, "")
	}
	lines = append(lines, wrapParagraph(sty.Muted, "Next: keyrunbook finds the key's account, owner and status (sts GetCallerIdentity, "+
		"sts GetAccessKeyInfo, iam reads). Reading only: nothing changes until you confirm a change.", f.w, "")...)
	if f.st.Mode == runbook.ModeDryRun {
		lines = append(lines, "", sty.Warning.Render("DRY-RUN: reads are real; no change will be sent to AWS."))
	}
	return strings.Join(lines, "\n")
}
