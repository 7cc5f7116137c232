package awsops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A new access key's secret can be read once, in CreateAccessKey's reply.
// If the program stops before the secret is on disk, the key exists in IAM
// and its secret is lost: so the executor writes it first, before it even
// returns from the apply, and a resumed apply treats an active key of the
// replacement user with no secret file as an orphan to replace.

// SecretFileName is the file a new key's secret is written to, in the
// directory of the action log, as the console's "Download .csv" names it.
func SecretFileName(keyID string) string { return "keyrunbook-new-key-" + keyID + ".csv" }

// WriteSecretFile writes a new key's ID and secret to dir (mode 0600,
// fsynced, its directory entry synced too) and returns the path. It never
// replaces a file, which could hold another key's secret.
func WriteSecretFile(dir, keyID, secret string) (path string, err error) {
	path = filepath.Join(dir, SecretFileName(keyID))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return path, fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	if _, err := fmt.Fprintf(f, "Access key ID,Secret access key\n%s,%s\n", keyID, secret); err != nil {
		return path, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return path, fmt.Errorf("fsync %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the file's own fsync holds its bytes
		_ = d.Close()
	}
	return path, nil
}

// hasSecretFile reports whether the secret of keyID is on disk in dir.
func hasSecretFile(dir, keyID string) bool {
	_, err := os.Stat(filepath.Join(dir, SecretFileName(keyID)))
	return !errors.Is(err, fs.ErrNotExist)
}
