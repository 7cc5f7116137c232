package awsops

import (
	"context"
	"strings"
	"testing"
	"time"

	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// VerifyMove sees a caller move whose replacement's sessions are not
// named after the replacement: an ECS task role's session is named after
// the task ID, a CI's after what the workflow sets. It finds them through
// the AssumeRole events that opened sessions of the replacement role.
func TestVerifyMoveOfSessionsNamedByThePlatform(t *testing.T) {
	tests := []struct {
		name     string
		proposal runbook.Proposal
		caller   runbook.UsageCaller
		key      string // the caller's key: "leaked", or its workload's own
		move     func(r *containRig, p runbook.Proposal)
		wait     time.Duration
	}{
		{"ecs task role", grafanaECSProposal(),
			runbook.UsageCaller{ID: "c-grafana", Resource: "monitoring/grafana", SourceIP: "44.230.1.20", Regions: []string{"us-west-2"}},
			"grafana", func(*containRig, runbook.Proposal) {}, 20 * time.Minute},
		{"oidc role", oidcProposal("repo:fernway/reporting:ref:refs/heads/main"),
			runbook.UsageCaller{ID: "c-ci", SourceIP: "20.57.112.9", Regions: []string{"us-west-2"}},
			"leaked", func(r *containRig, p runbook.Proposal) {
				// The responder points the workflow at its new role.
				if err := r.sim.SetWorkloadRole("deploy-pipeline", p.Name); err != nil {
					r.t.Fatal(err)
				}
				// As configure-aws-credentials does: a web identity session
				// named GitHubActions, not after the role.
				recs, err := r.x.lookup(context.Background(), "us-east-1", cttypes.LookupAttributeKeyEventName, "AssumeRoleWithWebIdentity", r.clock.Now().Add(-time.Minute), r.clock.Now().Add(time.Minute))
				if err != nil || len(recs) != 1 || recs[0].UserIdentity.Type != "WebIdentityUser" ||
					!strings.Contains(string(recs[0].RequestParameters), `"roleSessionName":"GitHubActions"`) {
					r.t.Fatalf("the workflow's session: %+v (%v)", recs, err)
				}
			}, 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
			p := tt.proposal
			p.AppliedAt = r.clock.Now()
			if ev, _ := runEffect(t, r.x, runbook.ApplyReplacement{Proposal: p}); ev.EventName() != "ReplacementApplied" {
				t.Fatalf("apply: %+v", ev)
			}
			tt.move(r, p)
			r.clock.Advance(tt.wait) // the caller runs under its replacement
			keyID := r.sim.LeakedKeyID()
			if tt.key != "leaked" {
				keyID, _, _ = r.sim.KeyCredentials(tt.key)
			}
			ev, _ := runEffect(t, r.x, runbook.VerifyMove{KeyID: keyID, Proposal: p, Caller: tt.caller})
			moved, ok := ev.(runbook.CallerMoved)
			if !ok || !moved.Moved || !strings.Contains(moved.Detail, "called as "+p.Name) {
				t.Fatalf("want moved, got %+v", ev)
			}
		})
	}
}

func TestIsRoleARN(t *testing.T) {
	tests := []struct {
		arn, name string
		want      bool
	}{
		{"arn:aws:iam::730519468211:role/kr-grafana-role", "kr-grafana-role", true},
		{"arn:aws:iam::730519468211:role/service/kr-grafana-role", "kr-grafana-role", true},
		{"arn:aws:iam::730519468211:role/other-kr-grafana-role", "kr-grafana-role", false},
		{"arn:aws:iam::730519468211:user/kr-grafana-role", "kr-grafana-role", false},
		{"", "kr-grafana-role", false},
	}
	for _, tt := range tests {
		if got := isRoleARN(tt.arn, tt.name); got != tt.want {
			t.Errorf("isRoleARN(%q, %q) = %v, want %v", tt.arn, tt.name, got, tt.want)
		}
	}
}
