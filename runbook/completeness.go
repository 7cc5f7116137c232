package runbook

import (
	"fmt"
	"slices"
	"strings"
)

// An investigation that failed or read only part of the account looks, on
// screen, like one that found nothing: "no use of this key" is the answer a
// denied LookupEvents gives too. Deciding on it would turn the key off
// under workloads nobody saw, or call an attacker's session clean. So the
// machine names every gap and refuses to propose, deactivate or delete
// while one is open, unless the responder writes why they go on anyway;
// the override is journaled with the gaps it covers.

// GapOverride is the responder's written decision to act on an incomplete
// investigation, with the gaps it was given for.
type GapOverride struct {
	Reason string `json:"reason"`
	// Missing names what was not read when the responder overrode.
	Missing []string `json:"missing"`
}

// Gaps names what the investigation could not read, one sentence each:
// the sweep's own failure, each region not finished, each minted
// credential whose calls could not be read somewhere. Nil means complete.
// A nil investigation has one gap: the sweep has not run.
func (inv *Investigation) Gaps() []string {
	if inv == nil {
		return []string{"the CloudTrail sweep has not run"}
	}
	var gaps []string
	if inv.Failure != "" {
		gaps = append(gaps, "the CloudTrail sweep failed: "+strings.TrimSuffix(inv.Failure, "."))
	}
	if len(inv.Regions) == 0 && inv.Failure == "" && inv.Events == 0 && len(inv.Callers) == 0 {
		gaps = append(gaps, "no region was swept")
	}
	for _, r := range inv.Regions {
		if r.State == RegionDone {
			continue
		}
		g := fmt.Sprintf("region %s not swept (%s", r.Region, r.State)
		if r.Error != "" {
			g += ": " + strings.TrimSuffix(r.Error, ".")
		}
		gaps = append(gaps, g+")")
	}
	for _, m := range inv.Minted {
		if len(m.Unread) > 0 {
			gaps = append(gaps, fmt.Sprintf("the calls of %s (%s) not read in %s", m.KeyID, m.Via, strings.Join(m.Unread, ", ")))
		}
	}
	return gaps
}

// FailedRegions lists the regions the sweep did not finish.
func (inv *Investigation) FailedRegions() []string {
	if inv == nil {
		return nil
	}
	var out []string
	for _, r := range inv.Regions {
		if r.State != RegionDone {
			out = append(out, r.Region)
		}
	}
	return out
}

// openGaps returns the investigation's gaps that no override covers.
func (m *Machine) openGaps() []string {
	gaps := m.s.Investigate.Investigation.Gaps()
	if o := m.s.Investigate.GapOverride; o != nil {
		gaps = slices.DeleteFunc(gaps, func(g string) bool { return slices.Contains(o.Missing, g) })
	}
	return gaps
}

// gapRefusal is the refusal of a decision taken on an incomplete
// investigation; what names the decision ("propose", "deactivate").
func (m *Machine) gapRefusal(ev Event, what string, gaps []string) error {
	return refuse(m.s.Step, ev, "cannot %s: the investigation is incomplete (%s). Retry what failed, or go on with a written reason naming what is missing (it goes into the action log)",
		what, strings.Join(gaps, "; "))
}

// beginProposals is BeginProposals' transition: the gate between what the
// investigation read and every decision taken on it.
func (m *Machine) beginProposals(e BeginProposals) ([]Effect, error) {
	s := &m.s
	if s.Step != StepInvestigate {
		return nil, refuse(s.Step, e, "proposals follow the investigation")
	}
	if s.Investigate.Sweeping || s.Investigate.Investigation == nil {
		return nil, refuse(s.Step, e, "wait for the CloudTrail sweep to finish: proposals are built from what it found")
	}
	if gaps := m.openGaps(); len(gaps) > 0 {
		reason := strings.TrimSpace(e.Override)
		if reason == "" {
			return nil, m.gapRefusal(e, "propose replacements", gaps)
		}
		s.Investigate.GapOverride = &GapOverride{Reason: reason, Missing: s.Investigate.Investigation.Gaps()}
	}
	s.Step = StepPropose
	return []Effect{m.proposeEffect(legitimate(s.Investigate.Investigation.Callers))}, nil
}

// sweepFailed keeps a failed sweep's reason on the investigation, so that
// what the screen and the guards read says "failed", not "found nothing".
func (m *Machine) sweepFailed(e EffectFailed) {
	s := &m.s
	s.Investigate.Sweeping = false
	inv := Investigation{}
	if s.Investigate.Investigation != nil {
		inv = *s.Investigate.Investigation
	}
	inv.Failure = e.Message
	if inv.Failure == "" {
		inv.Failure = "no reason given"
	}
	s.Investigate.Investigation = &inv
}

// CodeKeyNotInactive is the code of a DeleteKey that found the key no
// longer Inactive in IAM (someone turned it back on outside keyrunbook):
// the machine takes the status read over the one it remembered, so that
// no screen keeps saying "the key is Inactive".
const CodeKeyNotInactive = "KeyNotInactive"
