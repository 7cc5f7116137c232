package tui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// keyMaker is the script plus awsops.Executor's TakeNewSecret: each
// replacement user's key secret can be taken once.
type keyMaker struct {
	*script
	mu    sync.Mutex
	taken map[string]bool
}

func (k *keyMaker) TakeNewSecret(callerID string) (string, string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.taken[callerID] {
		return "", "", false
	}
	k.taken[callerID] = true
	return "AKIANEWKEYFORCI22222", secret, true
}

func TestNewKeySecretGoesToAPrivateFileNotTheScreen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode     runbook.Mode
		wantFile bool
	}{
		{runbook.ModeLive, true},
		{runbook.ModeTraining, false}, // the simulator hands it to its workload
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			t.Parallel()
			x := &keyMaker{script: newScript(), taken: map[string]bool{}}
			h := newHarness(t, tt.mode, func(o *Options) { o.Executor = x })
			h.x = x.script
			h.toReplaced()
			path := filepath.Join(filepath.Dir(h.path), "keyrunbook-new-key-AKIANEWKEYFORCI22222.csv")
			info, err := os.Stat(path)
			if !tt.wantFile {
				if err == nil {
					t.Fatalf("%s mode wrote the secret to %s", tt.mode, path)
				}
				return
			}
			if err != nil {
				t.Fatalf("the secret was not saved: %v", err)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("the secret's file has mode %o, want 600", perm)
			}
			if b, _ := os.ReadFile(path); !strings.Contains(string(b), "AKIANEWKEYFORCI22222,"+secret) {
				t.Errorf("the file does not hold the key: %q", b)
			}
			h.wantScreen("new key's secret:", "keyrunbook-new-key-")
			if scr := h.screen(); strings.Contains(scr, secret) || secretShape.MatchString(scr) {
				t.Errorf("the secret is on screen (%q):\n%s", secretShape.FindString(scr), scr)
			}
			if strings.Contains(readLog(t, h.path), secret) {
				t.Error("the secret is in the action log")
			}
		})
	}
}
