package runbook

import (
	"fmt"
	"time"
)

// NoteSyncDelay is how long an APICall note may stay written but not yet
// fsynced. Notes are the bulk of the log (one per AWS call: a sweep pages
// LookupEvents hundreds of times) and write-ahead needs none of them: the
// effect's intent is on disk before its first call, and resume reconciles
// an intent without a result by reading the real state again. So a note is
// written at once (a killed process loses none: the kernel holds it) and
// fsynced with the next record write-ahead needs, or by this delay at the
// latest; only a power cut can lose the last delay's notes.
const NoteSyncDelay = time.Second

// noteSync is the journal's batch of notes written and not yet fsynced.
type noteSync struct {
	dirty int         // notes written since the last fsync
	timer *time.Timer // fsyncs them NoteSyncDelay after the first
	armed bool        // timer will fire
}

// Note writes a note (an APICall, a RecordResult) as AppendAs does,
// hash-chained in order with every other record, but returns without
// waiting for the disk: the note is fsynced with the next Append or within
// NoteSyncDelay. It is safe for concurrent use, from the effect's own
// goroutine: the line is in the file before the call it notes leaves.
func (j *Journal) Note(actor, step, name string, data any) (Record, error) {
	return j.append(actor, RecordResult, step, name, data, false)
}

// noteWritten counts a note written and arms the batch's fsync. j.mu is held.
func (j *Journal) noteWritten() {
	j.notes.dirty++
	if j.notes.armed {
		return
	}
	j.notes.armed = true
	if j.notes.timer == nil {
		j.notes.timer = time.AfterFunc(NoteSyncDelay, j.syncNotes)
		return
	}
	j.notes.timer.Reset(NoteSyncDelay)
}

// syncNotes fsyncs the notes written since the last fsync (the batch's
// timer). A failure stops the journal as a failed Append does.
func (j *Journal) syncNotes() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.notes.armed = false
	if j.err != nil || j.notes.dirty == 0 {
		return
	}
	if err := j.syncLocked(); err != nil {
		j.err = fmt.Errorf("fsync APICall notes: %w", err)
	}
}

// syncLocked fsyncs the file: every record written so far is then on disk.
// j.mu is held.
func (j *Journal) syncLocked() error {
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.syncs++
	j.notes.dirty = 0
	return nil
}

// closeNotes stops the batch's timer and fsyncs what it held, before the
// file closes. j.mu is held.
func (j *Journal) closeNotes() error {
	if j.notes.timer != nil {
		j.notes.timer.Stop()
	}
	j.notes.armed = false
	if j.err != nil || j.notes.dirty == 0 {
		return nil
	}
	if err := j.syncLocked(); err != nil {
		return fmt.Errorf("fsync APICall notes: %w", err)
	}
	return nil
}
