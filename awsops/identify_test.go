package awsops

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

const day = 24 * time.Hour

// loadScenario returns an embedded scenario to change before starting it.
func loadScenario(t testing.TB, name string) *sim.Scenario {
	t.Helper()
	sc, err := sim.LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// limitResponder replaces the scenario's responder with a user whose only
// policy allows allow and denies deny.
func limitResponder(t testing.TB, sc *sim.Scenario, allow, deny []string) {
	t.Helper()
	stmts := []map[string]any{{"Effect": "Allow", "Action": allow, "Resource": "*"}}
	if len(deny) > 0 {
		stmts = append(stmts, map[string]any{"Effect": "Deny", "Action": deny, "Resource": "*"})
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		t.Fatal(err)
	}
	sc.Users = append(sc.Users, sim.User{Name: "limited-responder", Keys: []sim.Key{{Ref: "limited"}},
		InlinePolicies: []sim.InlinePolicy{{Name: "limited", Document: doc}}})
	sc.Responder = sim.Responder{User: "limited-responder"}
}

// simLacksGroups drops the finding about iam:ListGroupsForUser while the
// simulated account does not serve it (it answers InvalidAction).
func simLacksGroups(f runbook.Finding) bool {
	return strings.Contains(f.Message, "iam:ListGroupsForUser failed: InvalidAction")
}

// findingActions lists the findings as "severity action" for comparison.
func findingActions(fs []runbook.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Severity)+" "+f.Action)
	}
	slices.Sort(out)
	return out
}

func TestIdentify(t *testing.T) {
	start := sim.DefaultStart
	tests := []struct {
		name     string
		scenario func(t *testing.T) *sim.Scenario
		asLeaked bool // sign in with the leaked key itself
		want     runbook.KeyFacts
		caller   string   // the caller's ARN
		findings []string // "severity action", sorted
		says     []string // words the findings must carry
		calls    []string // IAM actions that must have been made
		notCalls []string // and those that must not
	}{{
		name:     "root key, read by an IAM user through the credential report",
		scenario: func(t *testing.T) *sim.Scenario { return loadScenario(t, "root-key-ec2-onprem") },
		want: runbook.KeyFacts{Account: "418295730164", Root: true, UserARN: "arn:aws:iam::418295730164:root",
			Status: runbook.KeyActive, Created: start.Add(-1460 * day), RootMFA: new(true), RootKeysPresent: new(true)},
		caller: "arn:aws:iam::418295730164:user/ir-responder",
		calls:  []string{"GetAccessKeyLastUsed", "GetCredentialReport", "GetAccountSummary"},
	}, {
		name:     "root key, read by root itself with ListAccessKeys",
		scenario: func(t *testing.T) *sim.Scenario { return loadScenario(t, "root-key-ec2-onprem") },
		asLeaked: true,
		want: runbook.KeyFacts{Account: "418295730164", Root: true, UserARN: "arn:aws:iam::418295730164:root",
			Status: runbook.KeyActive, Created: start.Add(-1460 * day), RootMFA: new(true), RootKeysPresent: new(true)},
		caller:   "arn:aws:iam::418295730164:root",
		findings: []string{"critical "},
		says:     []string{"signed in with the leaked key itself"},
		calls:    []string{"ListAccessKeys"},
		notCalls: []string{"GetCredentialReport"},
	}, {
		name:     "IAM user key with an inline policy",
		scenario: func(t *testing.T) *sim.Scenario { return loadScenario(t, "iam-user-lambda-ci") },
		want: runbook.KeyFacts{Account: "730519468211", User: "svc-reporting", Status: runbook.KeyActive,
			Created: start.Add(-410 * day), InlinePolicies: []string{"reporting-access"},
			RootMFA: new(true), RootKeysPresent: new(false)},
		caller:   "arn:aws:iam::730519468211:user/ir-responder",
		calls:    []string{"ListAccessKeys", "ListAttachedUserPolicies", "ListUserPolicies", "ListGroupsForUser"},
		notCalls: []string{"GetCredentialReport"},
	}, {
		name: "AWS's quarantine policy on the owner",
		scenario: func(t *testing.T) *sim.Scenario {
			sc := loadScenario(t, "iam-user-lambda-ci")
			i := slices.IndexFunc(sc.Users, func(u sim.User) bool { return u.Name == "svc-reporting" })
			sc.Users[i].AttachedPolicies = append(sc.Users[i].AttachedPolicies, sim.QuarantinePolicyARN)
			return sc
		},
		want: runbook.KeyFacts{Account: "730519468211", User: "svc-reporting", Status: runbook.KeyActive,
			Created: start.Add(-410 * day), InlinePolicies: []string{"reporting-access"},
			AttachedPolicies: []string{"AWSCompromisedKeyQuarantineV3"}, QuarantinePolicy: "AWSCompromisedKeyQuarantineV3",
			RootMFA: new(true), RootKeysPresent: new(false)},
		caller:   "arn:aws:iam::730519468211:user/ir-responder",
		findings: []string{"critical "},
		says: []string{"AWSCompromisedKeyQuarantineV3", "until the incident is closed", "iam:UpdateAccessKey",
			"iam:DeleteAccessKey", "cloudtrail:LookupEvents", "other credentials"},
	}, {
		name: "caller in another account",
		scenario: func(t *testing.T) *sim.Scenario {
			sc := loadScenario(t, "iam-user-lambda-ci")
			sc.Responder = sim.Responder{ExternalAccount: "111122223333", ExternalUser: "auditor"}
			return sc
		},
		want:     runbook.KeyFacts{Account: "730519468211"},
		caller:   "arn:aws:iam::111122223333:user/auditor",
		findings: []string{"critical ", "info "},
		says:     []string{"belongs to account 730519468211", "credentials are for account 111122223333", "change nothing"},
		notCalls: []string{"GetAccessKeyLastUsed", "ListAccessKeys"},
	}, {
		name: "denied owner lookup: key account and owner unknown, each denial named",
		scenario: func(t *testing.T) *sim.Scenario {
			sc := loadScenario(t, "iam-user-lambda-ci")
			limitResponder(t, sc, []string{"sts:*", "iam:Get*", "iam:List*"},
				[]string{"sts:GetAccessKeyInfo", "iam:GetAccessKeyLastUsed"})
			return sc
		},
		want:     runbook.KeyFacts{RootMFA: new(true), RootKeysPresent: new(false)},
		caller:   "arn:aws:iam::730519468211:user/limited-responder",
		findings: []string{"info ", "warning iam:GetAccessKeyLastUsed", "warning sts:GetAccessKeyInfo"},
		says:     []string{"Your credentials lack iam:GetAccessKeyLastUsed", "not one of your own keys"},
	}, {
		name: "denied ListAccessKeys and policy listing: status from the credential report",
		scenario: func(t *testing.T) *sim.Scenario {
			sc := loadScenario(t, "iam-user-lambda-ci")
			limitResponder(t, sc, []string{"sts:*", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport"},
				[]string{"iam:ListAccessKeys", "iam:ListAttachedUserPolicies"})
			return sc
		},
		want: runbook.KeyFacts{Account: "730519468211", User: "svc-reporting",
			UserARN: "arn:aws:iam::730519468211:user/svc-reporting", Status: runbook.KeyActive,
			Created: start.Add(-410 * day), InlinePolicies: []string{"reporting-access"},
			RootMFA: new(true), RootKeysPresent: new(false)},
		caller:   "arn:aws:iam::730519468211:user/limited-responder",
		findings: []string{"warning iam:ListAccessKeys", "warning iam:ListAttachedUserPolicies"},
		says:     []string{"quarantine policy among them, are unknown", "read from the credential report"},
		calls:    []string{"GetCredentialReport"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := startScenario(t, tt.scenario(t))
			c := responder(t, s, url)
			if tt.asLeaked {
				id, secret, _ := s.KeyCredentials("leaked")
				c = clientsFor(t, url, id, secret)
			}
			key := s.LeakedKeyID()
			got := Identify(context.Background(), c, key)
			got.Findings = slices.DeleteFunc(got.Findings, simLacksGroups)

			if got.Caller.ARN != tt.caller {
				t.Errorf("caller = %q, want %q", got.Caller.ARN, tt.caller)
			}
			want := tt.want
			want.KeyID = key
			// Last use moves with the simulated workloads; it must be there
			// exactly when the owner is known.
			if known := got.Key.Root || got.Key.User != ""; known != !got.Key.LastUsed.IsZero() && !tt.asLeaked {
				t.Errorf("owner known %v but last used %v", known, got.Key.LastUsed)
			}
			got.Key.LastUsed, got.Key.LastUsedService, got.Key.LastUsedRegion = time.Time{}, "", ""
			gotJSON, _ := json.Marshal(got.Key)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("key facts\n got %s\nwant %s", gotJSON, wantJSON)
			}
			if f := findingActions(got.Findings); !slices.Equal(f, tt.findings) {
				t.Errorf("findings %q, want %q\n%+v", f, tt.findings, got.Findings)
			}
			var all strings.Builder
			for _, f := range got.Findings {
				all.WriteString(f.Message + "\n")
				if f.Step != runbook.StepIdentify {
					t.Errorf("finding of step %q, want identify", f.Step)
				}
			}
			for _, w := range tt.says {
				if !strings.Contains(all.String(), w) {
					t.Errorf("findings do not say %q:\n%s", w, all.String())
				}
			}
			made := map[string]bool{}
			for _, r := range s.Requests() {
				if r.AccessKeyID != key || tt.asLeaked {
					made[r.Action] = true
				}
			}
			for _, a := range tt.calls {
				if !made[a] {
					t.Errorf("%s was not called", a)
				}
			}
			for _, a := range tt.notCalls {
				if made[a] {
					t.Errorf("%s was called", a)
				}
			}
		})
	}
}

func TestIsRootName(t *testing.T) {
	const acct = "123456789012"
	tests := []struct {
		user string
		root bool
	}{
		{"", true},
		{"root", true},
		{"<root_account>", true},
		{acct, true},
		{"arn:aws:iam::" + acct + ":root", true},
		{"alice", false},
		{"rootless", false},
		{"210987654321", false},
	}
	for _, tt := range tests {
		if got := isRootName(tt.user, acct); got != tt.root {
			t.Errorf("isRootName(%q) = %v, want %v", tt.user, got, tt.root)
		}
	}
}

func TestReportRowMatch(t *testing.T) {
	t1 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	t2 := time.Date(2025, 5, 2, 10, 0, 0, 0, time.UTC)
	one := reportSlot{status: runbook.KeyActive, lastUsed: t1}
	other := reportSlot{status: runbook.KeyInactive, lastUsed: t2}
	tests := []struct {
		name     string
		slots    []reportSlot
		lastUsed time.Time
		want     *reportSlot
		n        int
	}{
		{"one key is the key", []reportSlot{other}, time.Time{}, &other, 1},
		{"two keys, told apart by last use", []reportSlot{one, other}, t2.Add(300 * time.Millisecond), &other, 2},
		{"two keys, last use unknown", []reportSlot{one, other}, time.Time{}, nil, 2},
		{"two keys used at the same second", []reportSlot{one, {lastUsed: t1}}, t1, nil, 2},
		{"no key", nil, t1, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := reportRow{slots: tt.slots}.match(tt.lastUsed)
			if n != tt.n || (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("match = %+v, %d; want %+v, %d", got, n, tt.want, tt.n)
			}
		})
	}
}
