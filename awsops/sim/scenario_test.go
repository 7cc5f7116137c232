package sim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func TestEmbeddedScenarios(t *testing.T) {
	infos := sim.Scenarios()
	var names []string
	for _, info := range infos {
		names = append(names, info.Name)
		if info.Title == "" || info.Brief == "" || strings.Contains(info.Brief, "\n") {
			t.Errorf("%s: title %q brief %q", info.Name, info.Title, info.Brief)
		}
	}
	if !slices.Equal(names, []string{"attacker-only", "iam-user-lambda-ci", "llm-jacking-ci", "minted-session", "root-key-ec2-onprem"}) {
		t.Fatalf("scenarios %v", names)
	}
	tests := []struct {
		name    string
		callers []string // legitimate users of the leaked key, and what they run on
		planted []string
	}{
		{"root-key-ec2-onprem", []string{"billing-worker/ec2/i-0a7c3e91b52d4f816", "nas-backup/onprem/backup01.office.northwind.example"},
			[]string{"iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "ec2:RunInstances"}},
		// svc-reporting may call neither CreateUser nor RunInstances: the
		// attacker tried both and planted nothing.
		{"iam-user-lambda-ci", []string{"report-builder/lambda/report-builder", "deploy-pipeline/ci/github.com/fernway/reporting/.github/workflows/deploy.yml"},
			nil},
		{"attacker-only", nil,
			[]string{"iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "iam:CreateLoginProfile", "ec2:RunInstances", "ec2:RunInstances"}},
		// Issue 14's families: model access, GuardDuty off, an SES sender,
		// a shared snapshot, and a user; the secret read changes nothing.
		{"llm-jacking-ci", []string{"inference-api/lambda/inference-api", "deploy-pipeline/ci/github.com/brightpath/inference/.github/workflows/deploy.yml"},
			[]string{"bedrock:PutUseCaseForModelAccess", "bedrock:PutFoundationModelEntitlement", "guardduty:UpdateDetector",
				"ses:VerifyEmailIdentity", "ec2:ModifySnapshotAttribute", "iam:CreateUser"}},
		// The attacker's sessions act: STS calls are read-only, what they made is not.
		{"minted-session", []string{"build-runner/onprem/build01.larkspur.example"},
			[]string{"ec2:RunInstances", "iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			var callers, planted []string
			for _, w := range sc.LegitimateCallers() {
				callers = append(callers, w.Name+"/"+w.Kind+"/"+w.RunsOn)
			}
			for _, st := range sc.PlantedActions() {
				planted = append(planted, st.Service+":"+st.Action)
			}
			if !slices.Equal(callers, tt.callers) || !slices.Equal(planted, tt.planted) {
				t.Errorf("callers %v\nplanted %v", callers, planted)
			}
			// A scenario survives a JSON round trip: the format is the struct.
			raw, err := json.Marshal(sc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.ParseScenario(strings.NewReader(string(raw))); err != nil {
				t.Errorf("round trip: %v", err)
			}
		})
	}
	if _, err := sim.LoadScenario("no-such"); err == nil || !strings.Contains(err.Error(), "attacker-only") {
		t.Errorf("unknown scenario error %v should list the known ones", err)
	}
	if _, err := sim.LoadScenario("../scenarios/x"); err == nil {
		t.Error("a path was accepted as a scenario name")
	}
}

// TestParseScenarioErrors: team-written drills get errors naming the field.
func TestParseScenarioErrors(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"name": "drill", "title": "t", "brief": "b",
			"account":   map[string]any{"id": "123456789012"},
			"root":      map[string]any{},
			"users":     []any{map[string]any{"name": "me", "keys": []any{map[string]any{"ref": "mine"}}}},
			"responder": map[string]any{"user": "me"},
			"leakedKey": "mine",
			"workloads": []any{map[string]any{"name": "w", "kind": "onprem", "legitimate": true, "key": "mine",
				"sourceIp": "203.0.113.9", "userAgent": "aws-cli/2",
				"calls": []any{map[string]any{"service": "s3", "action": "ListBuckets", "every": "5m"}}}},
		}
	}
	set := func(path string, v any) func(map[string]any) {
		return func(m map[string]any) {
			parts := strings.Split(path, ".")
			var cur any = m
			for _, p := range parts[:len(parts)-1] {
				switch c := cur.(type) {
				case map[string]any:
					cur = c[p]
				case []any:
					cur = c[0]
				}
				if l, ok := cur.([]any); ok {
					cur = l[0]
				}
			}
			cur.(map[string]any)[parts[len(parts)-1]] = v
		}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"valid", func(map[string]any) {}, ""},
		{"account id", set("account.id", "12345"), "account.id"},
		{"unknown region", set("regions", []string{"us-east-1", "mars-1"}), "regions[1]"},
		{"no us-east-1", set("regions", []string{"eu-west-1"}), "regions"},
		{"a default region left out", set("regions", []string{"us-east-1", "ap-east-1"}), "regions"},
		{"bad key id", set("users.keys.id", "AKIA123"), "users[0].keys[0].id"},
		{"bad status", set("users.keys.status", "Paused"), "users[0].keys[0].status"},
		{"future key", set("users.keys.created", "+2d"), "users[0].keys[0].created"},
		{"unknown policy", set("users.attachedPolicies", []string{"arn:aws:iam::aws:policy/Nope"}), "users[0].attachedPolicies[0]"},
		{"bad inline policy", set("users.inlinePolicies", []any{map[string]any{"name": "p", "document": map[string]any{"Statement": []any{map[string]any{"Effect": "Perhaps"}}}}}), "users[0].inlinePolicies[0].document"},
		{"leaked ref", set("leakedKey", "theirs"), "leakedKey"},
		{"responder", set("responder.user", "you"), "responder.user"},
		{"workload key", set("workloads.key", "theirs"), "workloads[0].key"},
		{"workload kind", set("workloads.kind", "mainframe"), "workloads[0].kind"},
		{"legit attacker", set("workloads.kind", "attacker"), "workloads[0].legitimate"},
		{"every", set("workloads.calls.every", "5x"), "workloads[0].calls[0].every"},
		{"every too short", set("workloads.calls.every", "10s"), "workloads[0].calls[0].every"},
		{"jitter too long", set("workloads.calls.jitter", "5m"), "workloads[0].calls[0].jitter"},
		{"periodic mutation", set("workloads.calls.action", "CreateUser"), "workloads[0].calls[0]"},
		{"disabled region", set("workloads.calls.region", "ap-east-1"), "workloads[0].calls[0].region"},
		{"source ip", set("workloads.sourceIp", "not-an-ip"), "workloads[0].sourceIp"},
		{"unknown field", set("workloads.evry", "5m"), `unknown field "evry"`},
		{"data events", dataEvents(map[string]any{"workload": "w", "action": "GetObject", "region": "us-east-1",
			"bucket": "b", "object": "k-%d", "every": "1h", "from": "-2d", "count": 3}), ""},
		{"data event workload", dataEvents(map[string]any{"workload": "nobody", "action": "Invoke", "region": "us-east-1",
			"function": "f", "every": "1h"}), "dataEvents[0].workload"},
		{"data event signer", dataEvents(map[string]any{"key": "mine", "action": "Invoke", "region": "us-east-1",
			"function": "f", "every": "1h"}), "dataEvents[0]"},
		{"data event action", dataEvents(map[string]any{"workload": "w", "action": "DeleteObject", "region": "us-east-1",
			"bucket": "b", "object": "k", "every": "1h"}), "dataEvents[0].action"},
		{"data event every", dataEvents(map[string]any{"workload": "w", "action": "Invoke", "region": "us-east-1",
			"function": "f", "every": "0s"}), "dataEvents[0].every"},
		{"trust policy not a document", func(m map[string]any) {
			m["roles"] = []any{map[string]any{"name": "r", "assumeRolePolicy": "notjson"}}
		}, "roles[0].assumeRolePolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.change(m)
			if tt.name == "periodic mutation" {
				m["workloads"].([]any)[0].(map[string]any)["calls"].([]any)[0].(map[string]any)["service"] = "iam"
			}
			raw, _ := json.Marshal(m)
			_, err := sim.ParseScenario(strings.NewReader(string(raw)))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("valid scenario refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
	_, err := sim.ParseScenario(strings.NewReader("{\n  \"name\": \"x\",\n  \"title\": ]\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("syntax error %v should give the line", err)
	}
	if _, err := sim.New(nil); err == nil {
		t.Error("New(nil) accepted")
	}
}

// dataEvents sets a scenario's dataEvents, which a team's scenario
// declares as the embedded ones do.
func dataEvents(d ...map[string]any) func(map[string]any) {
	return func(m map[string]any) {
		var l []any
		for _, e := range d {
			l = append(l, e)
		}
		m["dataEvents"] = l
	}
}
