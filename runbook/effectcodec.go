package runbook

import (
	"encoding/json"
	"time"
)

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

// changeResults names the mutating effect each result answers.
var changeResults = func() map[string]string {
	out := map[string]string{}
	for _, e := range effectList {
		if e.Mutates {
			out[e.Answer] = e.Name
		}
	}
	return out
}()
