package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// newPolicyViewport wraps long lines (ARNs) rather than cutting them: a
// policy must be read whole before it is applied.
func newPolicyViewport() viewport.Model {
	vp := viewport.New(viewport.WithWidth(60), viewport.WithHeight(6))
	vp.SoftWrap = true
	return vp
}

// proposeView shows one replacement proposal per legitimate caller: its
// kind and name, the least-privilege policy in a scrollable viewport, and
// the responder's decision.
type proposeView struct {
	sel int
	vp  viewport.Model
	// shown is the policy in the viewport, so a state change that leaves it
	// alone keeps the scroll position.
	shown string
	km    proposeKeys
	// exports are the proposals written for review, by caller (export.go);
	// cli shows the selected one's CLI commands in place of its policy.
	exports map[string]exportFiles
	cli     bool
}

type proposeKeys struct {
	Up, Down, PageUp, PageDown       key.Binding
	Apply, Export, NotOurs, Undecide key.Binding
	Rename, Retarget, EditPolicy     key.Binding
	Create                           key.Binding
	Override, Switch                 key.Binding // proof.go
}

func newProposeView() proposeView {
	return proposeView{
		vp:      newPolicyViewport(),
		exports: map[string]exportFiles{},
		km: proposeKeys{
			Up:         binding("↑/k", "previous caller", "up", "k"),
			Down:       binding("↓/j", "next caller", "down", "j"),
			PageUp:     binding("pgup/b", "scroll policy up", "pgup", "b"),
			PageDown:   binding("pgdn/f", "scroll policy down", "pgdown", "f", "space"),
			Apply:      binding("a", "apply", "a"),
			Export:     binding("x", "export for review", "x"),
			NotOurs:    binding("n", "not ours", "n"),
			Undecide:   binding("u", "undecide", "u"),
			Rename:     binding("e", "edit name", "e"),
			Retarget:   binding("t", "edit target", "t"),
			EditPolicy: binding("E", "edit policy in $EDITOR", "E"),
			Create:     binding("enter", "create the applied ones", "enter"),
			Override:   binding("o", "apply unproven, with a reason", "o"),
			Switch:     binding("s", "switch kind", "s"),
		},
	}
}

func (v *proposeView) setSize(w, h int) {
	v.vp.SetWidth(w)
	v.vp.SetHeight(max(h-8, 3))
}

func (v *proposeView) sync(st runbook.State) {
	if v.sel >= len(st.Propose.Proposals) {
		v.sel = max(len(st.Propose.Proposals)-1, 0)
	}
	policy := ""
	if v.sel < len(st.Propose.Proposals) {
		p := st.Propose.Proposals[v.sel]
		policy = prettyPolicy(p.Policy)
		if e := v.exports[p.CallerID]; v.cli && e.current(p) {
			policy = e.text
		} else {
			v.cli = false
		}
		policy += notesBelow(p)
	}
	if policy != v.shown {
		v.shown = policy
		v.vp.SetContent(policy)
		v.vp.GotoTop()
	}
}

// notesBelow are the proposal's warnings and the calls it does not grant,
// shown in the viewport after its policy.
func notesBelow(p runbook.Proposal) string {
	if len(p.Warnings) == 0 && len(p.Attempted) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n\n── warnings ──")
	for _, w := range p.Warnings {
		b.WriteString("\n! " + w)
	}
	if len(p.Attempted) > 0 {
		b.WriteString("\nattempted, not granted: " + strings.Join(p.Attempted, ", "))
	}
	return b.String()
}

// prettyPolicy indents a policy document for reading, keeping its keys in
// their order; anything that is not JSON is shown as it is.
func prettyPolicy(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return b.String()
}

func (v *proposeView) update(k tea.KeyPressMsg, f frame) intent {
	ps := f.st.Propose.Proposals
	var p runbook.Proposal
	if v.sel < len(ps) {
		p = ps[v.sel]
	}
	decide := func(d runbook.Decision) intent {
		if p.CallerID == "" {
			return intent{}
		}
		return intent{event: runbook.DecideProposal{CallerID: p.CallerID, Decision: d}}
	}
	switch {
	case key.Matches(k, v.km.Up):
		v.sel, v.cli = max(v.sel-1, 0), false
		v.sync(f.st)
	case key.Matches(k, v.km.Down):
		v.sel, v.cli = min(v.sel+1, max(len(ps)-1, 0)), false
		v.sync(f.st)
	case key.Matches(k, v.km.PageUp):
		v.fit(f)
		v.vp.PageUp()
	case key.Matches(k, v.km.PageDown):
		v.fit(f)
		v.vp.PageDown()
	case key.Matches(k, v.km.Apply):
		return decide(runbook.DecisionApply)
	case key.Matches(k, v.km.Export):
		// Once written, x toggles the commands in place of the policy; an
		// edit since makes the files stale, and x writes new ones.
		if p.Decision == runbook.DecisionExported && v.exports[p.CallerID].current(p) {
			v.cli = !v.cli
			v.sync(f.st)
			return intent{}
		}
		return decide(runbook.DecisionExported)
	case key.Matches(k, v.km.NotOurs):
		return decide(runbook.DecisionNotOurs)
	case key.Matches(k, v.km.Undecide):
		return decide(runbook.DecisionUndecided)
	case key.Matches(k, v.km.Rename) && p.CallerID != "":
		return intent{prompt: &promptSpec{
			title:  "Name of the " + string(p.Kind) + " for " + p.CallerID,
			detail: []string{"1-64 letters, digits and +=,.@_-"},
			value:  p.Name,
			build: func(a string) runbook.Event {
				edited := p
				edited.Name = a
				return runbook.EditProposal{Proposal: edited}
			},
		}}
	case key.Matches(k, v.km.Retarget) && p.CallerID != "":
		return intent{prompt: &promptSpec{
			title:  "Target of the " + string(p.Kind) + " for " + p.CallerID,
			detail: []string{targetHelp(p.Kind)},
			value:  p.Target,
			build: func(a string) runbook.Event {
				edited := p
				edited.Target = a
				return runbook.EditProposal{Proposal: edited}
			},
		}}
	case key.Matches(k, v.km.EditPolicy) && p.CallerID != "" && !p.Applied:
		return intent{cmd: editPolicy(p)}
	case key.Matches(k, v.km.Create):
		return intent{event: runbook.ApplyProposals{}}
	case key.Matches(k, v.km.Override) && p.CallerID != "":
		if spec := overridePrompt(f.st, p); spec != nil {
			return intent{prompt: spec}
		}
		return intent{note: "the policy of " + p.CallerID + " has no failed proof to override"}
	case key.Matches(k, v.km.Switch) && p.CallerID != "":
		if ev := switchKind(f.st, p); ev != nil {
			return intent{event: ev}
		}
		return intent{note: "a " + string(p.Kind) + " has no other kind to switch to"}
	}
	return intent{}
}

// targetHelp says what a replacement kind's target names.
func targetHelp(k runbook.ReplacementKind) string {
	switch k {
	case runbook.ReplaceInstanceRole:
		return "the EC2 instance ID (i-…) that gets the instance profile"
	case runbook.ReplaceLambdaRole:
		return "the Lambda function name whose execution role changes"
	case runbook.ReplaceECSTaskRole:
		return "the ECS task definition family (and service) that gets the task role"
	case runbook.ReplaceEKSPodIdentity, runbook.ReplaceEKSIRSA:
		return "CLUSTER/NAMESPACE/SERVICE-ACCOUNT of the pod that gets the role"
	case runbook.ReplaceOIDCRole:
		return "the GitHub subject the role trusts: repo:ORG/REPO:* or narrower (repo:ORG/REPO:ref:refs/heads/main)"
	}
	return "where the caller runs (host or address), for the record"
}

func (v proposeView) keys(f frame) []key.Binding {
	if len(f.st.Propose.Proposals) == 0 {
		// Nothing to create: enter only goes on, and says so.
		goOn := v.km.Create
		goOn.SetHelp("enter", "go on to deactivation")
		return []key.Binding{goOn}
	}
	return []key.Binding{v.km.Apply, v.km.Export, v.km.NotOurs, v.km.Create, v.km.Down, v.km.Rename, v.km.Retarget,
		v.km.EditPolicy, v.km.Override, v.km.Switch, v.km.PageDown, v.km.Undecide, v.km.Up, v.km.PageUp}
}

// decisionWord is a proposal's decision in a fixed width, so the rows
// line up whatever was decided.
func decisionWord(sty styles, d runbook.Decision) string {
	switch d {
	case runbook.DecisionApply:
		return sty.OK.Render("apply     ")
	case runbook.DecisionExported:
		return sty.OK.Render("export    ")
	case runbook.DecisionNotOurs:
		return sty.Danger.Render("not ours  ")
	}
	return sty.Warning.Render("undecided ")
}

// fit gives the policy viewport the lines the header leaves.
func (v *proposeView) fit(f frame) {
	v.vp.SetHeight(max(f.h-len(v.head(f)), 3))
}

func (v proposeView) view(f frame) string {
	lines := v.head(f)
	if len(f.st.Propose.Proposals) == 0 {
		return strings.Join(lines, "\n")
	}
	v.fit(f)
	return strings.Join(append(lines, v.vp.View()), "\n")
}

// head is everything above the policy: the proposals, the selected one's
// details, and the policy's title rule.
func (v proposeView) head(f frame) []string {
	st, sty := f.st, f.sty
	ps := st.Propose.Proposals
	decided := 0
	for _, p := range ps {
		if p.Decision != runbook.DecisionUndecided {
			decided++
		}
	}
	lines := []string{sty.Heading.Render("Propose") + sty.Muted.Render(fmt.Sprintf(" · a replacement per legitimate caller · %d of %d decided", decided, len(ps)))}
	for _, l := range st.Contain.Lessons {
		lines = append(lines, wrapParagraph(sty.Warning, "↺ rolled back: "+l, f.w, "  ")...)
	}
	pending := false
	for _, n := range st.Effects.Pending {
		pending = pending || n == "ProposeReplacements"
	}
	if pending {
		lines = append(lines, f.spin+" Building least-privilege policies from what each caller did…")
	}
	if len(ps) == 0 {
		if !pending {
			lines = append(lines, "No legitimate caller needs a replacement.", sty.Muted.Render("Press enter to go on to deactivation."))
		}
		return lines
	}
	// The proposal list scrolls to keep the selected one in its four lines.
	const listRows = 4
	first := max(0, min(v.sel-listRows+1, len(ps)-listRows))
	for i := first; i < min(first+listRows, len(ps)); i++ {
		p := ps[i]
		mark := "  "
		if i == v.sel {
			mark = sty.Current.Render("▸ ")
		}
		row := fmt.Sprintf("%-20s %-16s", p.CallerID, p.Kind)
		if i == v.sel {
			row = sty.Title.Render(row)
		}
		lines = append(lines, mark+decisionWord(sty, p.Decision)+" "+row+" "+proofMark(f, p))
	}
	p := ps[min(v.sel, len(ps)-1)]
	what := "name " + p.Name + " · target " + orDash(p.Target)
	if p.Applied {
		what += " · created"
	}
	lines = append(lines, wrapAfterPrefix("", what, sty.Muted, f.w, "  ")...)
	if n := len(p.Warnings); n > 0 {
		// The warnings are read under the policy: above it, a few of them
		// filled the pane at 80×24 and the policy was never seen.
		lines = append(lines, sty.Warning.Render(fmt.Sprintf("! %s: read under the policy (pgdn)", runbook.Plural(n, "warning"))))
	}
	lines = append(lines, proofLines(f, p)...)
	what = "policy"
	if e := v.exports[p.CallerID]; e.current(p) {
		// The notice gave the full paths; beside the action log is where.
		lines = append(lines, wrapAfterPrefix(sty.OK.Render("exported: "), filepath.Base(e.cli)+" · "+filepath.Base(e.terraform)+
			" (x shows the commands)", sty.Muted, f.w, "  ")...)
		if v.cli {
			what = "CLI commands · x policy"
		}
	}
	scroll := fmt.Sprintf(" %s %3.0f%% ", what, v.vp.ScrollPercent()*100)
	return append(lines, sty.Rule.Render("──"+scroll+strings.Repeat("─", max(f.w-len(scroll)-2, 0))))
}
