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

const (
	mintedAccount = "402985716630"
	releaseAdmin  = "arn:aws:iam::402985716630:role/release-admin"
	partnerRole   = "arn:aws:iam::777766665555:role/partner-deploy"
)

// mintedSweep sweeps minted-session's last day as the responder.
func mintedSweep(t *testing.T, deny ...string) (*sim.Sim, runbook.SweepFinished) {
	t.Helper()
	s, url := startSim(t, "minted-session")
	c := responder(t, s, url)
	deniedIn(c, deny...)
	ev := Investigate(context.Background(), c, runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-day), To: s.Now()}, nil)
	fin, ok := ev.(runbook.SweepFinished)
	if !ok {
		t.Fatalf("got %#v, want SweepFinished", ev)
	}
	return s, fin
}

func keyOf(t *testing.T, s *sim.Sim, ref string) string {
	t.Helper()
	id, _, ok := s.KeyCredentials(ref)
	if !ok {
		t.Fatalf("no key %s", ref)
	}
	return id
}

func TestSweepFollowsMintedCredentials(t *testing.T) {
	s, fin := mintedSweep(t)
	inv := fin.Investigation
	session, admin := keyOf(t, s, "stolen-session"), keyOf(t, s, "stolen-admin")
	byVia := map[string]runbook.MintedCredential{}
	for _, m := range inv.Minted {
		byVia[m.Via+" "+m.RoleARN] = m
	}
	st, ar, foreign := byVia["GetSessionToken "], byVia["AssumeRole "+releaseAdmin], byVia["AssumeRole "+partnerRole]
	if len(inv.Minted) != 3 || st.KeyID != session || ar.KeyID != admin || foreign.KeyID == "" {
		t.Fatalf("minted = %+v", inv.Minted)
	}
	issued := sim.DefaultStart.Add(-6*time.Hour - 58*time.Minute)
	if st.MintedBy != s.LeakedKeyID() || !st.IssuedAt.Equal(issued) || !st.ExpiresAt.Equal(issued.Add(36*time.Hour)) ||
		st.ExpiryBasis != runbook.ExpiryFromResponse || !st.Swept || st.Events == 0 {
		t.Errorf("session token %+v", st)
	}
	// The role was assumed with the session token: one hop further.
	if ar.MintedBy != session || ar.CrossAccount || !ar.Swept || ar.Events == 0 || ar.ExpiresAt.Sub(ar.IssuedAt) != time.Hour {
		t.Errorf("assumed role %+v", ar)
	}
	if !foreign.CrossAccount || foreign.Swept || foreign.MintedBy != s.LeakedKeyID() {
		t.Errorf("cross-account role %+v", foreign)
	}

	// The minted keys' calls are the leak's: the persistence made with the
	// role session and the launch made with the session token are found.
	wantBlast := map[string]bool{"iam-user build-cache-svc": false, "ec2-instance ap-southeast-2": false, "temporary-credentials " + admin: false}
	for _, r := range inv.BlastRadius {
		for _, k := range []string{r.Type + " " + r.ID, r.Type + " " + r.Region} {
			if _, ok := wantBlast[k]; ok {
				wantBlast[k] = true
			}
		}
	}
	for k, found := range wantBlast {
		if !found {
			t.Errorf("blast radius lacks %s: %+v", k, inv.BlastRadius)
		}
	}
	kinds := map[string]bool{}
	for _, in := range inv.Indicators {
		kinds[in.Kind] = true
	}
	if !kinds[IndicatorPersistence] || !kinds[IndicatorResourceAbuse] {
		t.Errorf("indicators %+v", inv.Indicators)
	}
	var mintedCallers int
	for _, c := range inv.Callers {
		if strings.Contains(c.Why, "temporary credentials the key minted") {
			mintedCallers++
			if c.Label == runbook.LabelLegitimate {
				t.Errorf("the intruder's session caller %s is labelled legitimate: %s", c.ID, c.Why)
			}
		}
	}
	// The session token and the role session are used by one aws-cli on
	// one address: one caller, apart from the Boto3 that holds the key.
	if mintedCallers != 1 {
		t.Errorf("callers acting with minted credentials: %d, want 1", mintedCallers)
	}
	cov := strings.Join(inv.Coverage, "\n")
	for _, want := range []string{"Followed 2 temporary credential(s)", session, "act in another account", partnerRole} {
		if !strings.Contains(cov, want) {
			t.Errorf("coverage lacks %q:\n%s", want, cov)
		}
	}
}

// What a denied region and event history's missing data events hid, and
// what the coverage says of them.
func TestCoverageNamesWhatTheBlindSpotsHid(t *testing.T) {
	_, open := mintedSweep(t)
	_, denied := mintedSweep(t, "ap-southeast-2")
	abuse := func(inv runbook.Investigation) bool {
		return slices.ContainsFunc(inv.Indicators, func(in runbook.Indicator) bool {
			return in.Kind == IndicatorResourceAbuse && strings.Contains(in.Summary, "ap-southeast-2")
		})
	}
	// Ground truth: the session token launched instances in ap-southeast-2.
	if !abuse(open.Investigation) || abuse(denied.Investigation) {
		t.Fatalf("launches in ap-southeast-2 found: open sweep %v, denied sweep %v", abuse(open.Investigation), abuse(denied.Investigation))
	}
	cov := strings.Join(denied.Investigation.Coverage, "\n")
	for _, want := range []string{
		"Not swept: ap-southeast-2 (denied)",
		"Neither the key's calls nor those of the credentials it minted were read in ap-southeast-2",
		"Management events only",
		"Sources this sweep did not read: the trail's log files in S3",
	} {
		if !strings.Contains(cov, want) {
			t.Errorf("coverage lacks %q:\n%s", want, cov)
		}
	}

	// root-key-ec2-onprem has an address that only read S3 objects: data
	// events, which event history never holds. The sweep cannot see it;
	// the coverage says why.
	const dataOnly = "192.0.2.77"
	s, url := startSim(t, "root-key-ec2-onprem")
	ev := Investigate(context.Background(), responder(t, s, url), runbook.SweepCloudTrail{KeyID: s.LeakedKeyID(), From: s.Now().Add(-8 * day), To: s.Now()}, nil)
	fin, ok := ev.(runbook.SweepFinished)
	if !ok {
		t.Fatalf("got %#v", ev)
	}
	if slices.ContainsFunc(fin.Investigation.Callers, func(c runbook.UsageCaller) bool { return c.SourceIP == dataOnly }) {
		t.Fatalf("the data-only reader %s was found in event history", dataOnly)
	}
	if cov := strings.Join(fin.Investigation.Coverage, "\n"); !strings.Contains(cov, "data events (S3 object reads and writes") {
		t.Errorf("coverage does not say data events were not read:\n%s", cov)
	}
}

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
