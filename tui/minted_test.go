package tui

import (
	"context"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// mintedScript is the scripted account whose key also minted temporary
// credentials: a 36-hour session token, a role session, and another
// account's role.
type mintedScript struct {
	*script
	revoked []runbook.RevokeOlderSessions
}

const (
	mintedSession = "ASIAZ7Q3MINTEDSESS42"
	mintedRole    = "ASIAZ7Q3MINTEDROLE42"
	mintedForeign = "ASIAZ7Q3MINTEDFORN42"
)

func mintedFixture() []runbook.MintedCredential {
	return []runbook.MintedCredential{
		{KeyID: mintedSession, Via: runbook.ViaGetSessionToken, MintedBy: testKey, IssuedAt: t0.Add(-3 * time.Hour),
			ExpiresAt: t0.Add(33 * time.Hour), ExpiryBasis: runbook.ExpiryFromResponse, Swept: true, Events: 41},
		{KeyID: mintedRole, Via: runbook.ViaAssumeRole, MintedBy: mintedSession, RoleARN: "arn:aws:iam::730519468211:role/ops-admin",
			IssuedAt: t0.Add(-2 * time.Hour), ExpiresAt: t0.Add(-time.Hour), ExpiryBasis: runbook.ExpiryFromResponse, Swept: true, Events: 7},
		{KeyID: mintedForeign, Via: runbook.ViaAssumeRole, MintedBy: testKey, RoleARN: "arn:aws:iam::999988887777:role/partner",
			CrossAccount: true, IssuedAt: t0.Add(-90 * time.Minute), ExpiresAt: t0.Add(10*time.Hour + 30*time.Minute), ExpiryBasis: runbook.ExpiryFromMaximum},
	}
}

func (s *mintedScript) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	switch x := e.(type) {
	case runbook.SweepCloudTrail:
		ev := s.script.Run(ctx, e, emit)
		if done, ok := ev.(runbook.SweepFinished); ok {
			done.Investigation.Minted = mintedFixture()
			done.Investigation.Coverage = append(done.Investigation.Coverage, "Not followed: "+mintedForeign+" acts in another account")
			return done
		}
		return ev
	case runbook.RevokeOlderSessions:
		s.mu.Lock()
		s.revoked = append(s.revoked, x)
		s.mu.Unlock()
		return runbook.SessionsRevoked{At: t0.Add(5 * time.Minute), Targets: x.Targets}
	}
	return s.script.Run(ctx, e, emit)
}

func mintedHarness(t *testing.T) (*harness, *mintedScript) {
	t.Helper()
	ms := &mintedScript{script: newScript()}
	h := newHarness(t, runbook.ModeLive, func(o *Options) { o.Executor = ms })
	return h, ms
}

func TestInvestigateShowsMintedCredentialsAndBlindSpots(t *testing.T) {
	t.Parallel()
	h, _ := mintedHarness(t)
	h.toInvestigated()
	h.wantScreen("3 temporary credential(s) minted by the key, 2 still valid")
	h.press("b")
	h.wantScreen("Coverage and blind spots", "data events (S3 objects, Lambda Invoke)", "acts in another account")
	h.press("b")
	h.wantScreen("44.226.18.77")
}

func TestRevokeMintedSessionsFromDeactivate(t *testing.T) {
	t.Parallel()
	h, ms := mintedHarness(t)
	h.toDeactivate()
	h.wantScreen("Minted credentials", "S revokes them")
	// At 80×24 the credentials are under what S does: pgdn brings them.
	h.press("pgdown")
	h.wantScreen(mintedSession+" GetSessionToken · 33h00m left",
		mintedRole+" AssumeRole ops-admin · expired", "AssumeRole partner of account", "≤ 10h30m left")
	h.press("S")
	// The inputs are awsops's, in the SDK's order with the document last.
	h.wantScreen("Revoke the sessions the key minted", `iam PutRolePolicy {"PolicyName":`, `"AWSRevokeOlderSessions", "RoleName": "ops-admin",`)
	h.press("down", "down", "down", "down", "down", "down", "down", "down")
	h.wantScreen(`iam PutUserPolicy {"PolicyName":`, `"AWSRevokeOlderSessions", "UserName": "svc-reporting",`)
	h.press("esc")
	if len(ms.revoked) != 0 {
		t.Fatal("a cancelled confirmation revoked the sessions")
	}
	h.press("S", "enter")
	if len(ms.revoked) != 1 || len(ms.revoked[0].Targets) != 2 {
		t.Fatalf("revoked %+v", ms.revoked)
	}
	h.wantStep(runbook.StepDeactivate)
	h.wantScreen("✓ sessions issued before 03:05:00Z denied on role ops-admin,")
	h.press("pgdown")
	h.wantScreen("revoked · 7 calls")
}

// A step whose lines do not fit over the clean-up list scrolls them, and
// the row c acts on stays on screen at 80×24.
func TestDeactivateKeepsTheSelectedResourceInSight(t *testing.T) {
	t.Parallel()
	h, _ := mintedHarness(t)
	h.toDeactivate()
	h.wantScreen("▸ [ ] ✗ present iam-user", "pgdn/pgup scroll")
	h.press("down")
	h.wantScreen("▸ [ ] ✗ present access-key")
}
