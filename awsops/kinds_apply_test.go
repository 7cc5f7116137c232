package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/runbook"
)

func oidcProposal(subject string) runbook.Proposal {
	return runbook.Proposal{CallerID: "c-ci", Kind: runbook.ReplaceOIDCRole, Name: "keyrunbook-github-actions-role", Target: subject,
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:UpdateFunctionCode"],"Resource":["arn:aws:lambda:us-west-2:730519468211:function:report-builder"]}]}`}
}

// TestApplyOIDCRole: the provider and the role are created once, reused
// on a second apply; a placeholder or an open subject creates nothing.
func TestApplyOIDCRole(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	x := r.executorFor(t, r.sim.LeakedKeyID(), ExecutorOptions{})
	for _, bad := range []string{runbook.OIDCSubjectPlaceholder, "repo:*", "*", ""} {
		before := mutations(r)
		ev, _ := runEffect(t, x, runbook.ApplyReplacement{Proposal: oidcProposal(bad)})
		f, ok := ev.(runbook.EffectFailed)
		if !ok || !strings.Contains(f.Message, "Nothing was created") || mutations(r) != before {
			t.Fatalf("subject %q: %+v, %d mutations", bad, ev, mutations(r)-before)
		}
	}
	p := oidcProposal("repo:acme/reporting:ref:refs/heads/main")
	ev, calls := runEffect(t, x, runbook.ApplyReplacement{Proposal: p})
	done, ok := ev.(runbook.ReplacementApplied)
	want := []string{"arn:aws:iam::730519468211:oidc-provider/token.actions.githubusercontent.com", "arn:aws:iam::730519468211:role/keyrunbook-github-actions-role"}
	if !ok || strings.Join(done.Created, " ") != strings.Join(want, " ") {
		t.Fatalf("apply: %+v", ev)
	}
	if ops := operations(calls); !strings.Contains(ops, "CreateOpenIDConnectProvider,GetRole,CreateRole") || !strings.HasSuffix(ops, "PutRolePolicy") {
		t.Errorf("calls %s", ops)
	}
	role, err := x.read.iam(x.cfg).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(p.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if !sameDocument(decodeDoc(aws.ToString(role.Role.AssumeRolePolicyDocument)), TrustPolicyFor(p, "730519468211")) {
		t.Errorf("trust of the created role: %s", decodeDoc(aws.ToString(role.Role.AssumeRolePolicyDocument)))
	}
	before := mutations(r)
	if ev, _ := runEffect(t, x, runbook.ApplyReplacement{Proposal: p}); ev.EventName() != "ReplacementApplied" || mutations(r) != before {
		t.Fatalf("second apply: %+v, %d mutations", ev, mutations(r)-before)
	}
	// Another subject under the same name is another role: refused.
	other := oidcProposal("repo:acme/other:*")
	if ev, _ := runEffect(t, x, runbook.ApplyReplacement{Proposal: other}); !strings.Contains(ev.(runbook.EffectFailed).Message, "trusts something else") {
		t.Fatalf("apply over another trust: %+v", ev)
	}
}

func TestApplyOIDCRoleDryRunSendsNothing(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci", dryRun: true})
	x := r.executorFor(t, r.sim.LeakedKeyID(), ExecutorOptions{DryRun: true})
	digest := r.sim.StateDigest()
	ev, calls := runEffect(t, x, runbook.ApplyReplacement{Proposal: oidcProposal("repo:acme/reporting:*")})
	if done, ok := ev.(runbook.ReplacementApplied); !ok || !done.DryRun {
		t.Fatalf("dry apply: %+v", ev)
	}
	var would []string
	for _, c := range calls {
		if c.WouldCall {
			would = append(would, c.Operation)
		}
	}
	if strings.Join(would, ",") != "CreateOpenIDConnectProvider,CreateRole,PutRolePolicy" || r.sim.StateDigest() != digest {
		t.Fatalf("would-calls %v; state changed %v", would, r.sim.StateDigest() != digest)
	}
}

func TestApplyOfAnExportOnlyKindCreatesNothing(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "iam-user-lambda-ci"})
	x := r.executorFor(t, r.sim.LeakedKeyID(), ExecutorOptions{})
	for _, kind := range []runbook.ReplacementKind{runbook.ReplaceEKSPodIdentity, runbook.ReplaceEKSIRSA, runbook.ReplaceRolesAnywhere} {
		before := mutations(r)
		ev, calls := runEffect(t, x, runbook.ApplyReplacement{Proposal: kindProposal(kind, "x")})
		f, ok := ev.(runbook.EffectFailed)
		if !ok || !strings.HasPrefix(f.Message, "Export only: ") || len(calls) != 0 || mutations(r) != before {
			t.Errorf("%s: %+v, %d calls", kind, ev, len(calls))
		}
	}
}
