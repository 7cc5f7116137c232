package main

import (
	"context"
	"os"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops"
)

// maxTrailDays bounds --trail-days: a trail's log files may be kept for
// years, but a window of 100,000,000 days reads every prefix since 1807.
const maxTrailDays = 3653

// clockSkew is how far in the future --detected-at may be before it is a
// mistake rather than two clocks disagreeing.
const clockSkew = 5 * time.Minute

// checkInputs refuses, before any AWS call, what would otherwise fail only
// after the identification and the sweep had each retried every call: a
// region no partition has, an endpoint that cannot be reached, a trail
// directory that is not there. Each is one line saying what to fix.
func checkInputs(ctx context.Context, o respondOptions) error {
	if o.region != "" {
		if err := awsops.ValidRegion(o.region); err != nil {
			return usagef("--region: %v", err)
		}
	}
	if o.endpoint != "" {
		if err := awsops.CheckEndpoint(ctx, o.endpoint); err != nil {
			return usagef("--endpoint-url: %v", err)
		}
	}
	if o.trailDir != "" {
		st, err := os.Stat(o.trailDir)
		switch {
		case err != nil:
			return usagef("--trail-dir: %v", err)
		case !st.IsDir():
			return usagef("--trail-dir: %s is not a directory", o.trailDir)
		}
	}
	return nil
}
