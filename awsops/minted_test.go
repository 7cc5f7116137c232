package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/judge"
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
	if !kinds[judge.IndicatorPersistence] || !kinds[judge.IndicatorResourceAbuse] {
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
			return in.Kind == judge.IndicatorResourceAbuse && strings.Contains(in.Summary, "ap-southeast-2")
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
