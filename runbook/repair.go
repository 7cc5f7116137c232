package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// A kill mid-write can leave the log's last line cut short. Cutting it is
// safe (tornReason says why: Append returns only after the whole line is
// on disk, so a torn intent's effect never started, and a torn result's
// intent is reconciled by reading the real state again; a torn APICall
// note, fsynced in a batch, belongs to an effect whose intent is on disk,
// reconciled the same way). Resume used to
// stop and print a truncate command for the responder to run by hand, at
// the worst moment to ask for one; it now shows the torn bytes and, once
// approved, cuts them itself and journals the cut.

// maxTornPreview bounds the torn bytes shown and journaled.
const maxTornPreview = 300

// TornTail describes the torn last line a repair cuts.
type TornTail struct {
	Line   int    `json:"line"`   // its line number
	Offset int64  `json:"offset"` // where it starts: the log is cut to this length
	Bytes  int64  `json:"bytes"`  // how many bytes are cut
	SHA256 string `json:"sha256"` // of the bytes cut
	// Preview is the start of the bytes cut, redacted.
	Preview string `json:"preview"`
}

// cutTornTail reads the torn tail of f, asks approve, and truncates f to
// its verified prefix (fsynced) when approved.
func cutTornTail(f *os.File, res VerifyResult, approve func(TornTail) bool) (*TornTail, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	n := st.Size() - res.GoodBytes
	if n <= 0 {
		return nil, errors.New("no torn tail to cut")
	}
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, res.GoodBytes); err != nil {
		return nil, fmt.Errorf("read the torn line: %w", err)
	}
	sum := sha256.Sum256(tail)
	preview := tail
	if len(preview) > maxTornPreview {
		preview = preview[:maxTornPreview]
	}
	t := TornTail{Line: res.BadLine, Offset: res.GoodBytes, Bytes: n, SHA256: hex.EncodeToString(sum[:]), Preview: RedactString(string(preview))}
	if !approve(t) {
		return nil, errors.New(res.Reason)
	}
	if err := f.Truncate(res.GoodBytes); err != nil {
		return nil, fmt.Errorf("cut the torn line: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("fsync after the cut: %w", err)
	}
	return &t, nil
}
