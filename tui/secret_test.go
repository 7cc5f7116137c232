package tui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// keyMaker is the script plus awsops.Executor's SecretFile: the executor
// writes each replacement user's secret to a file of mode 0600 in its
// SecretDir (awsops.WriteSecretFile, tested there) and hands the path over
// once. The TUI never holds the secret.
type keyMaker struct {
	*script
	dir   string
	mu    sync.Mutex
	taken map[string]bool
}

func (k *keyMaker) SecretFile(callerID string) (keyID, path string, orphans []string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.taken[callerID] {
		return "", "", nil, false
	}
	k.taken[callerID] = true
	keyID = "AKIANEWKEYFORCI22222"
	path = filepath.Join(k.dir, "keyrunbook-new-key-"+keyID+".csv")
	if err := os.WriteFile(path, []byte("Access key ID,Secret access key\n"+keyID+","+secret+"\n"), 0o600); err != nil {
		return "", "", nil, false
	}
	return keyID, path, nil, true
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
			x := &keyMaker{script: newScript(), taken: map[string]bool{}, dir: t.TempDir()}
			h := newHarness(t, tt.mode, func(o *Options) { o.Executor = x })
			h.x = x.script
			h.toReplaced()
			path := filepath.Join(x.dir, "keyrunbook-new-key-AKIANEWKEYFORCI22222.csv")
			_, err := os.Stat(path)
			if !tt.wantFile {
				if err == nil {
					t.Fatalf("%s mode wrote the secret to %s", tt.mode, path)
				}
				return
			}
			if err != nil {
				t.Fatalf("the secret was not saved: %v", err)
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
