package awsops

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The whole runbook in dry-run against the simulated account: every step
// runs, every mutation is journaled as would-call with its input, and the
// account is byte-for-byte the same, no mutating request having reached it.
func TestDryRunWholeRunbookChangesNothing(t *testing.T) {
	r := newContainRig(t, rigOptions{scenario: "root-key-ec2-onprem", dryRun: true})
	before := r.sim.StateDigest()
	r.investigate()
	r.do(runbook.ApplyProposals{})
	r.do(runbook.VerifyMoves{})
	r.do(runbook.ProceedToDeactivate{})
	r.do(runbook.ConfirmDeactivate{})
	if st := r.state(); st.Step != runbook.StepDelete {
		t.Fatalf("dry-run did not go on as if the deactivation succeeded: %s %+v", st.Step, st.Effects.LastError)
	}
	r.do(runbook.ConfirmDelete{Typed: runbook.LastFour(r.state().KeyID)})
	r.do(runbook.CleanUp{Resource: blastResource(t, r.state(), "iam-user", "backup-admin")})
	r.do(runbook.CloseIncident{Note: "change plan"})
	if st := r.state(); st.Step != runbook.StepClosed {
		t.Fatalf("step %s", st.Step)
	}

	if after := r.sim.StateDigest(); after != before {
		t.Error("the simulated account changed in dry-run")
	}
	for _, req := range r.sim.Requests() {
		if req.Mutating {
			t.Errorf("a mutating request reached the account: %s:%s", req.Service, req.Action)
		}
	}
	would := wouldCalls(t, r.log)
	for _, want := range []struct{ op, input string }{
		{"CreateRole", `"RoleName":"keyrunbook-i-0a7c3e91b52d4f816-role"`},
		{"PutRolePolicy", `"PolicyName":"keyrunbook-least-privilege"`},
		{"CreateInstanceProfile", `"InstanceProfileName":"keyrunbook-i-0a7c3e91b52d4f816-role"`},
		{"AddRoleToInstanceProfile", `"RoleName":"keyrunbook-i-0a7c3e91b52d4f816-role"`},
		{"AssociateIamInstanceProfile", `"InstanceId":"i-0a7c3e91b52d4f816"`},
		{"CreateUser", `"UserName":"keyrunbook-203.0.113.10"`},
		{"PutUserPolicy", `ec2:DescribeSnapshots`},
		{"CreateAccessKey", `"UserName":"keyrunbook-203.0.113.10"`},
		{"UpdateAccessKey", `"Status":"Inactive"`},
		{"DeleteAccessKey", `"AccessKeyId":"` + r.state().KeyID + `"`},
		{"DetachUserPolicy", `AdministratorAccess`},
		{"DeleteUser", `"UserName":"backup-admin"`},
	} {
		if !containsCall(would[want.op], want.input) {
			t.Errorf("no would-call %s with %s; journaled: %v", want.op, want.input, would[want.op])
		}
	}
	dryReportSpeaksConditionally(t, r.log)
}

// dryReportSpeaksConditionally checks the Markdown report of a dry-run
// claims no change: every line that says created, removed, deleted or
// deactivated says "would" or is the change plan's, and the timings are
// labelled a rehearsal.
func dryReportSpeaksConditionally(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, vr := runbook.ReadJournal(f)
	rep, err := runbook.BuildReport(recs, vr)
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	// From the replacements on (the key's own "Created:" is its age).
	_, body, _ := strings.Cut(md, "## Replacements")
	body, _, _ = strings.Cut(body, "## Change plan")
	for n, line := range strings.Split(body, "\n") {
		for _, claim := range []string{"Created:", "Removed", "Deleted:", "Deactivated:", "removed"} {
			if strings.Contains(line, claim) && !strings.Contains(strings.ToLower(line), "would") {
				t.Errorf("dry-run report line %d claims %q: %s", n+1, claim, line)
			}
		}
	}
	for _, want := range []string{"Time to contain (intake → key inactive) — rehearsal", "Would have deleted the key", "Would have removed iam-user backup-admin"} {
		if !strings.Contains(md, want) {
			t.Errorf("the dry-run report does not say %q", want)
		}
	}
	_, timeline, _ := strings.Cut(md, "## Timeline (UTC)")
	for n, line := range strings.Split(timeline, "\n") {
		if (strings.Contains(line, "KeyDeleted") || strings.Contains(line, "ResourceCleanedUp")) && !strings.Contains(line, "would") {
			t.Errorf("dry-run timeline line %d claims a change: %s", n+1, line)
		}
	}
}

// wouldCalls reads the journal's would-call notes, by operation.
func wouldCalls(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec runbook.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		var call runbook.APICall
		if rec.Name != "APICall" || json.Unmarshal(rec.Data, &call) != nil || !call.WouldCall {
			continue
		}
		out[call.Operation] = append(out[call.Operation], string(call.Input))
	}
	return out
}

func containsCall(inputs []string, part string) bool {
	for _, in := range inputs {
		if strings.Contains(in, part) {
			return true
		}
	}
	return false
}

// Every method of every dry write client journals a would-call named after
// it and answers without error: a dry method that forgot either would send
// nothing yet leave the change plan short.
func TestDryWritersJournalEveryMethod(t *testing.T) {
	d := &dryRun{arn: func(_ context.Context, res string) string { return "arn:aws:iam::123456789012:" + res }}
	for _, client := range []any{dryIAM{d}, dryEC2{d, "us-east-1"}, dryLambda{d, "us-east-1"}, dryECS{d, "us-east-1"}} {
		v := reflect.ValueOf(client)
		for i := range v.NumMethod() {
			m := v.Type().Method(i)
			t.Run(v.Type().Name()+"."+m.Name, func(t *testing.T) {
				var got []runbook.APICall
				ctx := withEmitter(context.Background(), func(ev runbook.Event) { got = append(got, ev.(runbook.APICall)) })
				in := reflect.New(m.Type.In(2).Elem())
				out := v.Method(i).Call([]reflect.Value{reflect.ValueOf(ctx), in})
				if !out[1].IsNil() || out[0].IsNil() {
					t.Fatalf("want an output and no error, got %v, %v", out[0], out[1])
				}
				if len(got) != 1 || !got[0].WouldCall || got[0].Operation != m.Name || len(got[0].Input) == 0 {
					t.Fatalf("want one would-call %s with its input, got %+v", m.Name, got)
				}
			})
		}
	}
}

func TestInputJSONRedactsSecrets(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name  string
		in    any
		keeps string
	}{
		{"secret field", map[string]any{"UserName": "bob", "SecretAccessKey": secret}, `"UserName":"bob"`},
		{"password field", map[string]any{"UserName": "bob", "Password": "hunter2hunter2"}, `"UserName":"bob"`},
		{"secret-shaped value", map[string]any{"Note": secret}, `"Note":"[REDACTED]"`},
		{"nested", map[string]any{"Credentials": map[string]any{"SessionToken": "tok", "AccessKeyId": "ASIAXXXXXXXXXXXXXXXX"}}, `"AccessKeyId":"ASIAXXXXXXXXXXXXXXXX"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(inputJSON(tt.in))
			for _, bad := range []string{secret, "hunter2hunter2", `"tok"`} {
				if strings.Contains(got, bad) {
					t.Errorf("%s leaked into %s", bad, got)
				}
			}
			if !strings.Contains(got, tt.keeps) {
				t.Errorf("want %s kept in %s", tt.keeps, got)
			}
		})
	}
}
