package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

var orgIAM4RootKeys = []string{"410000000101", "410000000102", "410000000103", "410000000104", "410000000105", "410000000106"}

func TestOrgJSONListsExactlyTheAccountsWithRootKeys(t *testing.T) {
	isolateAWS(t)
	log := filepath.Join(t.TempDir(), "org.jsonl")
	code, out, errOut := call(t, "org", "--scenario", "org-iam4", "--json", "--log", log)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Organization string
		Accounts     []struct {
			Account   string
			Retirable bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, a := range doc.Accounts {
		ids = append(ids, a.Account)
	}
	if doc.Accounts[0].Account != "410000000102" {
		t.Errorf("first account %s, want sandbox-7 (used 2h ago, no MFA)", doc.Accounts[0].Account)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, orgIAM4RootKeys) {
		t.Fatalf("accounts %v, want %v", ids, orgIAM4RootKeys)
	}
	if !strings.Contains(errOut, "51 accounts audited") || strings.Contains(out, "accounts audited") {
		t.Fatalf("progress belongs on stderr only; stderr %q", errOut)
	}
	// Run again with the same log: nothing is read twice.
	code, _, errOut = call(t, "org", "--scenario", "org-iam4", "--csv", "--log", log)
	if code != 0 || !strings.Contains(errOut, "resuming from "+log+": 51 accounts already audited") {
		t.Fatalf("second run: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := call(t, "verify", log); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, out)
	}
}

func TestOrgCSVHasOneRowPerAccountWithAKey(t *testing.T) {
	isolateAWS(t)
	code, out, errOut := call(t, "org", "--scenario", "org-iam4", "--csv", "--log", filepath.Join(t.TempDir(), "org.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || rows[0][0] != "account" || rows[1][0] != "410000000102" || rows[1][4] != "ec2 ap-southeast-1 1h ago" {
		t.Fatalf("csv:\n%s", out)
	}
}

func TestOrgRetiresUnusedKeysAfterConfirmation(t *testing.T) {
	isolateAWS(t)
	tests := []struct {
		name, typed string
		args        []string
		wantCode    int
		want        string
		records     int
	}{
		{"confirmed", "5\n", nil, 0, ": deleted", 10},
		{"dry-run", "5\n", []string{"--dry-run"}, 0, ": would delete", 10},
		{"not confirmed", "yes\n", nil, 1, "not confirmed", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "org.jsonl")
			var out, errb bytes.Buffer
			args := append([]string{"org", "--scenario", "org-iam4", "--retire-unused", "--log", log}, tt.args...)
			code := run(context.Background(), args, streams{in: strings.NewReader(tt.typed), out: &out, err: &errb})
			if code != tt.wantCode || strings.Count(errb.String(), tt.want) != max(1, tt.records/2) {
				t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
			}
			f, err := os.Open(log)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, res := runbook.ReadJournal(f)
			if !res.OK {
				t.Fatal(res.Reason)
			}
			n := 0
			for _, r := range recs {
				if r.Name == runbook.RecordRetireRootKey {
					n++
				}
			}
			if n != tt.records {
				t.Fatalf("%d deletion records, want %d (an intent and a result per key)", n, tt.records)
			}
		})
	}
}

func TestOrgFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"org", "--json", "--csv"}, "exclude each other"},
		{[]string{"org", "--rate", "601"}, "at most 600"},
		{[]string{"org", "--dry-run"}, "go with --retire-unused"},
		{[]string{"org", "--scenario", "attacker-only"}, "has no organization"},
	}
	for _, tt := range tests {
		code, _, errOut := call(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.want)
		}
	}
}

// isolateAWS keeps the machine's AWS configuration out of a test: the
// simulated organization is reached with its own credentials.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, v := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(v, "")
	}
}
