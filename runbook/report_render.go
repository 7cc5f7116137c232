package runbook

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// JSON renders the report as one indented JSON document.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	return redactJSONBytes(append(b, '\n')), nil
}

// CallersCSV renders the investigation's callers, one row each.
func (r *Report) CallersCSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "label", "kind", "source_ip", "user_agent", "resource", "regions", "events", "errors", "first_seen", "last_seen", "actions", "replacement", "decision"}) //nolint:errcheck // bytes.Buffer does not fail
	if r.Investigation != nil {
		for _, c := range r.Investigation.Callers {
			var actions []string
			for _, a := range c.Actions {
				actions = append(actions, a.Call())
			}
			repl, decision := "", ""
			for _, p := range r.Replacements {
				if p.CallerID == c.ID {
					repl, decision = string(p.Kind)+" "+p.Name, string(p.Decision)
				}
			}
			w.Write([]string{c.ID, string(c.Label), string(c.Kind), c.SourceIP, c.UserAgent, c.Resource, //nolint:errcheck
				strings.Join(c.Regions, " "), fmt.Sprint(c.Events), fmt.Sprint(c.Errors), stamp(c.FirstSeen), stamp(c.LastSeen),
				strings.Join(actions, " "), repl, decision})
		}
	}
	w.Flush()
	return []byte(RedactString(buf.String())), w.Error()
}

// Markdown renders the report for people: headings, tables, policies in
// code blocks.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	s := r.Summary
	p("# Incident report: leaked access key %s\n\n", s.KeyID)
	if r.Verified {
		p("> Action log verified: the hash chain is intact.\n\n")
	} else {
		p("> **WARNING: the action log did NOT verify** (%s). This report covers only the records before the break; treat it as incomplete and possibly tampered.\n\n", mdCell(r.VerifyProblem))
	}
	p("## Summary\n\n| | |\n|---|---|\n")
	p("| Key | `%s` |\n| Owner | %s |\n| Account | %s |\n| Mode | %s |\n| Responder | %s |\n| Outcome | %s |\n",
		s.KeyID, mdCell(s.Owner), mdCell(orDashS(s.Account)), s.Mode, mdCell(orDashS(s.Actor)), mdCell(s.Outcome))
	if s.Reason != "" {
		p("| Reason / note | %s |\n", mdCell(s.Reason))
	}
	p("| Started | %s |\n| Ended | %s |\n\n", stamp(s.Started), stamp(s.Ended))

	p("## Metrics\n\nThe measures of AWS's credential-compromise playbook.\n\n")
	rehearsal := ""
	if s.Mode == ModeDryRun {
		// Nothing was contained or recovered: the times are the rehearsal's.
		p("> Dry-run: nothing was changed, so nothing was contained. The times below are how long the rehearsal took to reach each point.\n\n")
		rehearsal = " — rehearsal"
	}
	p("| Metric | Value |\n|---|---|\n")
	p("| Time to detect (detected → intake) | %s |\n", dur(r.Metrics.TimeToDetectS))
	p("| Time to contain (intake → key inactive)%s | %s |\n", rehearsal, dur(r.Metrics.TimeToContainS))
	p("| Time to recover (intake → closed)%s | %s |\n\n", rehearsal, dur(r.Metrics.TimeToRecoverS))

	p("## Identification\n\n")
	k := r.Key
	p("- Owner: %s\n- Status: %s\n- Created: %s\n- Last used: %s %s %s\n", k.Owner(), orDashS(string(k.Status)), stamp(k.Created), stamp(k.LastUsed), k.LastUsedService, k.LastUsedRegion)
	if k.QuarantinePolicy != "" {
		p("- **AWS quarantine policy attached: %s** (AWS found the key in public; the policy stays until the incident is closed)\n", k.QuarantinePolicy)
	}
	for _, f := range r.Findings {
		p("- %s: %s\n", f.Severity, mdCell(RedactString(f.Message)))
	}
	p("\n")
	r.mdInvestigation(&b)
	r.mdReplacements(&b)
	r.mdContainment(&b)
	r.mdFollowUps(&b)
	r.mdDebrief(&b)
	if len(r.ChangePlan) > 0 {
		p("## Change plan (dry-run: not sent)\n\n| # | Call | Input |\n|---|---|---|\n")
		for i, c := range r.ChangePlan {
			p("| %d | %s:%s | `%s` |\n", i+1, c.Service, c.Operation, mdCell(string(c.Input)))
		}
		p("\n")
	}
	if len(r.Checklist) > 0 {
		p("## Hardening checklist\n\n| Check | State | Fix |\n|---|---|---|\n")
		for _, c := range r.Checklist {
			mark := "✗"
			if c.OK {
				mark = "✓"
			}
			p("| %s %s | %s | %s |\n", mark, mdCell(c.Title), mdCell(c.State), mdCell(c.Fix))
		}
		p("\n")
	}
	p("## Timeline (UTC)\n\n| # | Time | Step | Type | What | Actor |\n|---|---|---|---|---|---|\n")
	for _, it := range r.Timeline {
		what := it.Name
		if it.Count > 1 {
			what += fmt.Sprintf(" ×%d", it.Count)
		}
		if it.Detail != "" {
			what += ": " + it.Detail
		}
		p("| %d | %s | %s | %s | %s | %s |\n", it.Seq, it.Time.UTC().Format("2006-01-02 15:04:05"), it.Step, it.Type, mdCell(what), mdCell(it.Actor))
	}
	p("\nHead of the action log's hash chain: `%s` (compare with `keyrunbook verify LOG`: a log cut short shows another head).\n", orNone(r.Head))
	return []byte(RedactString(b.String()))
}

func (r *Report) mdInvestigation(b *strings.Builder) {
	inv := r.Investigation
	if inv == nil {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Investigation\n\nCloudTrail from %s to %s: %d events.\n\n", stamp(inv.From), stamp(inv.To), inv.Events)
	if len(inv.Callers) > 0 {
		p("### Callers\n\n| ID | Label | Kind | Source IP | User agent | Runs on | Events | Errors | Last seen |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range inv.Callers {
			p("| %s | %s | %s | %s | %s | %s | %d | %d | %s |\n", c.ID, c.Label, c.Kind, mdCell(c.SourceIP), mdCell(c.UserAgent), mdCell(c.Resource), c.Events, c.Errors, stamp(c.LastSeen))
		}
		p("\n")
	}
	if len(inv.Indicators) > 0 {
		p("### Indicators of attacker activity\n\n| Severity | Kind | Summary | Events |\n|---|---|---|---|\n")
		for _, in := range inv.Indicators {
			var evs []string
			for _, e := range in.Events {
				evs = append(evs, e.Name+" "+e.Region+" "+stamp(e.Time))
			}
			p("| %s | %s | %s | %s |\n", in.Severity, in.Kind, mdCell(in.Summary), mdCell(strings.Join(evs, "; ")))
		}
		p("\n")
	}
	if len(inv.BlastRadius) > 0 {
		p("### Blast radius\n\n| Type | ID | Region | Made by | Time | Cleaned up |\n|---|---|---|---|---|---|\n")
		for _, res := range inv.BlastRadius {
			done := "no"
			if containsResource(r.CleanedUp, res) {
				done = "yes"
			}
			p("| %s | %s | %s | %s | %s | %s |\n", res.Type, mdCell(res.ID), orDashS(res.Region), res.Action, stamp(res.Time), done)
		}
		p("\n")
	}
	r.mdMinted(b)
	if len(inv.Coverage) > 0 {
		p("### Coverage and blind spots\n\n")
		for _, c := range inv.Coverage {
			p("- %s\n", c)
		}
		p("\n")
	}
}

func (r *Report) mdReplacements(b *strings.Builder) {
	if len(r.Replacements) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Replacements\n\n")
	for _, rp := range r.Replacements {
		p("### %s for caller %s\n\n- Kind: %s\n- Target: %s\n- Decision: %s\n- Applied: %v, moved: %v\n", rp.Name, rp.CallerID, rp.Kind, mdCell(rp.Target), orDashS(string(rp.Decision)), rp.Applied, rp.Moved)
		created := "Created"
		if r.Summary.Mode == ModeDryRun {
			created = "Would create (dry-run: not created)"
		}
		for _, c := range rp.Created {
			p("- %s: `%s`\n", created, c)
		}
		for _, w := range rp.Warnings {
			p("- Warning: %s\n", w)
		}
		if len(rp.Attempted) > 0 {
			p("- Attempted, not granted: %s\n", strings.Join(rp.Attempted, ", "))
		}
		for _, pr := range r.Proofs {
			if pr.CallerID == rp.CallerID {
				p("- Proof: %s\n", mdCell(pr.Summary()))
			}
		}
		p("\n```json\n%s\n```\n\n", indentJSON(rp.Policy))
	}
}

func dur(s *int64) string {
	if s == nil {
		return "—"
	}
	return (time.Duration(*s) * time.Second).String()
}

// mdCell keeps a value from breaking a Markdown table row.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func indentJSON(doc string) string {
	var out bytes.Buffer
	if json.Indent(&out, []byte(doc), "", "  ") != nil {
		return doc
	}
	return out.String()
}

// redactJSONBytes is the last line of defence for the JSON report.
func redactJSONBytes(b []byte) []byte { return []byte(RedactString(string(b))) }

// mdFollowUps lists what the attacker's techniques leave to do.
func (r *Report) mdFollowUps(b *strings.Builder) {
	if len(r.FollowUps) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Follow-ups\n\n| Caller | Technique | Do | On | State |\n|---|---|---|---|---|\n")
	for i, f := range r.FollowUps {
		state := "open"
		if i < len(r.FollowUpState) {
			state = r.FollowUpState[i]
		}
		p("| %s | %s | %s | %s | %s |\n", f.CallerID, f.Technique, mdCell(f.Do), mdCell(RedactString(strings.Join(f.Targets, ", "))), state)
	}
	p("\n")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
