package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The model response of org-iam4 plays to Closed: the unused root keys
// retired in bulk with a journaled intent and result each, then the
// attacker's and the on-prem job's keys each through a runbook in their
// member account, contained with an SCP and deleted through AssumeRoot.
func TestOrgCampaignPlaysToClosed(t *testing.T) {
	isolateAWS(t)
	sc, err := sim.LoadScenario("org-iam4")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	var out bytes.Buffer
	if err := playCampaign(context.Background(), sc, filepath.Join(dir, "org.jsonl"), 30*time.Minute, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), ": 100/100"); n != 2 {
		t.Fatalf("%d runbooks scored 100, want 2 (sandbox-7, payments-prod):\n%s", n, out.String())
	}
	org := readRecords(t, filepath.Join(dir, "org.jsonl"))
	retired := 0
	for _, r := range org {
		if r.Name == runbook.RecordRetireRootKey {
			retired++
		}
	}
	if retired != 10 {
		t.Errorf("%d retirement records, want 10 (an intent and a result for each of 5 unused keys)", retired)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "keyrunbook-demo-*.jsonl"))
	if len(logs) != 2 {
		t.Fatalf("member logs %v, want 2", logs)
	}
	for _, log := range logs {
		recs := readRecords(t, log)
		calls := map[string]bool{}
		rp, err := runbook.ReplayRecords(recs)
		if err != nil {
			t.Fatal(err)
		}
		closed := rp.Machine.State().Step == runbook.StepClosed
		for _, r := range recs {
			if r.Name == "APICall" {
				var c runbook.APICall
				if err := json.Unmarshal(r.Data, &c); err == nil && c.Error == "" {
					calls[c.Operation] = true
				}
			}
		}
		for _, want := range []string{"CreatePolicy", "AttachPolicy", "AssumeRoot", "DeleteAccessKey"} {
			if !calls[want] {
				t.Errorf("%s: no %s call (calls %v)", filepath.Base(log), want, calls)
			}
		}
		if calls["UpdateAccessKey"] || !closed {
			t.Errorf("%s: UpdateAccessKey called %v, closed %v", filepath.Base(log), calls["UpdateAccessKey"], closed)
		}
	}
}

func readRecords(t *testing.T, path string) []runbook.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, res := runbook.ReadJournal(f)
	if !res.OK {
		t.Fatalf("%s: %s", path, res.Reason)
	}
	return recs
}
