package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// fakeEditor is an editor that changes GetParameter to GetParameters in
// the file it is given, as a responder would by hand.
func fakeEditor(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i 's/ssm:GetParameter\"/ssm:GetParameters\"/' \"$1\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProgramEditsPolicyInEditor(t *testing.T) {
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", fakeEditor(t))
	p := startProgram(t, newScript())
	p.waitFor("Key ID ›")
	p.tm.Type(testKey)
	p.press("enter")
	p.waitFor("Owner        IAM user svc-reporting")
	p.press("enter")
	p.waitFor("9231 events · 4 callers")
	p.press("enter")
	p.waitFor("0 of 2 decided", `"ssm:GetParameter"`)
	p.press("E")
	p.waitFor(`"ssm:GetParameters"`)
	p.press("ctrl+c")
	p.waitFor("Leave this incident?")
	p.press("y")
	want := `"Action":["ssm:GetParameters"]`
	if got := p.final().State().Propose.Proposals[0].Policy; !strings.Contains(got, want) {
		t.Errorf("policy after editing:\n%s\nwant it to hold %s", got, want)
	}
}

func TestEditedPolicyGoesThroughTheMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edited string
		want   string // on screen
		policy string // the proposal's policy after, "" for unchanged
	}{
		{"tightened", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ssm:GetParameter\", \"Resource\": \"*\"}]\n}\n",
			"Propose", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`},
		{"broken JSON", `{"Version": "2012-10-17", "Statement": [`, "the policy is not valid JSON", ""},
		{"unchanged", prettyPolicy(fixturePolicy), "The policy is unchanged", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runbook.ModeLive)
			h.toProposed()
			before := h.m.State().Propose.Proposals[0]
			path := filepath.Join(t.TempDir(), "policy.json")
			if err := os.WriteFile(path, []byte(tt.edited), 0o600); err != nil {
				t.Fatal(err)
			}
			h.send(readEditedPolicy(before, path)(nil))
			h.wantScreen(tt.want)
			want := tt.policy
			if want == "" {
				want = before.Policy
			}
			if got := h.m.State().Propose.Proposals[0].Policy; got != want {
				t.Errorf("policy = %s, want %s", got, want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("the edited file was left behind")
			}
		})
	}
}
