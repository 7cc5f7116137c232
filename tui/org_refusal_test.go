package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// With a retirement refusal (root credentials management off), r shows it
// instead of the review and deletes nothing.
func TestOrgViewShowsTheRetireRefusalInsteadOfTheReview(t *testing.T) {
	var asked []runbook.RootKeyRetirement
	m := NewOrg(OrgOptions{Mode: runbook.ModeLive, Accounts: orgAccounts(), Now: orgNow, Window: 90 * 24 * time.Hour,
		RetireRefusal: "No root key can be deleted through sts:AssumeRoot: … aws iam enable-organizations-root-credentials-management",
		Retire: func(_ context.Context, keys []runbook.RootKeyRetirement) ([]runbook.RootKeyRetirement, error) {
			asked = keys
			return nil, nil
		}})
	m, _ = sendOrg(t, m, keyMsg("r"), keyMsg("2"), keyMsg("enter"))
	s := orgScreenText(m)
	if strings.Contains(s, "Review:") || !strings.Contains(s, "aws iam enable-organizations-root-credentials-management") || asked != nil {
		t.Fatalf("retire asked for %v; screen:\n%s", asked, s)
	}
}
