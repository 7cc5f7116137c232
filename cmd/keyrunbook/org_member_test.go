package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type countingProvider struct {
	n       int
	expires time.Time
}

func (p *countingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	p.n++
	return aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "x", CanExpire: true, Expires: p.expires}, nil
}

// A member session is kept until it expires by the clock given (the
// simulated one in training), then renewed once.
func TestClockCacheRenewsBySimulatedTime(t *testing.T) {
	start := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	now := start
	p := &countingProvider{expires: start.Add(time.Hour)}
	c := &clockCache{p: p, now: func() time.Time { return now }}
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {30 * time.Minute, 1}, {28 * time.Minute, 1}, {2 * time.Minute, 2}} {
		now = now.Add(step.advance)
		if _, err := c.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p.n != step.want {
			t.Fatalf("at +%s: %d sessions, want %d", now.Sub(start), p.n, step.want)
		}
		if p.n == 2 {
			p.expires = now.Add(time.Hour)
		}
	}
}
