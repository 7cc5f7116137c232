package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// The screen: two header lines, a rule, the step list beside the step
// view, a rule, a status line and the help line. 80×24 is the minimum the
// layout is drawn for; a smaller terminal gets the same layout, clipped.
const (
	minWidth     = 80
	minHeight    = 24
	stepListW    = 15
	headerLines  = 2
	chromeLines  = headerLines + 4 // header, two rules, status, help
	bodySepWidth = 3               // " │ "
)

// frame is what a step view needs to draw itself: the state, the styles,
// the size it has, and the time to show.
type frame struct {
	st       runbook.State
	sty      styles
	w, h     int
	now      time.Time
	spin     string
	training *TrainingInfo
	// lastPoll is the wall-clock time of the last watch reading.
	lastPoll time.Time
	logPath  string
	// sweepWindow is how far back the sweep looks.
	sweepWindow time.Duration
	// sweepStarted is when the running sweep began, for its pace.
	sweepStarted time.Time
	calls        []runbook.APICall
	// inflight are the effects running, by command id.
	inflight map[int]runbook.Effect
	// scan is the running trail scan's progress.
	scan runbook.TrailScanStats
	// stepCalls are the calls of the step's change (plan.go); planned is
	// false when nothing can read them (no Options.Plan).
	stepCalls stepCalls
	planned   bool
}

// screenSize is the size to lay out for: the terminal's, or the minimum
// before the first WindowSizeMsg (which may come after the first key).
func (m Model) screenSize() (int, int) {
	w, h := m.width, m.height
	if w <= 0 {
		w = minWidth
	}
	if h <= 0 {
		h = minHeight
	}
	return w, h
}

// bodySize is the step view's share of the screen.
func (m Model) bodySize() (int, int) {
	w, h := m.screenSize()
	return max(w-stepListW-bodySepWidth, 20), max(h-chromeLines, 4)
}

func (m Model) header(w int) string {
	st := m.State()
	sty := m.sty
	var banner string
	switch st.Mode {
	case runbook.ModeDryRun:
		banner = sty.BannerDryRun.Render("DRY-RUN · nothing is changed")
	case runbook.ModeTraining:
		banner = sty.BannerTraining.Render("TRAINING · simulated account")
	default:
		banner = sty.BannerLive.Render("LIVE · changes are real")
	}
	who := sty.Muted.Render("account not identified yet")
	if st.Intake.Identified {
		who = "account " + st.Intake.Caller.Account + " · " + shortARN(st.Intake.Caller.ARN, st.Intake.Caller.Account)
		if st.Intake.Key.Account != "" && st.Intake.Key.Account != st.Intake.Caller.Account {
			who = sty.Danger.Render("! key is in account "+st.Intake.Key.Account) + " · you: " + st.Intake.Caller.Account + " " + shortARN(st.Intake.Caller.ARN, st.Intake.Caller.Account)
		}
	}
	line1 := banner + " " + who

	keyPart := sty.Muted.Render("key: none yet")
	if st.KeyID != "" {
		keyPart = "key " + sty.Title.Render(st.KeyID)
		if st.Intake.Identified {
			keyPart += " · " + st.Intake.Key.Owner() + " · " + statusWord(sty, st.Intake.Key.Status, st.Mode == runbook.ModeDryRun)
		}
	}
	// What must be seen comes first; the rest is added while it fits, so
	// a narrow terminal drops the clock speed before it cuts a name.
	parts := []string{keyPart}
	if st.Mode == runbook.ModeDryRun {
		parts = append(parts, sty.Warning.Render("[DRY-RUN]"))
	}
	if t := m.opts.Training; t != nil {
		if t.Scenario != "" {
			parts = append(parts, sty.Muted.Render("scenario "+t.Scenario))
		}
		if t.ClockSpeed != "" {
			parts = append(parts, sty.Muted.Render(t.ClockSpeed))
		}
	}
	line2 := parts[0]
	for _, p := range parts[1:] {
		if ansi.StringWidth(line2+" · "+p) > w {
			break
		}
		line2 += sty.Muted.Render(" · ") + p
	}
	return clip(line1, w) + "\n" + clip(line2, w)
}

// shortARN drops what the header already says: an ARN of the shown account
// reads as its resource part ("user/ir-responder").
func shortARN(arn, account string) string {
	for _, svc := range []string{"iam", "sts"} {
		if rest, ok := strings.CutPrefix(arn, "arn:aws:"+svc+"::"+account+":"); ok {
			return rest
		}
	}
	return arn
}

// statusWord is the key's status for the header. Dry-run changed nothing:
// a status the rehearsal reached is what the key would be, and the key
// is still Active in AWS.
func statusWord(sty styles, s runbook.KeyStatus, dryRun bool) string {
	if dryRun && (s == runbook.KeyInactive || s == runbook.KeyGone) {
		return sty.Warning.Render("would be " + strings.ToLower(string(s)) + " (still Active: dry-run)")
	}
	switch s {
	case runbook.KeyActive:
		return sty.Danger.Render("Active")
	case runbook.KeyInactive:
		return sty.OK.Render("Inactive")
	case runbook.KeyGone:
		return sty.OK.Render("Deleted")
	}
	return sty.Muted.Render("status unknown")
}

// stepList draws the steps: ✓ done, ▶ current, · to come, – skipped.
func (m Model) stepList(h int) string {
	st := m.State()
	sty := m.sty
	current := st.Step
	if current == runbook.StepAborted {
		current = m.abortedAt
	}
	if current == runbook.StepReactivate {
		current = runbook.StepWatch
	}
	idx := stepIndex(current)
	var lines []string
	for i, s := range runbook.MainSteps {
		var mark string
		style := lipgloss.NewStyle()
		switch {
		case st.Step == runbook.StepClosed:
			mark = "✓"
		case st.Step == runbook.StepAborted && i == idx:
			mark, style = "✗", sty.Danger
		case st.Step == runbook.StepAborted && i > idx:
			mark, style = "–", sty.Muted
		case i < idx && s == runbook.StepReplace && !anyApplied(st.Propose.Proposals):
			mark, style = "–", sty.Muted
		case i < idx:
			mark, style = "✓", sty.OK
		case i == idx:
			mark, style = "▶", sty.Current
		default:
			mark, style = "·", sty.Muted
		}
		lines = append(lines, style.Render(mark+" "+s.Title()))
		if s == runbook.StepWatch && (st.Step == runbook.StepReactivate || st.Contain.Rollbacks > 0) {
			label := fmt.Sprintf("  ↺ rollback ×%d", st.Contain.Rollbacks)
			if st.Step == runbook.StepReactivate {
				label = " ↺ rolling back"
			}
			lines = append(lines, sty.Warning.Render(label))
		}
	}
	if st.Step == runbook.StepAborted {
		lines = append(lines, "", sty.Danger.Render("ABORTED"))
	}
	return fitBlock(strings.Join(lines, "\n"), stepListW, h)
}

func stepIndex(s runbook.Step) int {
	for i, x := range runbook.MainSteps {
		if x == s {
			return i
		}
	}
	return 0
}

func anyApplied(ps []runbook.Proposal) bool {
	for _, p := range ps {
		if p.Applied {
			return true
		}
	}
	return false
}

// clip cuts a line to w cells, keeping its styling intact.
func clip(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fitBlock makes s exactly w cells wide and h lines high, cutting what
// does not fit, so the layout never shifts whatever a view draws.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		l = clip(l, w)
		if pad := w - ansi.StringWidth(l); pad > 0 {
			l += strings.Repeat(" ", pad)
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// plain is the style of unstyled text.
var plain = lipgloss.NewStyle()

// wrapParagraph word-wraps plain text to w cells, styles each line, and
// indents the lines after the first. Styling per line (not once around the
// whole text) keeps the colour on every line of the screen.
func wrapParagraph(style lipgloss.Style, text string, w int, indent string) []string {
	return wrapAfterPrefix("", text, style, w, indent)
}

// wrapAfterPrefix is wrapParagraph after an already-styled prefix on the
// first line, such as a label or a mark: the text hangs from the prefix.
func wrapAfterPrefix(prefix, text string, style lipgloss.Style, w int, indent string) []string {
	pw, iw := ansi.StringWidth(prefix), ansi.StringWidth(indent)
	lines := wrapPlain(text, w-pw, w-iw)
	for i, l := range lines {
		l = style.Render(l)
		if i == 0 {
			lines[i] = prefix + l
		} else {
			lines[i] = indent + l
		}
	}
	return lines
}

// wrapPlain fills lines greedily with the words of text: the first line
// up to first cells, the others up to rest. A word longer than a line (an
// ARN, a policy name) is cut where the line ends.
func wrapPlain(text string, first, rest int) []string {
	first, rest = max(first, 8), max(rest, 8)
	var lines []string
	limit, line := first, ""
	flush := func() {
		lines = append(lines, line)
		line, limit = "", rest
	}
	for _, word := range strings.Fields(text) {
		for ansi.StringWidth(word) > limit {
			if line != "" {
				flush()
				continue
			}
			cut := ansi.Truncate(word, limit, "")
			line, word = cut, word[len(cut):]
			flush()
		}
		switch {
		case word == "":
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= limit:
			line += " " + word
		default:
			flush()
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// kv renders a "label  value" line with the label muted and aligned.
func kv(sty styles, label, value string) string {
	return kvLabel(sty, label) + value
}

// wrapKeyValue is kv wrapped to the frame, continuation lines under the
// value.
func wrapKeyValue(f frame, label, value string) []string {
	return wrapAfterPrefix(kvLabel(f.sty, label), value, plain, f.w, strings.Repeat(" ", 13))
}

func kvLabel(sty styles, label string) string {
	return sty.Muted.Render(fmt.Sprintf("%-12s", label)) + " "
}

// ago renders how long before now t was, for people.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// stamp renders a time the way the log and the report show it.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// clock renders a time of day, for times within the incident's day.
func clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("15:04:05Z")
}

// shortDur renders a duration as 1h02m, 5m30s or 12s.
func shortDur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}
