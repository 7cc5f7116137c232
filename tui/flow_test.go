package tui

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui/tuitest"
)

// program runs the TUI in a real Bubble Tea program, in an 80×24 terminal.
type program struct {
	t    *testing.T
	tm   *teatest.TestModel
	rec  tuitest.Recorder
	x    *script
	path string
}

func startProgram(t *testing.T, x *script, with ...func(*TrainingInfo)) *program {
	t.Helper()
	en, path := newEngine(t, runbook.ModeTraining)
	tr := training()
	for _, f := range with {
		f(tr)
	}
	m := New(Options{Engine: en, Executor: x, LogPath: path, Training: tr, Now: fixedNow, Plan: x.plan})
	rec := tuitest.NewRecorder(m)
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(80, 24))
	return &program{t: t, tm: tm, rec: rec, x: x, path: path}
}

// waitFor waits until the screen shows every one of subs.
func (p *program) waitFor(subs ...string) {
	p.t.Helper()
	p.waitUntil(func(screen string) bool {
		for _, sub := range subs {
			if !strings.Contains(screen, sub) {
				return false
			}
		}
		return true
	})
}

// waitForCalls waits for a confirmation showing subs once every call it
// will make has been read from the account: enter does nothing before
// that (the calls must be on screen before the go-ahead), so a test that
// presses it while the plan is still read would wait for nothing. The
// step's own body can show a call before the dialog has read it, so the
// wait is for the reading to be over, not for a call's name.
func (p *program) waitForCalls(subs ...string) {
	p.t.Helper()
	p.waitUntil(func(screen string) bool {
		if strings.Contains(screen, "reading the account for the exact calls") || !strings.Contains(screen, "will be made:") {
			return false
		}
		for _, sub := range subs {
			if !strings.Contains(screen, sub) {
				return false
			}
		}
		return true
	})
}

// waitUntil waits until the screen satisfies ok.
func (p *program) waitUntil(ok func(screen string) bool) {
	p.t.Helper()
	teatest.WaitFor(p.t, p.tm.Output(), func([]byte) bool {
		s := p.rec.Screen()
		return s != "" && ok(s)
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// toReplaced drives a fresh program from intake to the replace step with
// both replacements created, confirming each step with its calls on screen;
// owner is how Identify names the key's owner.
func (p *program) toReplaced(owner string) {
	p.waitFor("Key ID ›")
	p.tm.Type(testKey)
	p.press("enter")
	p.waitFor("Owner        " + owner)
	p.press("enter")
	p.waitFor("9231 events · 4 callers")
	p.press("enter")
	p.waitFor("0 of 2 decided")
	p.press("a", "down", "a")
	p.waitFor("2 of 2 decided")
	p.waitUntil(bothProved)
	p.press("enter")
	p.waitForCalls("Create the replacements", "iam CreateRole")
	p.press("enter")
	p.waitUntil(bothCreated)
}

// bothCreated is the replace screen once both replacements exist.
func bothCreated(screen string) bool {
	return strings.Count(screen, "✓ created") == 2
}

func (p *program) press(keys ...string) {
	for _, k := range keys {
		p.tm.Send(keyMsg(k))
	}
}

func (p *program) final() Model {
	p.t.Helper()
	return p.tm.FinalModel(p.t, teatest.WithFinalTimeout(5*time.Second)).(tuitest.Recorder).Model.(Model)
}

func TestProgramWholeTrainingRun(t *testing.T) {
	t.Parallel()
	p := startProgram(t, newScript())
	p.waitFor("Key ID ›", "Scenario iam-user-lambda-ci")
	p.tm.Type(testKey)
	p.waitFor("✓ a long-term access key ID")
	p.press("enter")
	p.waitFor("Owner        IAM user svc-reporting")
	p.press("enter")
	p.waitFor("9231 events · 4 callers", "! suspicious")
	p.press("enter")
	p.waitFor("0 of 2 decided")
	p.press("a")
	p.waitFor("1 of 2 decided")
	p.press("down", "a")
	p.waitFor("2 of 2 decided")
	p.waitUntil(bothProved)
	p.press("enter")
	p.waitForCalls("Create the replacements", "iam CreateRole")
	p.press("enter")
	p.waitUntil(bothCreated)
	p.press("v")
	p.waitUntil(func(screen string) bool { return strings.Count(screen, "✓ moved") == 2 })
	p.press("enter")
	p.waitFor("Deactivate · turn the key off")
	p.press("enter")
	p.waitForCalls("type yes:", "iam UpdateAccessKey")
	p.tm.Type("yes")
	p.press("enter")
	p.waitFor("Delete · remove the key for good", "✓ the watch (30m00s) passed", "✓ IAM reads the key Inactive at")
	p.tm.Type(runbook.LastFour(testKey))
	p.press("enter")
	p.waitFor("Harden · 2 of 4 checks pass")
	p.press("c")
	p.waitFor("Remove what the attacker created", `iam DeleteUser {"UserName": "support-admin"}`)
	p.press("enter")
	p.waitFor("2 of 2 cleaned up") // the user's key went with it
	p.press("enter")
	p.waitFor("Closed · the incident is over", "keyrunbook report")
	p.press("q")

	m := p.final()
	if st := m.State(); st.Step != runbook.StepClosed || st.Intake.Key.Status != runbook.KeyGone {
		t.Errorf("final step %s, key %s; want closed, deleted", st.Step, st.Intake.Key.Status)
	}
	f, err := os.Open(p.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if vr := runbook.VerifyJournal(f); !vr.OK {
		t.Errorf("the action log does not verify: %s", vr.Reason)
	}
}

func TestProgramRollBackFromWatch(t *testing.T) {
	t.Parallel()
	x := newScript()
	x.breakFirstWatch = true
	x.parkAfter = 1
	p := startProgram(t, x)
	p.toReplaced("IAM user svc-reporting")
	p.press("enter")
	p.waitFor("Deactivate · turn the key off")
	p.press("enter")
	p.waitForCalls("type yes:", "iam UpdateAccessKey")
	p.tm.Type("yes")
	p.press("enter")
	p.waitFor("✗ replacements denied", "✗ workloads unhealthy", "R rolls back")
	p.press("R")
	p.waitFor("Roll back: make the key active again", "Say what broke")
	p.tm.Type("secret denied")
	p.press("enter")
	p.waitFor(`"Status": "Active"`, "enter runs these calls")
	p.press("enter")
	p.waitFor("Propose ·", "↺ rolled back: secret denied", "↺ rollback ×1")
	p.press("ctrl+c")
	p.waitFor("Leave this incident?")
	p.press("y")

	m := p.final()
	st := m.State()
	if st.Step != runbook.StepPropose || st.Contain.Rollbacks != 1 || st.Intake.Key.Status != runbook.KeyActive {
		t.Errorf("after the roll-back: step %s, %d roll-backs, key %s; want propose, 1, Active", st.Step, st.Contain.Rollbacks, st.Intake.Key.Status)
	}
	if msg := m.ExitMessage(); !strings.Contains(msg, "keyrunbook resume "+p.path) {
		t.Errorf("exit message %q does not say how to resume", msg)
	}
}
