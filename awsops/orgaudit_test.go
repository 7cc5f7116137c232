package awsops

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// orgAuditFor is the audit as keyrunbook org builds it, signed with the
// scenario's responder in the management account.
func orgAuditFor(t testing.TB, s *sim.Sim, url string) *OrgAudit {
	t.Helper()
	isolate(t)
	tr := &http.Transport{MaxIdleConnsPerHost: idleConnsPerHost}
	t.Cleanup(tr.CloseIdleConnections)
	id, secret := s.ResponderCredentials()
	cfg, err := LoadConfig(context.Background(), Target{Region: "us-east-1", Endpoint: url,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	return NewOrgAudit(cfg)
}

func runAudit(t *testing.T, a *OrgAudit, done map[string]runbook.RootAudit) ([]runbook.RootAudit, OrgAuditResult) {
	t.Helper()
	var got []runbook.RootAudit
	res, err := a.Run(context.Background(), done, func(r runbook.RootAudit) error { got = append(got, r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got, res
}

func withKeys(accts []runbook.RootAudit, a runbook.Answer) []string {
	var out []string
	for _, r := range accts {
		if r.HasKeys == a {
			out = append(out, r.Account)
		}
	}
	slices.Sort(out)
	return out
}

var orgIAM4WithKeys = []string{"410000000101", "410000000102", "410000000103", "410000000104", "410000000105", "410000000106"}

func TestOrgAuditFindsExactlyTheAccountsWithRootKeys(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	got, res := runAudit(t, orgAuditFor(t, s, url), nil)
	if len(got) != 51 || res.Audited != 51 || !res.RootAccess || res.Organization != "o-lumenf0ld7x" {
		t.Fatalf("audited %d accounts (result %+v), want the management account and 50 members", len(got), res)
	}
	if keys := withKeys(got, runbook.Yes); !slices.Equal(keys, orgIAM4WithKeys) {
		t.Fatalf("accounts with root keys %v, want %v", keys, orgIAM4WithKeys)
	}
	if unknown := withKeys(got, runbook.Unknown); len(unknown) != 0 {
		t.Fatalf("unknown %v, want none: the management account is read from its account summary", unknown)
	}
	now := s.Now()
	runbook.SortByRisk(got, now, 90*24*time.Hour)
	if got[0].Name != "sandbox-7" || got[1].Name != "payments-prod" {
		t.Fatalf("riskiest first: %s, %s; want sandbox-7 (used by the attacker within 2h, no MFA) then payments-prod (used 20m ago, MFA)", got[0].Name, got[1].Name)
	}
	k := got[1].Keys[0]
	// payments-prod's on-prem job lists buckets every 20 minutes with its root key.
	if !strings.HasPrefix(k.LastUse(now), "s3 us-east-1 ") || now.Sub(k.LastUsed) > 21*time.Minute || got[1].MFA != runbook.Yes || got[0].MFA != runbook.No {
		t.Fatalf("payments-prod: %q, MFA %s; sandbox-7 MFA %s", k.LastUse(now), got[1].MFA, got[0].MFA)
	}
	var retirable []string
	for _, r := range got {
		if r.Retirable(now, 90*24*time.Hour) {
			retirable = append(retirable, r.Name)
		}
	}
	slices.Sort(retirable)
	if want := []string{"ci-shared", "data-archive", "legacy-billing", "old-marketing"}; !slices.Equal(retirable, want) {
		t.Fatalf("retirable %v, want %v", retirable, want)
	}
}

func TestOrgAuditResumesWithoutRereadingJournaledAccounts(t *testing.T) {
	s, url := startSim(t, "org-iam4")
	a := orgAuditFor(t, s, url)
	ctx, cancel := context.WithCancel(context.Background())
	var first []runbook.RootAudit
	_, err := a.Run(ctx, nil, func(r runbook.RootAudit) error {
		first = append(first, r)
		if len(first) == 10 {
			cancel()
		}
		return nil
	}, nil)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("interrupted audit returned %v", err)
	}
	done := map[string]runbook.RootAudit{}
	for _, r := range first {
		done[r.Account] = r
	}
	before := settled(s)
	rest, res := runAudit(t, a, done)
	if res.Resumed != len(done) || len(rest)+len(done) != 51 {
		t.Fatalf("resumed %d, audited %d more, want 51 in all", res.Resumed, len(rest))
	}
	for _, r := range rest {
		if _, again := done[r.Account]; again {
			t.Fatalf("account %s audited twice", r.Account)
		}
	}
	assumed := 0
	for _, rq := range s.Requests()[before:] {
		// A throttled call is retried by the SDK; only sessions count.
		if rq.Action == "AssumeRoot" && rq.ErrorCode == "" {
			assumed++
		}
	}
	if assumed != 50-countMembers(done) {
		t.Fatalf("the resumed run opened %d root sessions, want one per member not yet audited (%d)", assumed, 50-countMembers(done))
	}
}

// settled waits for requests the interrupted run had in flight to be
// answered (the client gave up on them, the server still logs them) and
// returns how many the sim answered.
func settled(s *sim.Sim) int {
	n := len(s.Requests())
	for {
		time.Sleep(50 * time.Millisecond)
		m := len(s.Requests())
		if m == n {
			return n
		}
		n = m
	}
}

func countMembers(done map[string]runbook.RootAudit) int {
	n := 0
	for _, r := range done {
		if !r.Management {
			n++
		}
	}
	return n
}

func TestOrgAuditFallsBackToSecurityHubAndSaysHowToEnable(t *testing.T) {
	tests := []struct {
		name        string
		securityHub bool
		wantKeys    []string
		wantWhy     string
	}{
		{"Security Hub aggregates IAM.4", true, orgIAM4WithKeys, "Security Hub's IAM.4 finding"},
		{"no Security Hub", false, nil, "is not subscribed to AWS Security Hub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("org-iam4")
			if err != nil {
				t.Fatal(err)
			}
			sc.Organization.RootCredentialsManagement, sc.Organization.RootSessions = false, false
			sc.Organization.SecurityHub = tt.securityHub
			s, url := startScenario(t, sc)
			got, res := runAudit(t, orgAuditFor(t, s, url), nil)
			if res.RootAccess || !strings.Contains(res.Advice, "aws iam enable-organizations-root-credentials-management") ||
				!strings.Contains(res.Advice, "aws iam enable-organizations-root-sessions") {
				t.Fatalf("advice %q", res.Advice)
			}
			if keys := withKeys(got, runbook.Yes); !slices.Equal(keys, tt.wantKeys) {
				t.Fatalf("accounts with root keys %v, want %v", keys, tt.wantKeys)
			}
			for _, r := range got {
				if r.Management {
					continue
				}
				if r.MFA != runbook.Unknown || !strings.Contains(r.Why, tt.wantWhy) {
					t.Fatalf("%s: MFA %s, why %q; want unknown, because %q", r.Account, r.MFA, r.Why, tt.wantWhy)
				}
			}
			for _, rq := range s.Requests() {
				if rq.Action == "AssumeRoot" {
					t.Fatal("AssumeRoot was called although centralized root access is off")
				}
			}
		})
	}
}

func TestRetireRootKeysJournalsEachDeletion(t *testing.T) {
	for _, dry := range []bool{true, false} {
		t.Run(map[bool]string{true: "dry-run", false: "live"}[dry], func(t *testing.T) {
			s, url := startSim(t, "org-iam4")
			a := orgAuditFor(t, s, url)
			got, _ := runAudit(t, a, nil)
			var keys []runbook.RootKeyRetirement
			for _, r := range got {
				if r.Retirable(s.Now(), 90*24*time.Hour) {
					for _, k := range r.Keys {
						keys = append(keys, runbook.RootKeyRetirement{Account: r.Account, KeyID: k.ID})
					}
				}
			}
			var log []string
			out, err := a.RetireRootKeys(context.Background(), keys, dry, func(typ runbook.RecordType, r runbook.RootKeyRetirement) error {
				log = append(log, string(typ)+" "+r.KeyID+" "+r.Outcome)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "would delete", false: "deleted"}[dry]
			if len(out) != 5 || len(log) != 10 {
				t.Fatalf("%d outcomes, %d journal records; want 5 keys, an intent and a result each", len(out), len(log))
			}
			for _, r := range out {
				if r.Outcome != want {
					t.Fatalf("%s: %q, want %q", r.KeyID, r.Outcome, want)
				}
			}
			again, _ := runAudit(t, a, nil)
			left := withKeys(again, runbook.Yes)
			wantLeft := orgIAM4WithKeys
			if !dry {
				wantLeft = []string{"410000000101", "410000000102"} // the used ones need their runbook
			}
			if !slices.Equal(left, wantLeft) {
				t.Fatalf("after retiring, root keys in %v, want %v", left, wantLeft)
			}
		})
	}
}

// AssumeRoot cannot reach the management account's root; its account
// summary still says whether root has a key.
func TestOrgAuditReadsTheManagementRootFromItsSummary(t *testing.T) {
	sc, err := sim.LoadScenario("org-iam4")
	if err != nil {
		t.Fatal(err)
	}
	sc.Root.Keys = []sim.Key{{Ref: "management-root", Created: "-900d"}}
	s, url := startScenario(t, sc)
	got, _ := runAudit(t, orgAuditFor(t, s, url), nil)
	for _, r := range got {
		if !r.Management {
			continue
		}
		if r.HasKeys != runbook.Yes || r.MFA != runbook.Yes || r.Retirable(s.Now(), 90*24*time.Hour) ||
			!strings.Contains(r.Why, "cannot reach the management account's root user") {
			t.Fatalf("management account: %+v", r)
		}
		return
	}
	t.Fatal("the management account was not audited")
}
