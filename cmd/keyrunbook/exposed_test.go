package main

import (
	"strings"
	"testing"
)

// Issue 14: --exposed-at is RFC 3339 and not after --detected-at; a bad one
// is a usage error before anything reads AWS.
func TestExposedAtFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not a time", []string{"--exposed-at", "yesterday"}, "--exposed-at \"yesterday\" is not RFC 3339"},
		{"after detection", []string{"--exposed-at", "2026-11-23T03:00:00Z", "--detected-at", "2026-11-22T03:00:00Z"}, "is after --detected-at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := call(t, append([]string{"respond", "--key", "AKIAIOSFODNN7EXAMPLE", "--investigate-only"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}
