package awsops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// The hand-written classification fixtures belong to package judge; the
// proposal, policy and export tests here build on the callers they fold.

// classifyAccount is the account of the fixtures.
const classifyAccount = "111122223333"

var classifyDir = filepath.Join("..", "judge", "testdata", "classify")

func classifyInventory() Inventory {
	raw, err := os.ReadFile(filepath.Join(classifyDir, "inventory.json"))
	if err != nil {
		panic(err)
	}
	var inv Inventory
	if err := json.Unmarshal(raw, &inv); err != nil {
		panic(err)
	}
	return inv
}

func classifyRecords(t testing.TB, name string) []TrailRecord {
	t.Helper()
	f, err := os.Open(filepath.Join(classifyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []TrailRecord
	if err := judge.DecodeTrailLog(f, func(r TrailRecord) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return recs
}

type classifyResult struct {
	callers    []runbook.UsageCaller
	indicators []runbook.Indicator
	blast      []runbook.Resource
}

func classifyFold(recs []TrailRecord, inv Inventory) classifyResult {
	a := judge.NewAggregator("AKIAJ7LEAKEDKEY2EXAM", inv)
	for _, r := range recs {
		a.Add(r)
	}
	c, i, b := a.Result()
	return classifyResult{c, i, b}
}

// classifyCallerAt finds the caller of an address whose user agent contains ua.
func classifyCallerAt(t *testing.T, res classifyResult, ip, ua string) runbook.UsageCaller {
	t.Helper()
	for _, c := range res.callers {
		if c.SourceIP == ip && strings.Contains(c.UserAgent, ua) {
			return c
		}
	}
	t.Fatalf("no caller %s %q among %d", ip, ua, len(res.callers))
	return runbook.UsageCaller{}
}
