package runbook

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var orgNow = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

const window = 90 * 24 * time.Hour

func usedKey(ago time.Duration) RootKey {
	return RootKey{ID: "AKIAEXAMPLEEXAMPLE12", Status: "Active", LastUsedKnown: true, LastUsed: orgNow.Add(-ago), Service: "s3", Region: "us-east-1"}
}

func TestRootAuditRiskOrder(t *testing.T) {
	never := RootKey{ID: "AKIANEVERUSEDNEVER12", Status: "Active", LastUsedKnown: true}
	accounts := []RootAudit{
		{Account: "1", Name: "clean", HasKeys: No, MFA: Yes},
		{Account: "2", Name: "never-used-mfa", HasKeys: Yes, MFA: Yes, Keys: []RootKey{never}},
		{Account: "3", Name: "used-now-mfa", HasKeys: Yes, MFA: Yes, Keys: []RootKey{usedKey(20 * time.Minute)}},
		{Account: "4", Name: "used-now-no-mfa", HasKeys: Yes, MFA: No, Keys: []RootKey{usedKey(2 * time.Hour)}},
		{Account: "5", Name: "unknown", HasKeys: Unknown, MFA: Unknown},
		{Account: "6", Name: "used-last-month", HasKeys: Yes, MFA: No, Keys: []RootKey{usedKey(30 * 24 * time.Hour)}},
		{Account: "7", Name: "never-used-no-mfa", HasKeys: Yes, MFA: No, Keys: []RootKey{never}},
	}
	SortByRisk(accounts, orgNow, window)
	want := []string{"used-now-no-mfa", "used-now-mfa", "used-last-month", "never-used-no-mfa", "never-used-mfa", "unknown", "clean"}
	for i, w := range want {
		if accounts[i].Name != w {
			var got []string
			for _, a := range accounts {
				got = append(got, a.Name)
			}
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestRootAuditRetirable(t *testing.T) {
	unknownUse := RootKey{ID: "AKIAUNKNOWNUNKNOWN12", Status: "Active"}
	tests := []struct {
		name string
		a    RootAudit
		want bool
	}{
		{"never used", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{{LastUsedKnown: true}}}, true},
		{"used before the window", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{usedKey(400 * 24 * time.Hour)}}, true},
		{"used in the window", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{usedKey(time.Hour)}}, false},
		{"one of two used", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{{LastUsedKnown: true}, usedKey(time.Hour)}}, false},
		{"last use unknown", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{unknownUse}}, false},
		{"from Security Hub: no key IDs", RootAudit{Source: SourceSecurityHub, HasKeys: Yes}, false},
		{"no key", RootAudit{Source: SourceAssumeRoot, HasKeys: No}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Retirable(orgNow, window); got != tt.want {
				t.Fatalf("Retirable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRootKeyLastUse(t *testing.T) {
	tests := []struct {
		k    RootKey
		want string
	}{
		{usedKey(20 * time.Minute), "s3 us-east-1 20m ago"},
		{usedKey(5 * time.Hour), "s3 us-east-1 5h ago"},
		{usedKey(400 * 24 * time.Hour), "s3 us-east-1 400d ago"},
		{RootKey{LastUsedKnown: true}, "never"},
		{RootKey{}, "unknown"},
	}
	for _, tt := range tests {
		if got := tt.k.LastUse(orgNow); got != tt.want {
			t.Errorf("LastUse = %q, want %q", got, tt.want)
		}
	}
}

// The org journal round-trips through the real action log, and nothing in
// a root audit is mistaken for a secret by the redaction.
func TestAuditedAccountsFoldTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.jsonl")
	j, err := CreateJournal(path, "live", "arn:aws:iam::410000000001:user/org-responder", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := RootAudit{Account: "410000000101", Name: "payments-prod", Source: SourceAssumeRoot, HasKeys: Yes, MFA: Yes,
		LoginProfile: No, Keys: []RootKey{usedKey(20 * time.Minute)}}
	for _, rec := range []struct {
		typ  RecordType
		name string
		data any
	}{
		{RecordResult, RecordRootAudited, a},
		{RecordIntent, RecordRetireRootKey, RootKeyRetirement{Account: "410000000103", KeyID: "AKIARETIREDRETIRED12"}},
		{RecordResult, RecordRetireRootKey, RootKeyRetirement{Account: "410000000103", KeyID: "AKIARETIREDRETIRED12", Outcome: "deleted"}},
		{RecordResult, RecordRetireRootKey, RootKeyRetirement{Account: "410000000104", KeyID: "AKIAWOULDWOULDWOUL12", Outcome: "would delete"}},
	} {
		if _, err := j.Append(rec.typ, StepOrgAudit, rec.name, rec.data); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Close()
	j, recs, err := OpenJournal(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	done, retired, err := AuditedAccounts(recs)
	if err != nil {
		t.Fatal(err)
	}
	got := done["410000000101"]
	if got.LoginProfile != No || got.MFA != Yes || len(got.Keys) != 1 || !got.Keys[0].LastUsed.Equal(a.Keys[0].LastUsed) {
		t.Fatalf("read back %+v, want %+v", got, a)
	}
	if !retired["AKIARETIREDRETIRED12"] || retired["AKIAWOULDWOULDWOUL12"] || len(retired) != 1 {
		t.Fatalf("retired %v, want only the key whose deletion succeeded", retired)
	}
}

func TestAnOrgLogIsNoIncident(t *testing.T) {
	recs := []Record{{Seq: 1, Mode: "live", Type: RecordResult, Step: StepOrgAudit, Name: RecordRootAudited, Data: []byte(`{"account":"1"}`)}}
	if _, err := ReplayRecords(recs); err == nil || !strings.Contains(err.Error(), "keyrunbook org --log") {
		t.Fatalf("replaying an org log: %v", err)
	}
}

// NextMove is the one classification the org table, its TUI and the
// campaign word: each account lands on exactly one move.
func TestRootAuditNextMove(t *testing.T) {
	now := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	window := 90 * 24 * time.Hour
	unused := RootKey{ID: "AKIAUNUSED", Status: "Active", LastUsedKnown: true}
	inUse := RootKey{ID: "AKIAINUSE", Status: "Active", LastUsedKnown: true, LastUsed: now.Add(-time.Hour)}
	unknown := RootKey{ID: "AKIAUNKNOWN", Status: "Active"}
	tests := []struct {
		name string
		a    RootAudit
		want OrgMove
		use  string
	}{
		{"no key used in the window", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{unused}}, MoveRetire, "in use"},
		{"a key in use", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{unused, inUse}}, MoveRespond, "in use"},
		{"a key whose last use is unknown", RootAudit{Source: SourceAssumeRoot, HasKeys: Yes, Keys: []RootKey{unknown}}, MoveRespond, "last use unknown"},
		{"the management account", RootAudit{Management: true, Source: "account summary", HasKeys: Yes}, MoveManagementRoot, "in use"},
		{"Security Hub only", RootAudit{Source: SourceSecurityHub, HasKeys: Yes}, MoveEnableCentral, "in use"},
		{"unread", RootAudit{HasKeys: Unknown, Why: "unknown, because sts:AssumeRoot was denied"}, MoveReread, "in use"},
		{"no root key", RootAudit{Source: SourceAssumeRoot, HasKeys: No}, MoveCheckByHand, "in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.NextMove(now, window); got != tt.want {
				t.Errorf("NextMove = %d, want %d", got, tt.want)
			}
			if got := tt.a.UseText(now, window); got != tt.use {
				t.Errorf("UseText = %q, want %q", got, tt.use)
			}
		})
	}
}
