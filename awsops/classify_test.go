package awsops

import (
	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/judge/judgetest"
)

// classify reads and folds the hand-written classification fixtures of
// judge (judge/judgetest); the proposal, policy and export tests here build
// on the callers they fold.
var classify = judgetest.New(judge.NewAggregator, judge.DecodeTrailLog)
