package tui

import (
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestProposeShowsTheProofAndOverridesItWithAReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.x.denied = map[string][]string{"c-ci": {"lambda:UpdateFunctionCode on arn:aws:lambda:us-west-2:730519468211:function:report-builder"}}
	h.toProposed()
	h.wantScreen("c-lambda             lambda-role      ✓ proved", "c-ci                 iam-user         ✗ proof",
		"✓ proof: 1 legitimate call(s) allowed")
	h.press("down")
	h.wantScreen("✗ proof: denies 1 of 2 legitimate call(s):", "lambda:UpdateFunctionCode on", "o apply it anyway, with a reason")
	h.press("a", "up", "a", "enter")
	h.wantStep(runbook.StepPropose)
	h.wantScreen("cannot apply yet", "c-ci's policy fails its proof")

	h.press("down", "o")
	h.wantScreen("Apply c-ci's policy unproven", "Denies: lambda:UpdateFunctionCode")
	h.press("enter") // an empty reason is not one
	h.wantScreen("Apply c-ci's policy unproven")
	h.typeText("the deploy job moves to CodeBuild this week")
	h.press("enter")
	h.wantScreen("overridden: the deploy job moves to CodeBuild this week", "c-ci                 iam-user         overridden")
	h.press("enter")
	h.wantScreen("Create the replacements")
	h.press("enter")
	h.wantStep(runbook.StepReplace)
	if !strings.Contains(readLog(t, h.path), `"reason":"the deploy job moves to CodeBuild this week"`) {
		t.Error("the override's reason is not in the action log")
	}
}

func TestProposeSwitchesKindAndSaysWhatIsExportOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toProposed()
	h.press("s")
	h.wantScreen("a lambda-role has no other kind to switch to")
	h.press("down", "s")
	h.wantScreen("c-ci                 roles-anywhere", "export only: IAM Roles Anywhere needs your certificate")
	h.press("a")
	h.wantScreen("keyrunbook cannot create")
	if p := h.m.State().Propose.Proposals[1]; p.Kind != runbook.ReplaceRolesAnywhere || p.Decision != runbook.DecisionUndecided {
		t.Fatalf("after switch and apply: %+v", p)
	}
	h.press("s")
	h.wantScreen("c-ci                 oidc-role", "repo:<org>/<repo>:*", "set the target (t) to the repository the role trusts")
	if pr, _ := h.m.State().ProofOf("c-ci"); pr.Status != runbook.ProofPassed {
		t.Errorf("the switched proposal is not proved again: %+v", pr)
	}
}

func TestCallerWhere(t *testing.T) {
	tests := []struct {
		c    runbook.UsageCaller
		want string
	}{
		{runbook.UsageCaller{}, ""},
		{runbook.UsageCaller{Cluster: "host 198.51.100.7", Pattern: "on 2 day(s), at 09:00-17:59 UTC"}, "cluster: host 198.51.100.7 · active: on 2 day(s), at 09:00-17:59 UTC"},
		{runbook.UsageCaller{VPCEndpoint: "vpce-0abc"}, "via vpce-0abc"},
	}
	for _, tt := range tests {
		if got := callerWhere(tt.c); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
}

// bothProved: the proposals' proofs are in, so apply is not refused for a
// proof still running.
func bothProved(screen string) bool {
	return strings.Count(screen, "✓ proved") == 2
}
