package runbook

import (
	"encoding/json"
	"fmt"
	"strings"
)

// RootCall is one AWS call the action log records as made by a root user:
// the report and the debrief name who acted, not only what was done.
type RootCall struct {
	Seq   int64  `json:"seq"`
	Time  string `json:"time"`
	Call  string `json:"call"` // service:Operation
	Actor string `json:"actor"`
	Via   string `json:"via,omitempty"`
	// WouldCall marks a dry-run's call that was not sent.
	WouldCall bool `json:"wouldCall,omitempty"`
}

// rootCalls lists the log's calls whose actor is a root user.
func rootCalls(records []Record) []RootCall {
	var out []RootCall
	for _, rec := range records {
		if rec.Name != "APICall" || !strings.HasSuffix(rec.Actor, ":root") {
			continue
		}
		var c APICall
		if json.Unmarshal(rec.Data, &c) != nil {
			continue
		}
		out = append(out, RootCall{Seq: rec.Seq, Time: stamp(rec.Time), Call: c.Service + ":" + c.Operation, Actor: rec.Actor, Via: c.Via, WouldCall: c.WouldCall})
	}
	return out
}

// mdRoot writes how root's credentials were obtained and the calls made
// as root, for a root key's report.
func (r *Report) mdRoot(p func(string, ...any)) {
	c := r.Containment
	if !r.Key.Root {
		return
	}
	if c.RootAccess != nil {
		p("- Root credentials: %s\n", c.RootAccess.Text())
	} else {
		p("- Root credentials: none obtained in keyrunbook (given with --root-profile, or the change was made by hand)\n")
	}
	for _, rc := range c.RootCalls {
		verb := "sent"
		if rc.WouldCall {
			verb = "would have been sent"
		}
		via := ""
		if rc.Via != "" {
			via = " (" + rc.Via + ")"
		}
		p("- %s %s as %s%s at %s (log record %d)\n", rc.Call, verb, rc.Actor, via, rc.Time, rc.Seq)
	}
}

// scoreRootAccess says how the drill obtained root's credentials and that
// every call made as root names root as its actor. It costs nothing: the
// machine will not change a root key before the sign-in, so a run that
// skipped it never deactivated the key, which the other points score.
func scoreRootAccess(st State, records []Record) *DebriefPoint {
	if !st.Intake.Key.Root {
		return nil
	}
	pt := &DebriefPoint{Title: "Root credentials obtained the way the account allows"}
	if st.Contain.RootAccess == nil {
		pt.Detail = "never obtained: nothing was changed as root"
		return pt
	}
	calls := rootCalls(records)
	pt.OK = true
	pt.Detail = fmt.Sprintf("%s; %d call(s) journaled as root", st.Contain.RootAccess.Text(), len(calls))
	return pt
}
