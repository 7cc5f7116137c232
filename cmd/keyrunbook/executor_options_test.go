package main

import (
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// Every command that opens a runbook starts its executor from the same
// options: in a live run a new key's secret is written beside the action
// log (the TUI never writes it), in dry-run nothing is made, in training
// the simulator hands it to its workload.
func TestExecutorOptionsPutTheSecretBesideTheLog(t *testing.T) {
	for _, tt := range []struct {
		mode    runbook.Mode
		dir     string
		dryRun  bool
		logPath string
	}{
		{runbook.ModeLive, "/var/incidents", false, "/var/incidents/keyrunbook-incident.jsonl"},
		{runbook.ModeLive, ".", false, "keyrunbook-incident.jsonl"},
		{runbook.ModeDryRun, "", true, "/var/incidents/keyrunbook-incident.jsonl"},
		{runbook.ModeTraining, "", false, "/var/incidents/keyrunbook-incident.jsonl"},
	} {
		t.Run(string(tt.mode)+" "+tt.logPath, func(t *testing.T) {
			o := executorOptions(tt.mode, 30*time.Minute, tt.logPath)
			if o.SecretDir != tt.dir || o.DryRun != tt.dryRun || o.WatchWindow != 30*time.Minute {
				t.Errorf("options %+v, want SecretDir %q, DryRun %v", o, tt.dir, tt.dryRun)
			}
		})
	}
}
