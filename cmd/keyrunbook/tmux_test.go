package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRealTerminal runs the built binary under tmux at 80×24, types a training
// run's first steps and reads the pane: the program works in a real
// terminal, not only in a test harness.
func TestRealTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "keyrunbook")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// TempDir's base is "001" in every run: the process ID keeps two test
	// runs on one machine off each other's tmux server.
	socket := fmt.Sprintf("keyrunbook-test-%d-%s", os.Getpid(), filepath.Base(dir))
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "-c", dir, "env", "-u", "NO_COLOR", bin, "train")
	t.Cleanup(func() { exec.Command("tmux", "-L", socket, "kill-server").Run() }) //nolint:errcheck // already gone is fine
	waitPane := func(want string) string {
		t.Helper()
		// Generous: a loaded machine sweeps the drill's 90 days slowly, and
		// the wait ends as soon as the pane shows what it waits for.
		deadline := time.Now().Add(3 * time.Minute)
		var pane string
		for time.Now().Before(deadline) {
			pane = tmux("capture-pane", "-p", "-t", "t")
			if strings.Contains(pane, want) {
				return pane
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the pane never showed %q; last pane:\n%s", want, pane)
		return ""
	}
	keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", "t"}, k...)...) }

	waitPane("Training scenarios")
	keys("/")
	keys("-l", "root-key")
	// At 80×24 the list pages; the filter brings the scenario up.
	waitPane("root-key-ec2-onprem")
	keys("Enter") // end the filter
	keys("Enter") // pick
	pane := waitPane("Which access key leaked?")
	if !strings.Contains(pane, "TRAINING") {
		t.Errorf("the training banner is missing:\n%s", pane)
	}
	keys("Enter") // the scenario's key is prefilled
	pane = waitPane("Owner")
	if !strings.Contains(pane, "root user of") {
		t.Errorf("identify does not name the root owner:\n%s", pane)
	}
	keys("Enter") // sweep
	waitPane("Investigate")
	// At 80×24 the selected caller's pane shows under the table.
	pane = waitPane("why:")
	if lines := strings.Split(strings.TrimRight(pane, "\n"), "\n"); len(lines) > 24 {
		t.Errorf("the pane has %d lines at 80×24", len(lines))
	}
	keys("C-c")
	waitPane("resume")
	keys("y")
	// The program has left: its log is in the working directory and verifies.
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs, _ := filepath.Glob(filepath.Join(dir, "keyrunbook-training-*.jsonl"))
		if len(logs) == 1 {
			out, err := exec.Command(bin, "verify", logs[0]).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "intact") {
				t.Fatalf("the log of the real run does not verify: %v %s", err, out)
			}
			raw, _ := os.ReadFile(logs[0])
			if !strings.Contains(string(raw), `"name":"SubmitKey"`) {
				t.Fatalf("the log lacks the intake")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no action log in %s after leaving: %v", dir, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
