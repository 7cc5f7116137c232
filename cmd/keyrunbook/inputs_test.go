package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInputsFailBeforeAnyAWSCall: each of these used to start the
// identification and the sweep (six retries per call against a dead
// endpoint), or to run with a nonsense window.
func TestBadInputsFailBeforeAnyAWSCall(t *testing.T) {
	closed := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"region of no partition", []string{"--region", "mars-1"}, "not a region of any AWS partition"},
		{"endpoint not a URL", []string{"--endpoint-url", "not-a-url"}, "not an http:// or https:// URL"},
		{"endpoint ftp", []string{"--endpoint-url", "ftp://127.0.0.1:21"}, "not an http:// or https:// URL"},
		{"endpoint closed port", []string{"--endpoint-url", closed}, "cannot be reached"},
		{"endpoint unknown host", []string{"--endpoint-url", "http://nowhere.invalid:4566"}, "cannot be reached"},
		{"trail window of centuries", []string{"--investigate-only", "--trail-dir", ".", "--trail-days", "100000000"}, "--trail-days must be 1 to 3653"},
		{"detected in the future", []string{"--detected-at", future}, "is in the future"},
		{"trail directory missing", []string{"--investigate-only", "--trail-dir", "/nonexistent/trail"}, "--trail-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "incident.jsonl")
			args := append([]string{"respond", "--key", "AKIAIOSFODNN7EXAMPLE", "--log", log}, tt.args...)
			start := time.Now()
			code, _, errOut := call(t, args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q", code, errOut, tt.want)
			}
			if _, err := os.Stat(log); err == nil {
				t.Error("an action log was started for a command that was refused")
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("refusal took %s: it waited on AWS calls", d)
			}
		})
	}
}
