//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package runbook

import (
	"os"
	"syscall"
)

// tryLock takes flock(2)'s exclusive lock on f, failing at once if held.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
