package tui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// deleteView shows the call that deletes the key and takes the key's last
// four characters as the confirmation the machine checks.
type deleteView struct {
	input textinput.Model
	// armed is set once the field got the keyboard on entering the step.
	armed bool
	km    deleteKeys
}

type deleteKeys struct {
	Delete, Leave, Edit, Rollback, AssumeRoot key.Binding
}

func newDeleteView(sty styles) deleteView {
	in := textinput.New()
	in.SetStyles(sty.inputStyles())
	in.Prompt = "last four › "
	in.Placeholder = "····"
	in.CharLimit = 4
	in.SetWidth(8)
	return deleteView{input: in, km: deleteKeys{
		Delete:   binding("enter", "delete the key", "enter"),
		Leave:    binding("esc", "leave the field", "esc"),
		Edit:     binding("i", "type the last four", "i"),
		Rollback: binding("R", "roll back", "R"),
		// A member's root key is deleted in a root session that
		// sts:AssumeRoot opens from the management account: the drill has
		// the trainee open it, as a responder would.
		AssumeRoot: binding("s", "open root's session (sts:AssumeRoot)", "s"),
	}}
}

// arm gives the field the keyboard when the step opens.
func (v *deleteView) arm() {
	v.armed = true
	v.input.Reset()
	v.input.Focus()
}

func (v *deleteView) update(k tea.KeyPressMsg, f frame, c *cleanupList) (intent, tea.Cmd) {
	if !v.input.Focused() {
		switch {
		case key.Matches(k, v.km.Edit):
			return intent{}, v.input.Focus()
		case key.Matches(k, v.km.Rollback):
			return intent{prompt: rollbackPrompt(f.st)}, nil
		case key.Matches(k, v.km.AssumeRoot) && f.st.NeedsRootSignIn():
			return intent{event: runbook.SignInAsRoot{}}, nil
		case !key.Matches(k, c.keys(f)...) && keyIDChar(k):
			// A character of a key ID that no key here is bound to is
			// the responder typing the last four: it goes into the field
			// instead of being dropped until i is pressed.
			focus := v.input.Focus()
			var cmd tea.Cmd
			v.input, cmd = v.input.Update(k)
			return intent{}, tea.Batch(focus, cmd)
		}
		it, _ := c.update(k, f.st)
		return it, nil
	}
	switch {
	case key.Matches(k, v.km.Leave):
		v.input.Blur()
		return intent{}, nil
	case key.Matches(k, v.km.Delete):
		typed := v.input.Value()
		v.input.Reset()
		// The call is on screen and the last four typed: that is the
		// confirmation, checked by the machine (a mismatch is refused).
		return intent{event: runbook.ConfirmDelete{Typed: typed}, confirmed: true}, nil
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(k)
	return intent{}, cmd
}

func (v deleteView) keys(f frame, c cleanupList) []key.Binding {
	if v.input.Focused() {
		return []key.Binding{v.km.Delete, v.km.Leave}
	}
	ks := []key.Binding{v.km.Edit, v.km.Rollback}
	if f.st.NeedsRootSignIn() {
		ks = append([]key.Binding{v.km.AssumeRoot}, ks...)
	}
	return append(append(ks, c.keys(f)...), c.scrollKeys()...)
}

func (v deleteView) view(f frame, c cleanupList) string {
	st, sty := f.st, f.sty
	lines := []string{sty.Heading.Render("Delete") + sty.Muted.Render(" · remove the key for good")}
	check := func(ok bool, text string) string {
		if ok {
			return sty.OK.Render("✓ ") + text
		}
		return sty.Danger.Render("✗ ") + text
	}
	if st.Mode == runbook.ModeDryRun {
		// Nothing was turned off, so nothing was watched: say what a live
		// run would have done here, not that it happened.
		lines = append(lines,
			sty.Warning.Render("· ")+"the key would be Inactive (dry-run: it is still Active)",
			sty.Warning.Render("· ")+"the watch would run "+shortDur(st.Watch.Window)+" after a real deactivation (dry-run: not watched)",
		)
	} else {
		lines = append(lines, keyInactiveLines(f)...)
		if st.NeedsRootSignIn() {
			lines = append(lines, wrapAfterPrefix(sty.Warning.Render("· "), "root's session: not open. s opens it with sts:AssumeRoot from the management account (task policy IAMDeleteRootUserCredentials, 15 minutes at most); the deletion is made in it, as root", plain, f.w, "  ")...)
		}
		if len(st.Watch.Unread) > 0 {
			lines = append(lines, wrapAfterPrefix(sty.Warning.Render("? "), "the watch: unknown, because "+st.Watch.Unread[0].Text(), plain, f.w, "  ")...)
		} else {
			lines = append(lines, check(st.Watch.Passed && len(st.Watch.Blockers()) == 0, "the watch ("+shortDur(st.Watch.Window)+") passed with nothing blocking"))
		}
	}
	for _, u := range st.Watch.Contained() {
		lines = append(lines, wrapAfterPrefix(sty.OK.Render("· "), u.SourceIP+" still tries the dead key and fails ("+u.Action+"): containment works; deleting the key is the next step.", plain, f.w, "  ")...)
	}
	pending := false
	for _, n := range st.Effects.Pending {
		pending = pending || n == "DeleteKey"
	}
	switch {
	case pending:
		lines = append(lines, f.spin+" Deleting the key…")
	case st.Effects.LastError != nil:
		lines = append(lines, errorLines(f, st.Effects.LastError)...)
	}
	lines = append(lines, "", callsLabel(len(f.stepCalls.calls), st.Mode))
	lines = append(lines, stepCallLines(f)...)
	lines = append(lines, wrapParagraph(sty.Danger, "It cannot be undone: a deleted key cannot be reactivated. To confirm, type the last four characters of "+st.KeyID+".", f.w, "")...)
	if st.Mode == runbook.ModeDryRun {
		lines = append(lines, sty.Warning.Render("DRY-RUN: journaled as would-call; the key is not deleted."))
	}
	// The field keeps its place however short the screen.
	return c.under(f, append(lines, v.input.View(), ""), 2)
}

// keyIDChar reports whether k types one character an access key ID can
// hold (AKIA/ASIA IDs are upper-case base32: A–Z and 2–7).
func keyIDChar(k tea.KeyPressMsg) bool {
	if len(k.Text) != 1 {
		return false
	}
	c := k.Text[0]
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')
}

// keyInactiveLines assert only what the step read of the key in IAM as it
// opened (runbook.ReadKeyStatus): while that read runs they assert nothing,
// when it failed they say unknown and why, and a key someone turned back
// on reads as such, never as "Inactive since" the deactivation.
func keyInactiveLines(f frame) []string {
	st, sty := f.st, f.sty
	line := func(mark, text string) []string { return wrapAfterPrefix(mark, text, plain, f.w, "  ") }
	for _, n := range st.Effects.Pending {
		if n == "ReadKeyStatus" {
			return line(f.spin+" ", "the key's status: reading it again in IAM…")
		}
	}
	for _, e := range st.Effects.Failed {
		if e.EffectName() == "ReadKeyStatus" {
			why := "reading it again failed"
			if st.Effects.LastError != nil && st.Effects.LastError.Effect == "ReadKeyStatus" {
				why = redact(st.Effects.LastError.Message)
			}
			return line(sty.Warning.Render("? "), "the key's status: unknown, because "+why+" (r reads it again)")
		}
	}
	read := ""
	if !st.Delete.KeyReadAt.IsZero() {
		read = " at " + stamp(st.Delete.KeyReadAt)
		if st.Delete.KeyReadFrom != "" {
			read = " (" + st.Delete.KeyReadFrom + ")"
		}
	}
	ok, bad := sty.OK.Render("✓ "), sty.Danger.Render("✗ ")
	switch st.Intake.Key.Status {
	case runbook.KeyInactive:
		if read != "" {
			return line(ok, "IAM reads the key Inactive"+read)
		}
		return line(ok, "the key is Inactive since "+stamp(st.Contain.DeactivatedAt))
	case runbook.KeyGone:
		return line(bad, "the key is already deleted in IAM"+read+": someone deleted it; confirm to record it")
	}
	return line(bad, "the key reads "+string(st.Intake.Key.Status)+" in IAM"+read+": someone turned it back on; roll back (R) and deactivate again")
}

// rereadOnResume reads the key again when a resumed incident opens on the
// Delete step: the status it holds is as old as the log. A read the log
// left pending runs with the other pending effects instead.
func rereadOnResume(opts Options) []runbook.Effect {
	st := opts.Engine.Machine().State()
	if st.Step != runbook.StepDelete || st.Mode == runbook.ModeDryRun || slices.Contains(st.Effects.Pending, "ReadKeyStatus") {
		return nil
	}
	effects, err := opts.Engine.Submit(runbook.RereadKey{})
	if err != nil {
		return nil // the screen then shows the status the log holds, dated
	}
	return effects
}
