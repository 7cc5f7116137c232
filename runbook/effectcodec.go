package runbook

import (
	"encoding/json"
	"fmt"
	"time"
)

// effectTypes decodes journaled intents by name, for whoever must carry a
// logged effect out again: a resumed training drill rebuilds its simulated
// account by re-running the changes its log records.
var effectTypes = map[string]func(data []byte) (Effect, error){}

func registerEffect[E Effect](zero E) {
	effectTypes[zero.EffectName()] = func(data []byte) (Effect, error) {
		var e E
		if len(data) > 0 {
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, err
			}
		}
		return e, nil
	}
}

func init() {
	registerEffect(IdentifyKey{})
	registerEffect(SweepCloudTrail{})
	registerEffect(ProposeReplacements{})
	registerEffect(ApplyReplacement{})
	registerEffect(VerifyMove{})
	registerEffect(DeactivateKey{})
	registerEffect(ReactivateKey{})
	registerEffect(DeleteKey{})
	registerEffect(PollWatch{})
	registerEffect(ReadKeyStatus{})
	registerEffect(CheckHardening{})
	registerEffect(CleanUpResource{})
	registerEffect(RevokeOlderSessions{})
}

// DecodeEffect turns a journaled intent back into its typed effect.
func DecodeEffect(name string, data []byte) (Effect, error) {
	decode, ok := effectTypes[name]
	if !ok {
		return nil, fmt.Errorf("unknown effect %q", name)
	}
	e, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return e, nil
}

// Changes lists, in order, the mutating effects of a log that completed:
// each with the time of its result. An effect that failed, or has no
// result yet, changed nothing the log can vouch for and is left out.
func Changes(records []Record) []Change {
	queued := map[string][]Effect{}
	var out []Change
	for _, rec := range records {
		switch {
		case rec.Type == RecordIntent:
			e, err := DecodeEffect(rec.Name, rec.Data)
			if err != nil {
				continue // an effect this build does not know changes nothing it can redo
			}
			if e.Mutates() {
				queued[rec.Name] = append(queued[rec.Name], e)
			}
		case rec.Name == "EffectFailed":
			var f EffectFailed
			if json.Unmarshal(rec.Data, &f) == nil && len(queued[f.Effect]) > 0 {
				queued[f.Effect] = queued[f.Effect][1:]
			}
		case rec.Type == RecordResult:
			name := changeResults[rec.Name]
			if q := queued[name]; len(q) > 0 {
				out = append(out, Change{Effect: q[0], At: rec.Time})
				queued[name] = q[1:]
			}
		}
	}
	return out
}

// Change is a mutating effect that completed at At.
type Change struct {
	Effect Effect
	At     time.Time
}

// changeResults names the effect each mutating effect's result answers.
var changeResults = map[string]string{
	"ReplacementApplied": "ApplyReplacement",
	"KeyDeactivated":     "DeactivateKey",
	"KeyReactivated":     "ReactivateKey",
	"KeyDeleted":         "DeleteKey",
	"ResourceCleanedUp":  "CleanUpResource",
	"SessionsRevoked":    "RevokeOlderSessions",
}
