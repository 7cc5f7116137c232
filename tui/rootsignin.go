package tui

import (
	"fmt"
	"regexp"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The root-key drill's sign-in (issue 18): before a root key's first
// change, the trainee obtains root's credentials as a responder would in
// the console, with the root user's email address, the vault's password
// and the code of the root user's MFA device, which the drill shows on
// request as a phone would.

// RootSignInInfo is the drill's root user: what its sign-in asks for.
type RootSignInInfo struct {
	// Email is the root user's sign-in address.
	Email string
	// Device is the serial of root's virtual MFA device; "" when root has
	// none (the sign-in then asks for no code).
	Device string
	// Code reads the code the device shows now (the simulated clock's).
	Code func() string
}

var rootSignInKeyMap = struct {
	SignIn key.Binding
	Device key.Binding
}{
	SignIn: binding("enter", "sign in as root", "enter"),
	Device: binding("m", "look at the MFA device", "m"),
}

// phone is the root MFA device's code as last looked at.
type phone struct {
	code string
	at   time.Time
}

func rootSignInKeys(f frame) []key.Binding {
	keys := []key.Binding{rootSignInKeyMap.SignIn}
	if rs := rootInfo(f); rs != nil && rs.Device != "" {
		keys = append(keys, rootSignInKeyMap.Device)
	}
	return keys
}

func rootInfo(f frame) *RootSignInInfo {
	if f.training == nil {
		return nil
	}
	return f.training.RootSignIn
}

// rootSignInUpdate handles the sign-in's keys; ok is false for a key it
// leaves to the step (the clean-up list's).
func (m *Model) rootSignInUpdate(k tea.KeyPressMsg, f frame) (intent, bool) {
	rs := rootInfo(f)
	switch {
	case key.Matches(k, rootSignInKeyMap.Device) && rs != nil && rs.Device != "" && rs.Code != nil:
		m.phone = phone{code: rs.Code(), at: f.now}
		return intent{}, true
	case key.Matches(k, rootSignInKeyMap.SignIn):
		return intent{prompt: rootSignInPrompt(rs, m.phone)}, true
	}
	return intent{}, false
}

var mfaCode = regexp.MustCompile(`^[0-9]{6}$`)

func rootSignInPrompt(rs *RootSignInInfo, ph phone) *promptSpec {
	detail := []string{"The root user's MFA code: the 6 digits its MFA device shows now."}
	if rs != nil {
		detail = append([]string{"Email " + rs.Email + " · password from the break-glass vault (filled in)."}, detail...)
	}
	if ph.code != "" {
		detail = append(detail, "The device showed "+ph.code+" at "+ph.at.UTC().Format("15:04:05")+".")
	}
	return &promptSpec{
		title:       "Sign in as the root user",
		detail:      detail,
		placeholder: "MFA code",
		parse: func(a string) (runbook.Event, error) {
			if !mfaCode.MatchString(a) {
				return nil, fmt.Errorf("an MFA code is the 6 digits the device shows (press esc, then m to look at it)")
			}
			return runbook.SignInAsRoot{MFACode: a}, nil
		},
	}
}

// rootSignInLines show what the console asks of a responder signing in as
// root, in place of the change until root's session is obtained.
func rootSignInLines(f frame, ph phone) []string {
	st, sty := f.st, f.sty
	lines := []string{sty.Heading.Render("Sign in as root") + sty.Muted.Render(" · root's key is changed as root")}
	if st.Effects.LastError != nil && st.Effects.LastError.Effect == "ObtainRootCredentials" {
		lines = append(lines, errorLines(f, st.Effects.LastError)...)
	}
	lines = append(lines, wrapParagraph(plain, "Account "+st.Intake.Key.Account+" is standalone (no organization can act for its root), so you sign in to the console as its root user, as a responder would:", f.w, "")...)
	rs := rootInfo(f)
	email, device := "(the root user's email address)", ""
	if rs != nil {
		email, device = rs.Email, rs.Device
	}
	lines = append(lines, wrapAfterPrefix("  1. ", "signin.aws.amazon.com → Root user → "+email, plain, f.w, "     ")...)
	lines = append(lines, wrapAfterPrefix("  2. ", "password: from the break-glass vault (the drill fills it in)", plain, f.w, "     ")...)
	switch {
	case device == "":
		lines = append(lines, wrapAfterPrefix("  3. ", "no MFA device: root signs in with a password alone; enable MFA after the incident", sty.Warning, f.w, "     ")...)
	case ph.code != "":
		lines = append(lines, wrapAfterPrefix("  3. ", "MFA code: "+ph.code+" (your device at "+ph.at.UTC().Format("15:04:05")+"; a new code every 30 s)", sty.Call, f.w, "     ")...)
	default:
		lines = append(lines, "  3. MFA code: from root's device "+sty.Muted.Render("(m: look at it)"))
	}
	if device != "" {
		lines = append(lines, wrapAfterPrefix("     ", device, sty.Muted, f.w, "     ")...)
	}
	// awsops plans root's calls before root's session exists (marked
	// "as root, after sign-in"): nothing is sent until the responder has
	// signed in and confirmed, and the calls are read again in the session.
	lines = append(lines, wrapParagraph(sty.Muted, "Then, as root: the deactivation, sent once you are signed in and confirm it:", f.w, "  ")...)
	return append(lines, stepCallLines(f)...)
}

// rootSessionLine says whose session a root key's change is made with.
func rootSessionLine(f frame) []string {
	a := f.st.Contain.RootAccess
	if a == nil {
		return nil
	}
	return wrapParagraph(f.sty.OK, "✓ signed in: "+a.Text(), f.w, "  ")
}
