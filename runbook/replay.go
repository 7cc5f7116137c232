package runbook

import (
	"encoding/json"
	"fmt"
	"io"
)

// Replayed is what Replay rebuilt from an action log.
type Replayed struct {
	Machine *Machine
	Records []Record
	Verify  VerifyResult
	// Pending lists the effects whose intent is in the log without a
	// result: they may or may not have happened, and must be reconciled by
	// reading the real state before anything else runs.
	Pending []Effect
}

// Replay rebuilds the machine by folding the log's events and results in
// order. It refuses a log whose hash chain does not verify, since state
// folded from an edited log cannot be trusted.
func Replay(r io.Reader) (*Replayed, error) {
	records, vr := ReadJournal(r)
	if !vr.OK {
		return nil, fmt.Errorf("the action log does not verify: %s", vr.Reason)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("the action log is empty")
	}
	rp, err := ReplayRecords(records)
	if err != nil {
		return nil, err
	}
	rp.Verify = vr
	return rp, nil
}

// ReplayRecords rebuilds the machine from records already verified, such
// as those OpenJournal returns before appending after them.
func ReplayRecords(records []Record) (*Replayed, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("the action log is empty")
	}
	m, pending, err := fold(records)
	if err != nil {
		return nil, err
	}
	return &Replayed{Machine: m, Records: records, Verify: VerifyResult{Records: len(records), OK: true}, Pending: pending}, nil
}

// fold rebuilds the machine from records in order, and the effects left
// without a result.
func fold(records []Record) (*Machine, []Effect, error) {
	if s := records[0].Step; s == StepOrgAudit || s == StepOrgRetire {
		return nil, nil, errOrgLog // orgroot.go
	}
	if records[0].Name != "Configured" {
		return nil, nil, fmt.Errorf("record 1 is %s, not the configuration record an action log starts with: this is not a keyrunbook action log of format %s", records[0].Name, LogFormat)
	}
	m := New(Config{Mode: Mode(records[0].Mode)})
	for _, rec := range records {
		if rec.Type == RecordIntent {
			continue
		}
		switch rec.Name {
		case "Refused", "Debrief", "Repaired":
			continue
		case "Configured":
			var cfg Config
			if err := json.Unmarshal(rec.Data, &cfg); err != nil {
				return nil, nil, fmt.Errorf("record %d: %w", rec.Seq, err)
			}
			if cfg.Format != LogFormat {
				return nil, nil, fmt.Errorf("the action log is of format %q and this keyrunbook reads %q: continue it with the keyrunbook version that wrote it (`keyrunbook verify` and `report` still read it)", orDashS(cfg.Format), LogFormat)
			}
			m = New(cfg)
			continue
		}
		if spec, ok := eventSpecs[rec.Name]; ok && spec.Kind == Note {
			continue // journaled for the record, never applied
		}
		ev, err := DecodeEvent(rec.Name, rec.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", rec.Seq, err)
		}
		if _, err := m.Apply(ev); err != nil {
			return nil, nil, fmt.Errorf("record %d (%s) does not replay: %w", rec.Seq, rec.Name, err)
		}
	}
	var pending []Effect
	for _, n := range effectOrder {
		pending = append(pending, m.pending[n]...)
	}
	return m, pending, nil
}
