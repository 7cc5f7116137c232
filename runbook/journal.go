package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// RecordType says what a journal record describes.
type RecordType string

// The three record types of the action log (DESIGN.md). A dry-run's
// would-call is a RecordResult whose data says so, not a type of its own.
const (
	// RecordEvent is an event the machine applied: a responder's intent or
	// an effect's result fed back to it.
	RecordEvent RecordType = "event"
	// RecordIntent is an effect about to run. It is on disk before the
	// effect starts (write-ahead), so a crash leaves an intent without a
	// result, which resume reconciles by reading the real state again.
	RecordIntent RecordType = "intent"
	// RecordResult is what an effect did.
	RecordResult RecordType = "result"
)

// Valid reports whether t is one of the three record types.
func (t RecordType) Valid() bool {
	return t == RecordEvent || t == RecordIntent || t == RecordResult
}

// Record is one line of the action log.
//
// Hash is the lower-case hex SHA-256 of the line exactly as written, without
// its trailing newline and with the 64 characters of the hash value removed,
// that is of the record's JSON with "hash":"" (see hashLine). Because it
// covers the bytes rather than a re-encoding, any change to a line, even
// whitespace or a \u escape, breaks it. Prev is the previous record's Hash,
// and "" for the first record, so removing, inserting or reordering lines
// breaks the chain.
type Record struct {
	Seq   int64           `json:"seq"`            // 1 for the first record, then +1 per line
	Time  time.Time       `json:"time"`           // RFC 3339 with nanoseconds, UTC
	Mode  string          `json:"mode"`           // live, dry-run or training
	Actor string          `json:"actor"`          // caller ARN; "" until identification
	Type  RecordType      `json:"type"`           // event, intent or result
	Step  string          `json:"step"`           // the step the machine was in
	Name  string          `json:"name"`           // event or effect name, e.g. DeactivateKey
	Data  json.RawMessage `json:"data,omitempty"` // the event or effect, redacted
	Prev  string          `json:"prev"`           // previous record's Hash; "" for the first
	Hash  string          `json:"hash"`           // see the type's comment
}

// emptyHashTail ends every record encoded with an empty Hash: Hash is the last
// field of Record and has no omitempty.
var emptyHashTail = []byte(`,"hash":""}`)

// ErrJournalBroken is wrapped by OpenJournal's error when the log fails
// verification, so a caller can tell a damaged log from an unreadable file.
var ErrJournalBroken = errors.New("action log failed verification")

// journalFile is the part of *os.File the journal uses; tests substitute it to
// observe the order of writes and syncs.
type journalFile interface {
	io.Writer
	Sync() error
	Close() error
}

// Journal appends hash-chained records to an action log, one JSON object per
// line. Append is safe for concurrent use.
type Journal struct {
	mu    sync.Mutex
	f     journalFile
	path  string // the log's path, whose lock sidecar Close removes
	clock func() time.Time
	mode  string
	actor string
	seq   int64  // Seq of the last record written
	prev  string // Hash of the last record written
	syncs int64  // fsyncs so far (Syncs)
	notes noteSync
	// err is the first write or sync failure. After one, what reached the
	// disk is unknown (a partial line, or a line the kernel may drop), so
	// appending more could chain onto a record that does not exist.
	err error
}

// CreateJournal creates a new action log at path (permissions 0600: it names
// accounts, keys and callers) and refuses to touch an existing file, since
// overwriting an incident's log would destroy its evidence. mode is recorded
// in every record; actor may be "" until the caller is identified (SetActor).
// clock stamps the records; nil means time.Now.
func CreateJournal(path string, mode, actor string, clock func() time.Time) (*Journal, error) {
	if mode == "" {
		return nil, errors.New("create action log: mode is required")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("action log %s already exists and will not be overwritten: choose another path, or continue that incident with `keyrunbook resume %s`: %w", path, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create action log %s: %w", path, err)
	}
	if err := lockJournal(f, path); err != nil {
		_ = f.Close()
		return nil, err
	}
	syncDir(filepath.Dir(path))
	j := newJournal(f, mode, actor, clock, 0, "")
	j.path = path
	return j, nil
}

// OpenJournal opens an existing action log to continue it (resume). It reads
// and verifies the whole chain first and refuses a log that fails, naming the
// first bad line and what to do, because appending to a broken chain would
// make the damage look like part of the record. It returns the records read;
// new records continue the chain after the last one, with its mode and actor.
func OpenJournal(path string, clock func() time.Time) (*Journal, []Record, error) {
	return OpenJournalRepair(path, clock, nil)
}

// OpenJournalRepair is OpenJournal that can repair a log whose only damage
// is a torn last line (repair.go): approve is shown what would be cut and
// decides; nil refuses such a log as OpenJournal does.
func OpenJournalRepair(path string, clock func() time.Time, approve func(TornTail) bool) (*Journal, []Record, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open action log %s: %w", path, err)
	}
	// Locked before reading: the records read must be the last ones, or a
	// second writer's appends would fork the chain.
	if err := lockJournal(f, path); err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	recs, res := ReadJournal(f)
	var cut *TornTail
	if !res.OK && res.Torn && approve != nil && len(recs) > 0 {
		if cut, err = cutTornTail(f, res, approve); err != nil {
			unlockJournal(path)
			_ = f.Close()
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrJournalBroken, path, err)
		}
		res.OK = true
	}
	if !res.OK {
		unlockJournal(path)
		_ = f.Close() // read-only so far: nothing to lose
		if res.Torn {
			return nil, nil, fmt.Errorf("%w: %s: %s", ErrJournalBroken, path, res.Reason)
		}
		return nil, nil, fmt.Errorf("%w: %s: %s; it cannot be resumed: keep it as evidence and compare it with any copy (the report, a backup) to see what changed", ErrJournalBroken, path, res.Reason)
	}
	if len(recs) == 0 {
		unlockJournal(path)
		_ = f.Close()
		return nil, nil, fmt.Errorf("action log %s holds no records: there is nothing to resume; start a new incident with `keyrunbook respond`", path)
	}
	last := recs[len(recs)-1]
	j := newJournal(f, last.Mode, last.Actor, clock, last.Seq, last.Hash)
	j.path = path
	if cut != nil {
		// The cut is part of the incident's record: what was removed,
		// where, and its digest, for whoever compares with a copy.
		if _, err := j.Append(RecordEvent, last.Step, "Repaired", cut); err != nil {
			_ = j.Close()
			return nil, nil, fmt.Errorf("journal the repair of %s: %w", path, err)
		}
	}
	return j, recs, nil
}

func newJournal(f journalFile, mode, actor string, clock func() time.Time, seq int64, prev string) *Journal {
	if clock == nil {
		clock = time.Now
	}
	return &Journal{f: f, clock: clock, mode: mode, actor: actor, seq: seq, prev: prev}
}

// syncDir makes a new file's directory entry durable, so that a crash right
// after CreateJournal cannot lose the log while its records were fsynced.
// It is best effort: some systems (Windows) cannot open or sync a directory,
// and the file's own fsync still protects every record.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// SetActor sets the caller ARN recorded from the next record on; it becomes
// known only after identification.
func (j *Journal) SetActor(arn string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.actor = arn
}

// Append writes one record and returns it as written. data is encoded as
// JSON and redacted (RedactJSON); step and name go through RedactString. The
// line goes to the file in a single write and is fsynced before Append
// returns: the caller runs an effect only after Append of its intent
// returned nil. After a failed write or sync every later Append fails.
func (j *Journal) Append(typ RecordType, step, name string, data any) (Record, error) {
	return j.AppendAs("", typ, step, name, data)
}

// AppendAs is Append with the record's actor set to actor instead of the
// journal's, when actor is not "": a call made as the account's root user
// is root's, not the responder's (issue 18).
func (j *Journal) AppendAs(actor string, typ RecordType, step, name string, data any) (Record, error) {
	if !typ.Valid() {
		return Record{}, fmt.Errorf("append %q to action log: unknown record type %q", name, typ)
	}
	return j.append(actor, typ, step, name, data, true)
}

// append writes one record, fsynced before it returns when sync is set
// (Append), else left for the batch (Note, journal_notes.go).
func (j *Journal) append(actor string, typ RecordType, step, name string, data any, sync bool) (Record, error) {
	var raw json.RawMessage
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return Record{}, fmt.Errorf("append %s %q to action log: encode data: %w", typ, name, redactedError{err})
		}
		if raw, err = RedactJSON(b); err != nil {
			return Record{}, fmt.Errorf("append %s %q to action log: %w", typ, name, err)
		}
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return Record{}, fmt.Errorf("action log unusable after an earlier failure; stop and check it with `keyrunbook verify`: %w", j.err)
	}
	if actor == "" {
		actor = j.actor
	}
	rec := Record{
		Seq:   j.seq + 1,
		Time:  j.clock().UTC(),
		Mode:  RedactString(j.mode),
		Actor: RedactString(actor),
		Type:  typ,
		Step:  RedactString(step),
		Name:  RedactString(name),
		Data:  raw,
		Prev:  j.prev,
	}
	line, err := encodeRecord(&rec)
	if err != nil {
		return Record{}, fmt.Errorf("append %s %q to action log: %w", typ, rec.Name, err)
	}
	if _, err := j.f.Write(line); err != nil {
		j.err = fmt.Errorf("write record %d: %w", rec.Seq, err)
		return Record{}, fmt.Errorf("append %s %q to action log: %w", typ, rec.Name, j.err)
	}
	j.seq, j.prev = rec.Seq, rec.Hash
	if !sync {
		j.noteWritten()
		return rec, nil
	}
	// This fsync also makes every note written before it durable.
	if err := j.syncLocked(); err != nil {
		j.err = fmt.Errorf("fsync record %d: %w", rec.Seq, err)
		return Record{}, fmt.Errorf("append %s %q to action log: %w", typ, rec.Name, j.err)
	}
	return rec, nil
}

// Syncs is how many times the log was fsynced, for the benchmarks that
// measure what write-ahead costs (an fsync is the slowest thing a record
// does).
func (j *Journal) Syncs() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.syncs
}

// Close closes the log file. Appends after Close fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	syncErr := j.closeNotes()
	unlockJournal(j.path)
	err := errors.Join(syncErr, j.f.Close())
	j.f = nil
	if j.err == nil {
		j.err = errors.New("action log closed")
	}
	if err != nil {
		return fmt.Errorf("close action log: %w", err)
	}
	return nil
}

// encodeRecord fills rec.Hash and returns the line to write, newline included.
func encodeRecord(rec *Record) ([]byte, error) {
	rec.Hash = ""
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode record %d: %w", rec.Seq, redactedError{err})
	}
	if !bytes.HasSuffix(b, emptyHashTail) {
		return nil, fmt.Errorf("encode record %d: encoding does not end with %s", rec.Seq, emptyHashTail)
	}
	rec.Hash = hashLine(b)
	line := make([]byte, 0, len(b)+len(rec.Hash)+1)
	line = append(line, b[:len(b)-2]...) // up to and including `"hash":"`
	line = append(line, rec.Hash...)
	line = append(line, '"', '}', '\n')
	return line, nil
}

// hashLine is the record hash of a line whose hash value is empty.
func hashLine(withEmptyHash []byte) string {
	sum := sha256.Sum256(withEmptyHash)
	return hex.EncodeToString(sum[:])
}
