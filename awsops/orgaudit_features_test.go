package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// orgWithFeatures serves org-iam4 with the two features of centralized
// root access as given.
func orgWithFeatures(t *testing.T, credsMgmt, rootSessions bool, opts ...sim.Option) (*sim.Sim, string) {
	t.Helper()
	sc, err := sim.LoadScenario("org-iam4")
	if err != nil {
		t.Fatal(err)
	}
	sc.Organization.RootCredentialsManagement, sc.Organization.RootSessions = credsMgmt, rootSessions
	return startScenario(t, sc, opts...)
}

// retirableKeys are the keys of every account no caller used in 90 days.
func retirableKeys(got []runbook.RootAudit, now time.Time) []runbook.RootKeyRetirement {
	var keys []runbook.RootKeyRetirement
	for _, r := range got {
		if r.Retirable(now, 90*24*time.Hour) {
			for _, k := range r.Keys {
				keys = append(keys, runbook.RootKeyRetirement{Account: r.Account, KeyID: k.ID})
			}
		}
	}
	return keys
}

// RootSessions alone lets every member be read through AssumeRoot; only
// deleting needs root credentials management, so the retirement refuses
// with the call that enables it and sends no session bound to fail.
func TestOrgAuditReadsMembersWithRootSessionsAlone(t *testing.T) {
	s, url := orgWithFeatures(t, false, true)
	a := orgAuditFor(t, s, url)
	got, res := runAudit(t, a, nil)
	if !res.RootAccess || res.Features.Sessions != runbook.Yes || res.Features.CredentialsManagement != runbook.No {
		t.Fatalf("result %+v, want members read through AssumeRoot", res)
	}
	if keys := withKeys(got, runbook.Yes); !slices.Equal(keys, orgIAM4WithKeys) {
		t.Fatalf("accounts with root keys %v, want %v", keys, orgIAM4WithKeys)
	}
	for _, r := range got {
		if !r.Management && (r.Source != runbook.SourceAssumeRoot || r.MFA == runbook.Unknown) {
			t.Fatalf("%s read from %q (MFA %s, why %q), want AssumeRoot", r.Account, r.Source, r.MFA, r.Why)
		}
	}
	if !strings.Contains(res.Advice, EnableRootCredentialsManagementCall) || strings.Contains(res.Advice, EnableRootSessionsCall) ||
		strings.Contains(res.Advice, EnableTrustedAccessCall) {
		t.Fatalf("advice %q, want only the call enabling root credentials management", res.Advice)
	}
	if refusal := res.Features.DeleteRefusal(); !strings.Contains(refusal, EnableRootCredentialsManagementCall) {
		t.Fatalf("refusal %q, want the call enabling root credentials management", refusal)
	}
	for _, rq := range s.Requests() {
		if rq.Action == "GetFindings" {
			t.Fatal("Security Hub was read although AssumeRoot reads every member")
		}
	}

	keys := retirableKeys(got, s.Now())
	if len(keys) != 5 {
		t.Fatalf("%d retirable keys, want 5", len(keys))
	}
	before := len(s.Requests())
	var journaled int
	out, err := a.RetireRootKeys(context.Background(), keys, false, func(runbook.RecordType, runbook.RootKeyRetirement) error {
		journaled++
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), EnableRootCredentialsManagementCall) || len(out) != 0 || journaled != 0 {
		t.Fatalf("retirement: %d outcomes, %d journal records, error %v; want a refusal naming the enabling call, nothing journaled", len(out), journaled, err)
	}
	for _, rq := range s.Requests()[before:] {
		if rq.Action != "ListOrganizationsFeatures" {
			t.Fatalf("the refused retirement called %s", rq.Action)
		}
	}
}

// With both features the audit and the retirement are unchanged, and
// nothing is advised.
func TestOrgAuditWithBothFeaturesAdvisesNothing(t *testing.T) {
	s, url := orgWithFeatures(t, true, true)
	a := orgAuditFor(t, s, url)
	got, res := runAudit(t, a, nil)
	if !res.RootAccess || res.Advice != "" || res.Features.DeleteRefusal() != "" || res.Features.RetireNote() != "" {
		t.Fatalf("result %+v, want members read and no advice", res)
	}
	out, err := a.RetireRootKeys(context.Background(), retirableKeys(got, s.Now()), true, func(runbook.RecordType, runbook.RootKeyRetirement) error { return nil })
	if err != nil || len(out) != 5 {
		t.Fatalf("dry-run retirement: %d outcomes, %v", len(out), err)
	}
}

// A failed ListOrganizationsFeatures is not a no: the audit and the
// retirement try AssumeRoot, and the advice says the features are unknown
// and why.
func TestOrgAuditTriesAssumeRootWhenTheFeaturesAreUnknown(t *testing.T) {
	s, url := orgWithFeatures(t, true, true, sim.WithFaults(sim.Fault{Operation: "ListOrganizationsFeatures", Kind: sim.FaultDeny}))
	a := orgAuditFor(t, s, url)
	got, res := runAudit(t, a, nil)
	if !res.RootAccess || res.Features.Sessions != runbook.Unknown ||
		!strings.Contains(res.Advice, "unknown, because your credentials lack iam:ListOrganizationsFeatures") {
		t.Fatalf("result %+v, want AssumeRoot tried and the features unknown, because of the denial", res)
	}
	if keys := withKeys(got, runbook.Yes); !slices.Equal(keys, orgIAM4WithKeys) {
		t.Fatalf("accounts with root keys %v, want %v", keys, orgIAM4WithKeys)
	}
	if note := res.Features.RetireNote(); !strings.Contains(note, "unknown, because your credentials lack iam:ListOrganizationsFeatures") {
		t.Fatalf("retire note %q", note)
	}
	out, err := a.RetireRootKeys(context.Background(), retirableKeys(got, s.Now()), false, func(runbook.RecordType, runbook.RootKeyRetirement) error { return nil })
	if err != nil || len(out) != 5 || out[0].Outcome != "deleted" {
		t.Fatalf("retirement with the features unknown: %+v, %v; want each key tried and deleted", out, err)
	}
}

// featuresIAM answers ListOrganizationsFeatures with err.
type featuresIAM struct {
	ManagementIAMAPI
	err error
}

func (f featuresIAM) ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	return nil, f.err
}

// Without IAM's trusted access in Organizations ListOrganizationsFeatures
// fails with ServiceAccessNotEnabled: both features are off, and enabling
// starts with trusted access.
func TestRootFeaturesWithoutTrustedAccess(t *testing.T) {
	a := &OrgAudit{IAM: featuresIAM{err: &iamtypes.ServiceAccessNotEnabledException{Message: aws.String("trusted access is not enabled")}}}
	f := a.rootFeatures(context.Background())
	if f.ReadsMembers() || f.Why != "" {
		t.Fatalf("features %+v, want both off", f)
	}
	for _, text := range []string{f.Advice(), f.DeleteRefusal()} {
		if !strings.Contains(text, EnableTrustedAccessCall+"; "+EnableRootSessionsCall+"; "+EnableRootCredentialsManagementCall) {
			t.Errorf("%q, want the three calls in order", text)
		}
	}
}

// Each message names exactly the calls its case needs.
func TestRootFeaturesNameTheCallsTheyNeed(t *testing.T) {
	y, n, u := runbook.Yes, runbook.No, runbook.Unknown
	tests := []struct {
		name                     string
		f                        RootFeatures
		reads                    bool
		adviceCalls, deleteCalls []string
		adviceSays               string
	}{
		{"both on", RootFeatures{Sessions: y, CredentialsManagement: y}, true, nil, nil, ""},
		{"root sessions alone", RootFeatures{Sessions: y, CredentialsManagement: n}, true,
			[]string{EnableRootCredentialsManagementCall}, []string{EnableRootCredentialsManagementCall}, "cannot delete its root keys"},
		{"credentials management alone", RootFeatures{Sessions: n, CredentialsManagement: y}, false,
			[]string{EnableRootSessionsCall}, []string{EnableRootSessionsCall}, "(RootSessions) are not enabled"},
		{"neither", RootFeatures{Sessions: n, CredentialsManagement: n}, false,
			[]string{EnableRootSessionsCall, EnableRootCredentialsManagementCall}, []string{EnableRootSessionsCall, EnableRootCredentialsManagementCall},
			"Centralized root access is not enabled"},
		{"unknown", RootFeatures{Sessions: u, CredentialsManagement: u, Why: "Calling iam:ListOrganizationsFeatures failed: ServiceUnavailable"}, true,
			nil, nil, "unknown, because calling iam:ListOrganizationsFeatures failed"},
	}
	all := []string{EnableTrustedAccessCall, EnableRootSessionsCall, EnableRootCredentialsManagementCall}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.ReadsMembers() != tt.reads {
				t.Errorf("reads members %v, want %v", tt.f.ReadsMembers(), tt.reads)
			}
			if got := tt.f.DeleteNeeds(); !slices.Equal(got, tt.deleteCalls) {
				t.Errorf("deletion needs %v, want %v", got, tt.deleteCalls)
			}
			advice, refusal := tt.f.Advice(), tt.f.DeleteRefusal()
			if !strings.Contains(advice, tt.adviceSays) || (tt.adviceSays == "") != (advice == "") {
				t.Errorf("advice %q, want it to say %q", advice, tt.adviceSays)
			}
			if (refusal == "") != (len(tt.deleteCalls) == 0) {
				t.Errorf("refusal %q, want one exactly when a call is needed (%v)", refusal, tt.deleteCalls)
			}
			for _, c := range all {
				if strings.Contains(advice, c) != slices.Contains(tt.adviceCalls, c) {
					t.Errorf("advice %q names %q: %v, want %v", advice, c, !slices.Contains(tt.adviceCalls, c), slices.Contains(tt.adviceCalls, c))
				}
				if strings.Contains(refusal, c) != slices.Contains(tt.deleteCalls, c) {
					t.Errorf("refusal %q names %q: want %v", refusal, c, slices.Contains(tt.deleteCalls, c))
				}
			}
		})
	}
}
