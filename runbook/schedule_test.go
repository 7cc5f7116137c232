package runbook

import (
	"testing"
	"time"
)

func TestNextRun(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	ci := UsageCaller{RunHours: []int{2, 10, 18}} // three times a day
	tests := []struct {
		name   string
		c      UsageCaller
		after  time.Time
		want   time.Time
		wantOK bool
	}{
		{"later the same day", ci, at(3, 0), at(10, 0), true},
		{"within a run hour, that hour", ci, at(10, 40), at(10, 0), true},
		{"after the last hour, tomorrow's first", ci, at(19, 5), at(2, 0).Add(24 * time.Hour), true},
		{"no schedule", UsageCaller{}, at(3, 0), time.Time{}, false},
		{"bad hours are ignored", UsageCaller{RunHours: []int{25, -1}}, at(3, 0), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.c.NextRun(tt.after)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Fatalf("NextRun(%s) = %s %v, want %s %v", tt.after, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
