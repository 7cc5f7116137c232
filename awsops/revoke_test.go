package awsops

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func TestRevocationPolicyIsAWSs(t *testing.T) {
	at := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2025-06-02T09:30:00Z"}}}]}`
	if got := RevocationPolicy(at); got != want {
		t.Fatalf("policy\n%s\nwant\n%s", got, want)
	}
}

var revokeTargets = []runbook.RevocationTarget{
	{Kind: "role", Name: "release-admin", ARN: releaseAdmin},
	{Kind: "user", Name: "svc-imagebuild", ARN: "arn:aws:iam::402985716630:user/svc-imagebuild"},
}

func TestRevokeSessionsStopsTheMintedKeys(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "minted-session"})
	session := clientsFor(t, r.url, keyOf(t, r.sim, "stolen-session"), secretOf(t, r, "stolen-session"))
	admin := clientsFor(t, r.url, keyOf(t, r.sim, "stolen-admin"), secretOf(t, r, "stolen-admin"))
	if _, err := session.EC2("ap-southeast-2").DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("before the revocation the session token works: %v", err)
	}
	ev, calls := runEffect(t, r.x, runbook.RevokeOlderSessions{KeyID: r.sim.LeakedKeyID(), Targets: revokeTargets})
	done, ok := ev.(runbook.SessionsRevoked)
	if !ok {
		t.Fatalf("got %#v", ev)
	}
	if !done.At.After(r.sim.Now()) || done.At.Sub(r.sim.Now()) > time.Second || done.DryRun {
		t.Errorf("revoked at %s, now %s", done.At, r.sim.Now())
	}
	if len(calls) != 2 || calls[0].Operation != "PutRolePolicy" || calls[1].Operation != "PutUserPolicy" {
		t.Fatalf("calls %+v", calls)
	}
	var in struct{ PolicyName, PolicyDocument string }
	if err := json.Unmarshal(calls[1].Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.PolicyName != runbook.RevocationPolicyName || in.PolicyDocument != RevocationPolicy(done.At) {
		t.Errorf("PutUserPolicy input %s", calls[1].Input)
	}
	_, err := session.EC2("ap-southeast-2").DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if apiCode(err) != "UnauthorizedOperation" {
		t.Errorf("the session token after the revocation: %v", err)
	}
	if _, err := admin.IAM.ListAccessKeys(context.Background(), nil); apiCode(err) != "AccessDenied" {
		t.Errorf("the role session after the revocation: %v", err)
	}
	// The leaked key's legitimate caller is untouched: long-term keys carry
	// no token issue time.
	r.sim.Advance(45 * time.Minute)
	for _, h := range r.sim.Health() {
		switch h.Workload {
		case "build-runner":
			if !h.Healthy {
				t.Errorf("the legitimate runner broke: %+v", h)
			}
		case "intruder-session":
			if h.Healthy || !strings.Contains(h.LastError, "explicit deny") {
				t.Errorf("the intruder's session still works: %+v", h)
			}
		}
	}
}

func TestRevokeSessionsFailsNamingWhatWasDone(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "minted-session"})
	targets := append([]runbook.RevocationTarget{{Kind: "role", Name: "no-such-role"}}, revokeTargets[1])
	targets[0], targets[1] = targets[1], targets[0]
	ev, _ := runEffect(t, r.x, runbook.RevokeOlderSessions{KeyID: r.sim.LeakedKeyID(), Targets: targets})
	f, ok := ev.(runbook.EffectFailed)
	if !ok || f.Effect != "RevokeOlderSessions" || !strings.Contains(f.Message, "Revoked on user svc-imagebuild; not on role no-such-role") {
		t.Fatalf("got %#v", ev)
	}
}

func TestRevokeSessionsDryRunChangesNothing(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "minted-session", dryRun: true})
	before := len(r.sim.Requests())
	ev, calls := runEffect(t, r.x, runbook.RevokeOlderSessions{KeyID: r.sim.LeakedKeyID(), Targets: revokeTargets})
	if done, ok := ev.(runbook.SessionsRevoked); !ok || !done.DryRun {
		t.Fatalf("got %#v", ev)
	}
	for _, c := range calls {
		if !c.WouldCall {
			t.Errorf("%s sent in dry-run", c.Operation)
		}
	}
	for _, req := range r.sim.Requests()[before:] {
		if req.Mutating {
			t.Errorf("dry-run sent %s", req.Action)
		}
	}
	session := clientsFor(t, r.url, keyOf(t, r.sim, "stolen-session"), secretOf(t, r, "stolen-session"))
	if _, err := session.EC2("ap-southeast-2").DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Errorf("dry-run revoked the session: %v", err)
	}
}

func secretOf(t *testing.T, r *containRig, ref string) string {
	t.Helper()
	_, secret, ok := r.sim.KeyCredentials(ref)
	if !ok {
		t.Fatalf("no key %s", ref)
	}
	return secret
}
