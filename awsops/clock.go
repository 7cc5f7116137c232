package awsops

import (
	"context"
	"time"
)

// Clock is the time the executor reads and waits on. Live and dry-run use
// the wall clock; training passes a SimClock so that the watch window runs
// on the simulated account's time.
type Clock interface {
	// Now is the current time, in UTC.
	Now() time.Time
	// Sleep waits d, or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock. Its zero value is ready to use.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now().UTC() }

// Sleep implements Clock.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleepReal(ctx, d)
}

// SimClock adapts a simulated clock (the training account's) to Clock: a
// sleep of d waits d/Speed of real time, then advances simulated time by
// d, during which the simulated workloads make their calls. Training runs
// at Speed 60 ("simulated time ×60"); tests use 0, which never waits.
type SimClock struct {
	// NowFunc reads the simulated time.
	NowFunc func() time.Time
	// Advance moves the simulated time forward.
	Advance func(time.Duration)
	// Speed is simulated seconds per real second; zero or less does not
	// wait at all.
	Speed float64
}

// NewSimClock returns a SimClock over now and advance at speed.
func NewSimClock(now func() time.Time, advance func(time.Duration), speed float64) *SimClock {
	return &SimClock{NowFunc: now, Advance: advance, Speed: speed}
}

// Now implements Clock.
func (c *SimClock) Now() time.Time { return c.NowFunc().UTC() }

// Sleep implements Clock. Simulated time moves only once the real wait is
// over, so a cancelled sleep leaves the simulated account where it was.
func (c *SimClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if c.Speed > 0 {
		if err := sleepReal(ctx, time.Duration(float64(d)/c.Speed)); err != nil {
			return err
		}
	} else if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

func sleepReal(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
