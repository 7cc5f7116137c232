package runbook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// eventTypes decodes journaled events by name. Every event the machine
// accepts must be listed, or a log holding it cannot be replayed.
var eventTypes = map[string]func(data []byte) (Event, error){}

func register[E Event](zero E) {
	eventTypes[zero.EventName()] = func(data []byte) (Event, error) {
		var e E
		if len(data) > 0 {
			// A field this version does not know is a record it cannot
			// fold faithfully: refuse rather than drop it silently.
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				return nil, err
			}
		}
		return e, nil
	}
}

func init() {
	register(SubmitKey{})
	register(BeginInvestigation{})
	register(BeginProposals{})
	register(RelabelCaller{})
	register(EditProposal{})
	register(DecideProposal{})
	register(ApplyProposals{})
	register(VerifyMoves{})
	register(ProceedToDeactivate{})
	register(BackToProposals{})
	register(ConfirmDeactivate{})
	register(RequestReactivate{})
	register(RestartWatch{})
	register(ConfirmDelete{})
	register(CleanUp{})
	register(RecheckHardening{})
	register(CloseIncident{})
	register(Abort{})
	register(Retry{})
	register(KeyIdentified{})
	register(SweepProgress{})
	register(SweepFinished{})
	register(ProposalsReady{})
	register(ReplacementApplied{})
	register(CallerMoved{})
	register(KeyDeactivated{})
	register(WatchObserved{})
	register(KeyStatusRead{})
	register(KeyReactivated{})
	register(KeyDeleted{})
	register(ResourceCleanedUp{})
	register(HardeningChecked{})
	register(EffectFailed{})
	register(AddTrailSource{})
	register(TrailScanProgress{})
	register(TrailSourceScanned{})
	register(RevokeSessions{})
	register(SessionsRevoked{})
	register(ProposalProven{})
	register(OverrideProof{})
	register(ConfirmFollowUp{})
}

// DecodeEvent turns a journaled event back into its typed value.
func DecodeEvent(name string, data []byte) (Event, error) {
	decode, ok := eventTypes[name]
	if !ok {
		return nil, fmt.Errorf("unknown event %q", name)
	}
	ev, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return ev, nil
}

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
		case "Refused", "APICall", "Debrief", "Repaired":
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
