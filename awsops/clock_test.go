package awsops

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// The sleeps below run in synctest bubbles: the real time they are allowed
// is measured on the bubble's clock, exact however loaded the machine, and
// an hour's sleep costs nothing.

func TestSimClockAdvancesBySleeps(t *testing.T) {
	start := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		speed    float64
		sleep    time.Duration
		cancel   bool
		advanced time.Duration
		maxReal  time.Duration
		err      error
	}{
		{"tests never wait", 0, 30 * time.Minute, false, 30 * time.Minute, 50 * time.Millisecond, nil},
		{"training waits d/speed", 1000, 2 * time.Second, false, 2 * time.Second, time.Second, nil},
		{"cancelled sleep moves nothing", 0, time.Minute, true, 0, 50 * time.Millisecond, context.Canceled},
		{"zero sleep", 60, 0, false, 0, 50 * time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := start
				c := NewSimClock(func() time.Time { return now }, func(d time.Duration) { now = now.Add(d) }, tt.speed)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancel {
					cancel()
				}
				t0 := time.Now()
				err := c.Sleep(ctx, tt.sleep)
				if real := time.Since(t0); real > tt.maxReal {
					t.Errorf("slept %s of real time", real)
				}
				if !errors.Is(err, tt.err) && !(err == nil && tt.err == nil) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				if got := c.Now().Sub(start); got != tt.advanced {
					t.Errorf("simulated time moved %s, want %s", got, tt.advanced)
				}
			})
		})
	}
}

func TestRealClockSleepHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		if err := (RealClock{}).Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if time.Since(t0) > time.Second {
			t.Error("the sleep outlived its context")
		}
		if (RealClock{}).Now().Location() != time.UTC {
			t.Error("Now is not UTC")
		}
	})
}
