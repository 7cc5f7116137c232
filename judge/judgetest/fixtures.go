// Package judgetest holds the hand-written classification fixtures, a
// trail log with one caller per classification rule and every indicator
// (testdata/mixed.json) and what DescribeInstances/DescribeAddresses would
// say of its account (testdata/inventory.json), and folds them. judge's
// tests and the tests of the packages built on its callers (awsops:
// proposals, policies, exports) read the same fixtures through it. Only
// tests import it.
//
// It does not import judge: judge's own tests are in package judge, and
// importing a package that imports judge would be a cycle. Each test
// package binds it once to judge's aggregator and decoder with New.
package judgetest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Account is the account of the fixtures.
const Account = "111122223333"

// LeakedKey is the key the fixtures' trail log follows.
const LeakedKey = "AKIAJ7LEAKEDKEY2EXAM"

//go:embed testdata/*.json
var files embed.FS

// Result is what an aggregator folded from a trail log.
type Result struct {
	Callers    []runbook.UsageCaller
	Indicators []runbook.Indicator
	Blast      []runbook.Resource
}

// Aggregator is the part of judge's Aggregator the fold uses.
type Aggregator[R any] interface {
	Add(R)
	Result() ([]runbook.UsageCaller, []runbook.Indicator, []runbook.Resource)
}

// Fixtures reads and folds the fixtures with judge's own functions: R is
// judge.TrailRecord, I judge.Inventory, A *judge.Aggregator.
type Fixtures[R, I any, A Aggregator[R]] struct {
	newAggregator func(keyID string, inv I) A
	decode        func(r io.Reader, fn func(R) error) error
}

// New binds the fixtures to judge.NewAggregator and judge.DecodeTrailLog.
func New[R, I any, A Aggregator[R]](newAggregator func(keyID string, inv I) A, decode func(r io.Reader, fn func(R) error) error) Fixtures[R, I, A] {
	return Fixtures[R, I, A]{newAggregator: newAggregator, decode: decode}
}

// Inventory is the fixtures' account as DescribeInstances/DescribeAddresses
// would say it: one instance, a NAT gateway's Elastic IP, and the Lambda
// function whose environment holds the key. It panics on a broken fixture:
// package-level test tables read it.
func (f Fixtures[R, I, A]) Inventory() I {
	raw, err := files.ReadFile("testdata/inventory.json")
	if err != nil {
		panic(err)
	}
	var inv I
	if err := json.Unmarshal(raw, &inv); err != nil {
		panic(fmt.Errorf("testdata/inventory.json: %w", err))
	}
	return inv
}

// Records reads the named trail log of testdata (e.g. "mixed.json").
func (f Fixtures[R, I, A]) Records(tb testing.TB, name string) []R {
	tb.Helper()
	raw, err := files.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var recs []R
	if err := f.decode(bytes.NewReader(raw), func(r R) error { recs = append(recs, r); return nil }); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return recs
}

// Fold aggregates recs as the leaked key's, against inv.
func (f Fixtures[R, I, A]) Fold(recs []R, inv I) Result {
	a := f.newAggregator(LeakedKey, inv)
	for _, r := range recs {
		a.Add(r)
	}
	c, i, b := a.Result()
	return Result{Callers: c, Indicators: i, Blast: b}
}

// CallerAt finds the caller of an address whose user agent contains ua.
func CallerAt(tb testing.TB, res Result, ip, ua string) runbook.UsageCaller {
	tb.Helper()
	for _, c := range res.Callers {
		if c.SourceIP == ip && strings.Contains(c.UserAgent, ua) {
			return c
		}
	}
	tb.Fatalf("no caller %s %q among %d", ip, ua, len(res.Callers))
	return runbook.UsageCaller{}
}
