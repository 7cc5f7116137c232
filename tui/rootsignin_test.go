package tui

import (
	tea "charm.land/bubbletea/v2"

	"os"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// rootDrill is the MFA code the scripted root device shows.
const rootDrillCode = "492817"

func rootIdentified() runbook.KeyIdentified {
	id := fixtureIdentified()
	mfa := true
	id.Key.User, id.Key.Root, id.Key.UserARN, id.Key.RootMFA = "", true, runbook.RootARN(testAccount), &mfa
	id.Key.AttachedPolicies, id.Key.InlinePolicies, id.Key.Groups = nil, nil, nil
	return id
}

// asRootDrill makes the harness's key the root user's, with a root user
// whose MFA device shows rootDrillCode.
func asRootDrill(h *harness) {
	h.x.rootKey, h.x.mfaCode = true, rootDrillCode
	h.m.opts.Training.RootSignIn = &RootSignInInfo{Email: "aws-root@example.com",
		Device: "arn:aws:iam::" + testAccount + ":mfa/root-account-mfa-device", Code: func() string { return rootDrillCode }}
}

// The drill takes the trainee through the root sign-in before the root
// key's first change: deactivation waits, the device's code is shown on
// request, a wrong code is refused and shown, the right one gives root's
// session, and the change is then journaled as root's.
func TestRootSignInScreen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeTraining)
	asRootDrill(h)
	h.toDeactivate()
	h.wantScreen("Sign in as root", "aws-root@example.com", "m: look at it", "Then, as root: the deactivation")
	if strings.Contains(h.screen(), rootDrillCode) {
		t.Fatal("the device's code is on screen before the trainee looked at it")
	}
	h.press("m")
	h.wantScreen("MFA code: " + rootDrillCode)
	h.press("enter")
	h.wantScreen("Sign in as the root user", "The device showed "+rootDrillCode)
	h.typeText("12")
	h.press("enter")
	h.wantScreen("an MFA code is the 6 digits")
	h.press("ctrl+u")
	h.typeText("000000")
	h.press("enter")
	h.wantScreen("authentication information is incorrect")
	if h.m.State().Contain.RootAccess != nil || h.step() != runbook.StepDeactivate {
		t.Fatal("a wrong code gave a root session")
	}
	h.press("enter")
	h.typeText(rootDrillCode)
	h.press("enter")
	h.wantScreen("Deactivate · turn the key off", "✓ signed in: root sign-in with MFA as", "arn:aws:iam::"+testAccount+":root at")
	h.press("enter")
	h.typeText("yes")
	h.press("enter")
	h.wantStep(runbook.StepDelete)

	raw, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	for _, rec := range readRecords(t, h.path) {
		if strings.Contains(string(rec.Data), rootDrillCode) || strings.Contains(string(rec.Data), `"000000"`) {
			t.Errorf("an MFA code is in the action log: %s %s", rec.Name, rec.Data)
		}
	}
	var sawUpdate bool
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"operation":"UpdateAccessKey"`) {
			sawUpdate = true
			if !strings.Contains(line, `"actor":"arn:aws:iam::`+testAccount+`:root"`) {
				t.Errorf("the root key's UpdateAccessKey is not journaled as root's: %s", line)
			}
		}
	}
	if !sawUpdate {
		t.Error("no UpdateAccessKey in the log")
	}
}

func readRecords(t *testing.T, path string) []runbook.Record {
	t.Helper()
	recs, res, err := runbook.ReadJournalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Fatalf("the action log does not verify: %s", res.Reason)
	}
	return recs
}

// The root-key drill in a real program at 80×24: the sign-in screen, the
// device looked at, a wrong code refused, the right one, deactivation as
// root, the watch, the deletion.
func TestProgramRootSignIn(t *testing.T) {
	t.Parallel()
	x := newScript()
	x.rootKey, x.mfaCode = true, rootDrillCode
	p := startProgram(t, x, func(tr *TrainingInfo) {
		tr.RootSignIn = &RootSignInInfo{Email: "aws-root@example.com", Device: "arn:aws:iam::" + testAccount + ":mfa/root-account-mfa-device",
			Code: func() string { return rootDrillCode }}
	})
	p.toReplaced("root user of " + testAccount)
	p.press("enter")
	p.waitFor("Sign in as root", "aws-root@example.com", "m: look at it")
	p.press("m")
	p.waitFor("MFA code: " + rootDrillCode)
	p.press("enter")
	p.waitFor("Sign in as the root user")
	p.tm.Type("999999")
	p.press("enter")
	p.waitFor("authentication information is incorrect", "Press enter to sign in again")
	p.press("enter")
	p.waitFor("Sign in as the root user")
	p.tm.Type(rootDrillCode)
	p.press("enter")
	p.waitFor("Deactivate · turn the key off", "✓ signed in: root sign-in with MFA")
	p.press("enter")
	p.waitForCalls("type yes:", "iam UpdateAccessKey")
	p.tm.Type("yes")
	p.press("enter")
	p.waitFor("Delete · remove the key for good", "✓ the watch (30m00s) passed")
	p.press("ctrl+c")
	p.waitFor("Leave this incident?")
	p.press("y")

	st := p.final().State()
	if st.Contain.RootAccess == nil || st.Contain.RootAccess.Actor != runbook.RootARN(testAccount) || st.Intake.Key.Status != runbook.KeyInactive {
		t.Fatalf("root access %+v, key %s; want root's session and the key inactive", st.Contain.RootAccess, st.Intake.Key.Status)
	}
}

// TestMemberRootKeyDeletedInAnAssumeRootSession: a member account's root
// key is contained without root (the SCP), but its deletion needs root's
// session: the Delete screen says it is not open, refuses the deletion
// until it is, and s opens it through sts:AssumeRoot.
func TestMemberRootKeyDeletedInAnAssumeRootSession(t *testing.T) {
	h := newHarness(t, runbook.ModeTraining)
	h.x.rootKey, h.x.orgMember = true, true
	h.toDelete()
	h.wantScreen("root's session: not open", "sts:AssumeRoot")
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepDelete)
	if strings.Contains(strings.Join(h.x.effectsRun(), ","), "DeleteKey") {
		t.Fatal("the deletion was sent before root's session was open")
	}
	h.press("esc", "s")
	if !strings.Contains(strings.Join(h.x.effectsRun(), ","), "ObtainRootCredentials") {
		t.Fatalf("s did not open root's session: effects %v", h.x.effectsRun())
	}
	if st := h.m.State(); st.Contain.RootAccess == nil || st.Contain.RootAccess.Method != runbook.RootAssume {
		t.Fatalf("root access after s: %+v, want an AssumeRoot session", st.Contain.RootAccess)
	}
	if strings.Contains(h.screen(), "root's session: not open") {
		t.Fatalf("the screen still says root's session is not open:\n%s", h.screen())
	}
	h.typeText(runbook.LastFour(testKey))
	h.press("enter")
	h.wantStep(runbook.StepHarden)
}

// Root's calls are on screen before root's session exists, marked as
// root's after the sign-in (or in the session sts:AssumeRoot opens), and
// read again in the session once it does.
func TestRootCallsShownBeforeTheSession(t *testing.T) {
	t.Parallel()
	t.Run("standalone", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, runbook.ModeTraining)
		h.send(tea.WindowSizeMsg{Width: 200, Height: 50})
		asRootDrill(h)
		h.toDeactivate()
		h.wantScreen("Sign in as root", `iam UpdateAccessKey {"AccessKeyId": "`+testKey+`", "Status": "Inactive"} (as root, after sign-in)`)
		h.press("enter")
		h.typeText(rootDrillCode)
		h.press("enter")
		h.wantScreen("✓ signed in", `iam UpdateAccessKey {"AccessKeyId": "`+testKey+`", "Status": "Inactive"} (as root)`)
		if strings.Contains(h.screen(), "after sign-in") {
			t.Fatalf("signed in, the screen still says the call waits for the sign-in:\n%s", h.screen())
		}
	})
	t.Run("member", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, runbook.ModeTraining)
		h.send(tea.WindowSizeMsg{Width: 200, Height: 50})
		h.x.rootKey, h.x.orgMember = true, true
		h.toDelete()
		h.wantScreen("root's session: not open", `sts AssumeRoot {"TargetPrincipal": "`+testAccount+`"`,
			`iam DeleteAccessKey {"AccessKeyId": "`+testKey+`"} (as root, in the sts:AssumeRoot session)`)
	})
}
