package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

var identifyKeyMap = struct {
	Sweep key.Binding
}{
	Sweep: binding("enter", "sweep CloudTrail", "enter"),
}

func identifyKeys(f frame) []key.Binding {
	if !f.st.Intake.Identified {
		return nil
	}
	return []key.Binding{identifyKeyMap.Sweep}
}

func identifyUpdate(k tea.KeyPressMsg, f frame) intent {
	if key.Matches(k, identifyKeyMap.Sweep) && f.st.Intake.Identified {
		return intent{event: runbook.BeginInvestigation{From: f.now.Add(-f.sweepWindow), To: f.now}}
	}
	return intent{}
}

// identifyView shows who owns the key and what it can do.
func identifyView(f frame) string {
	st, sty := f.st, f.sty
	lines := []string{sty.Heading.Render("Identify")}
	if !st.Intake.Identified {
		if st.Effects.LastError != nil {
			return strings.Join(append(lines, errorLines(f, st.Effects.LastError)...), "\n")
		}
		return strings.Join(append(lines,
			f.spin+" Finding the key's account, owner and status…",
			sty.Muted.Render("  sts GetCallerIdentity · sts GetAccessKeyInfo · iam ListAccessKeys · iam GetAccessKeyLastUsed"),
		), "\n")
	}
	k := st.Intake.Key
	owner := k.Owner()
	if k.UserARN != "" {
		owner += " (" + k.UserARN + ")"
	}
	lines = append(lines, wrapKeyValue(f, "Owner", owner)...)
	acct := k.Account
	if k.Account == st.Intake.Caller.Account {
		acct += sty.OK.Render(" ✓ your credentials' account")
	} else {
		acct += sty.Danger.Render(" ✗ not your account (" + st.Intake.Caller.Account + "): nothing can be changed")
	}
	lines = append(lines, wrapKeyValue(f, "Account", acct)...)
	lines = append(lines, wrapKeyValue(f, "Status", statusWord(sty, k.Status, st.Mode == runbook.ModeDryRun))...)
	if !k.Created.IsZero() {
		lines = append(lines, wrapKeyValue(f, "Created", stamp(k.Created)+sty.Muted.Render(" ("+ago(f.now, k.Created)+")"))...)
	}
	used := "never"
	if !k.LastUsed.IsZero() {
		used = stamp(k.LastUsed) + " · " + orDash(k.LastUsedService) + " · " + orDash(k.LastUsedRegion) + sty.Muted.Render(" ("+ago(f.now, k.LastUsed)+")")
	}
	lines = append(lines, wrapKeyValue(f, "Last used", used)...)
	if p := policySummary(k); p != "" {
		lines = append(lines, wrapKeyValue(f, "Permissions", p)...)
	}
	if k.OtherKeys > 0 {
		lines = append(lines, wrapKeyValue(f, "Other keys", fmt.Sprintf("%d other access key(s) on this owner: check them too", k.OtherKeys))...)
	}
	if k.Root {
		mfa := sty.Muted.Render("unknown")
		if k.RootMFA != nil && *k.RootMFA {
			mfa = sty.OK.Render("enabled")
		} else if k.RootMFA != nil {
			mfa = sty.Danger.Render("NOT enabled")
		}
		lines = append(lines, wrapKeyValue(f, "Root MFA", mfa)...)
		lines = append(lines, wrapParagraph(sty.Warning, "! A root key: root task policies (sts:AssumeRoot) cannot deactivate it; it is turned off with UpdateAccessKey as root, or contained by an SCP in a member account.", f.w, "  ")...)
	}
	if k.QuarantinePolicy != "" {
		lines = append(lines, wrapParagraph(sty.Danger, "! AWS already found this key in public and attached "+k.QuarantinePolicy+
			". Leave it attached until the incident is closed; it denies the key iam:UpdateAccessKey, so act with other credentials.", f.w, "  ")...)
	}
	lines = append(lines, findingLines(f, runbook.StepIdentify)...)
	lines = append(lines, "")
	lines = append(lines, wrapParagraph(sty.Muted, "Next: enter sweeps CloudTrail in every region for this key's events of the last "+days(f.sweepWindow)+" (read-only).", f.w, "")...)
	return strings.Join(lines, "\n")
}

func policySummary(k runbook.KeyFacts) string {
	var parts []string
	if len(k.AttachedPolicies) > 0 {
		parts = append(parts, strings.Join(k.AttachedPolicies, ", "))
	}
	if len(k.InlinePolicies) > 0 {
		parts = append(parts, "inline "+strings.Join(k.InlinePolicies, ", "))
	}
	if len(k.Groups) > 0 {
		parts = append(parts, "groups "+strings.Join(k.Groups, ", "))
	}
	return strings.Join(parts, " · ")
}

// findingLines lists the findings of a step: what could not be learned.
func findingLines(f frame, step runbook.Step) []string {
	var lines []string
	for _, fd := range f.st.Findings {
		if fd.Step != step {
			continue
		}
		style, mark := f.sty.Muted, "· "
		switch fd.Severity {
		case runbook.SeverityWarning:
			style, mark = f.sty.Warning, "! "
		case runbook.SeverityCritical:
			style, mark = f.sty.Danger, "! "
		}
		text := fd.Message
		if fd.Action != "" {
			text += " (missing " + fd.Action + ")"
		}
		lines = append(lines, wrapParagraph(style, mark+redact(text), f.w, "  ")...)
	}
	return lines
}

// errorLines shows a failed effect in place, with what to do.
func errorLines(f frame, e *runbook.EffectFailed) []string {
	return wrapParagraph(f.sty.Danger, "✗ "+failureText(*e), f.w, "  ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// days names a sweep window for people: "90 days".
func days(d time.Duration) string {
	n := int(d.Round(24*time.Hour) / (24 * time.Hour))
	if n == 1 {
		return "day"
	}
	return fmt.Sprintf("%d days", n)
}
