package judge

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

const (
	mintedAccount = "402985716630"
	releaseAdmin  = "arn:aws:iam::402985716630:role/release-admin"
	partnerRole   = "arn:aws:iam::777766665555:role/partner-deploy"
)

func trailRec(t *testing.T, js string) *TrailRecord {
	t.Helper()
	r, err := ParseTrailRecord([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestMintedLedgerReadsTheMintingEvents(t *testing.T) {
	const leaked = "AKIAIOSFODNN7EXAMPLE"
	at := "2025-06-02T09:00:00Z"
	issued, _ := time.Parse(time.RFC3339, at)
	event := func(typ, key, name, req, resp string) string {
		return `{"eventTime":"` + at + `","eventSource":"sts.amazonaws.com","eventName":"` + name + `","awsRegion":"us-east-1",` +
			`"recipientAccountId":"` + mintedAccount + `","userIdentity":{"type":"` + typ + `","accountId":"` + mintedAccount + `","accessKeyId":"` + key + `"},` +
			`"requestParameters":` + req + `,"responseElements":` + resp + `}`
	}
	creds := func(id, exp string) string {
		if exp == "" {
			return `{"credentials":{"accessKeyId":"` + id + `"}}`
		}
		return `{"credentials":{"accessKeyId":"` + id + `","expiration":"` + exp + `"}}`
	}
	tests := []struct {
		name      string
		records   []string
		wantKey   string
		wantUntil time.Duration
		wantBasis string
		cross     bool
	}{
		{"expiration as CloudTrail writes it", []string{event("IAMUser", leaked, "GetSessionToken", `null`, creds("ASIAAAAAAAAAAAAAAAA1", "Jun 3, 2025 9:00:00 PM"))},
			"ASIAAAAAAAAAAAAAAAA1", 36 * time.Hour, runbook.ExpiryFromResponse, false},
		{"expiration in the newer spelling", []string{event("IAMUser", leaked, "GetSessionToken", `null`, creds("ASIAAAAAAAAAAAAAAAA1", "Jun 2, 2025, 10:00:00 AM"))},
			"ASIAAAAAAAAAAAAAAAA1", time.Hour, runbook.ExpiryFromResponse, false},
		{"requested duration", []string{event("IAMUser", leaked, "GetFederationToken", `{"name":"x","durationSeconds":7200}`, creds("ASIAAAAAAAAAAAAAAAA1", ""))},
			"ASIAAAAAAAAAAAAAAAA1", 2 * time.Hour, runbook.ExpiryFromRequested, false},
		{"root's longest session", []string{event("Root", leaked, "GetSessionToken", `null`, creds("ASIAAAAAAAAAAAAAAAA1", ""))},
			"ASIAAAAAAAAAAAAAAAA1", runbook.MaxRootSession, runbook.ExpiryFromMaximum, false},
		{"a role's longest session", []string{event("IAMUser", leaked, "AssumeRole", `{"roleArn":"`+releaseAdmin+`"}`, creds("ASIAAAAAAAAAAAAAAAA1", ""))},
			"ASIAAAAAAAAAAAAAAAA1", runbook.MaxRoleSession, runbook.ExpiryFromMaximum, false},
		{"another account's role", []string{event("IAMUser", leaked, "AssumeRole", `{"roleArn":"`+partnerRole+`"}`, creds("ASIAAAAAAAAAAAAAAAA1", ""))},
			"ASIAAAAAAAAAAAAAAAA1", runbook.MaxRoleSession, runbook.ExpiryFromMaximum, true},
		{"a chain: a role assumed by a minted role session", []string{
			event("IAMUser", leaked, "AssumeRole", `{"roleArn":"`+releaseAdmin+`"}`, creds("ASIAAAAAAAAAAAAAAAA1", "")),
			event("AssumedRole", "ASIAAAAAAAAAAAAAAAA1", "AssumeRole", `{"roleArn":"`+releaseAdmin+`"}`, creds("ASIAAAAAAAAAAAAAAAA2", "")),
		}, "ASIAAAAAAAAAAAAAAAA2", runbook.MaxChainedSession, runbook.ExpiryFromMaximum, false},
		{"minted by someone else's key", []string{event("IAMUser", "AKIAOTHERKEY22222222", "GetSessionToken", `null`, creds("ASIAAAAAAAAAAAAAAAA1", ""))}, "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l mintedLedger
			for _, js := range tt.records {
				l.note(trailRec(t, js), leaked)
			}
			got := l.list()
			i := slices.IndexFunc(got, func(m runbook.MintedCredential) bool { return m.KeyID == tt.wantKey })
			if tt.wantKey == "" {
				if len(got) != 0 {
					t.Fatalf("ledger %+v, want nothing", got)
				}
				return
			}
			if i < 0 {
				t.Fatalf("ledger %+v lacks %s", got, tt.wantKey)
			}
			m := got[i]
			if m.ExpiresAt.Sub(issued) != tt.wantUntil || m.ExpiryBasis != tt.wantBasis || m.CrossAccount != tt.cross {
				t.Fatalf("credential %+v: want valid %s (%s), cross-account %v", m, tt.wantUntil, tt.wantBasis, tt.cross)
			}
		})
	}
}

func TestMintedLedgerIgnoresFailuresAndCountsUse(t *testing.T) {
	const leaked = "AKIAIOSFODNN7EXAMPLE"
	var l mintedLedger
	failed := `{"eventTime":"2025-06-02T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","errorCode":"AccessDenied",` +
		`"userIdentity":{"type":"IAMUser","accessKeyId":"` + leaked + `"},"responseElements":null}`
	l.note(trailRec(t, failed), leaked)
	ok := `{"eventTime":"2025-06-02T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken",` +
		`"userIdentity":{"type":"IAMUser","accessKeyId":"` + leaked + `"},"responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAA1"}}}`
	l.note(trailRec(t, ok), leaked)
	use := `{"eventTime":"2025-06-02T09:05:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeRegions","userIdentity":{"type":"IAMUser","accessKeyId":"ASIAAAAAAAAAAAAAAAA1"}}`
	for range 3 {
		l.note(trailRec(t, use), leaked)
	}
	got := l.list()
	if len(got) != 1 || got[0].Events != 3 {
		t.Fatalf("ledger %+v, want one credential used 3 times", got)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "secret") {
		t.Fatal("the ledger holds a secret")
	}
}
