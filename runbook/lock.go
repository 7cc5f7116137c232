package runbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Two processes appending to one action log interleave their records and
// break the chain for good (issue 15). A Journal therefore holds an
// exclusive lock on its log for as long as it is open, and writes who holds
// it to a sidecar file, LOG.lock, so that a second process can say which
// process to look for instead of a bare "resource busy".

// ErrJournalLocked is wrapped by CreateJournal's and OpenJournal's error
// when another process holds the log.
var ErrJournalLocked = errors.New("action log in use by another process")

// LockHolder says which process holds an action log.
type LockHolder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

func (h LockHolder) String() string {
	return fmt.Sprintf("process %d on %s since %s", h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// LockPath is the sidecar file naming the holder of the log at path.
func LockPath(path string) string { return path + ".lock" }

// lockJournal takes the exclusive lock on f (the log at path) without
// waiting, and records the holder. The lock goes with f: closing the file,
// or the process dying, releases it, so a crash never leaves a log locked.
func lockJournal(f *os.File, path string) error {
	if err := tryLock(f); err != nil {
		holder := "another process (its " + LockPath(path) + " could not be read)"
		if b, rerr := os.ReadFile(LockPath(path)); rerr == nil {
			var h LockHolder
			if json.Unmarshal(b, &h) == nil && h.PID != 0 {
				holder = h.String()
			}
		}
		return fmt.Errorf("%w: %s is held by %s: wait for it to end, or stop it, then try again (%v)", ErrJournalLocked, path, holder, err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(LockHolder{PID: os.Getpid(), Host: host, Since: time.Now().UTC()})
	// Best effort: the lock itself is what excludes; the sidecar only names.
	_ = os.WriteFile(LockPath(path), append(b, '\n'), 0o600)
	return nil
}

// unlockJournal removes the sidecar before the file's close drops the lock.
func unlockJournal(path string) {
	if path != "" {
		_ = os.Remove(LockPath(path))
	}
}
