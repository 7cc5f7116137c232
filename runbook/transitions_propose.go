package runbook

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Transitions of the proposals: a replacement per legitimate caller, built,
// edited, decided and applied. Beginning, editing and deciding are in
// completeness.go and proof.go, where their guards live.

func (m *Machine) proposalsReady(e ProposalsReady) ([]Effect, error) {
	s := &m.s
	if err := m.expect(e); err != nil {
		return nil, err
	}
	m.settle("ProposeReplacements")
	s.Propose.Proposals = mergeProposals(s.Propose.Proposals, e.Proposals)
	return m.reprove(), nil
}

func (m *Machine) applyProposals(e ApplyProposals) ([]Effect, error) {
	s := &m.s
	if s.Step != StepPropose {
		return nil, refuse(s.Step, e, "replacements are applied from the proposals step")
	}
	if m.isPending("ProposeReplacements") {
		return nil, refuse(s.Step, e, "wait for the proposals to be built")
	}
	if gap := m.applyGap(); gap != "" {
		return nil, refuse(s.Step, e, "cannot apply yet: %s", gap)
	}
	s.Step = StepReplace
	var effects []Effect
	for _, p := range s.Propose.Proposals {
		if p.Decision == DecisionApply && !p.Applied {
			c, _ := s.Investigate.Investigation.Caller(p.CallerID)
			effects = append(effects, ApplyReplacement{Proposal: p, Caller: c})
		}
	}
	return effects, nil
}

func (m *Machine) proposeEffect(callers []UsageCaller) Effect {
	return ProposeReplacements{KeyID: m.s.KeyID, Account: m.s.Intake.Key.Account, Callers: callers}
}

func legitimate(callers []UsageCaller) []UsageCaller {
	var out []UsageCaller
	for _, c := range callers {
		if c.NeedsReplacement() {
			out = append(out, c)
		}
	}
	return out
}

// validPolicy checks the parts of an IAM policy document a typo breaks.
func validPolicy(doc string) error {
	var p struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return fmt.Errorf("the policy is not valid JSON: %v", err)
	}
	if p.Version != "2012-10-17" {
		return fmt.Errorf("the policy's Version must be \"2012-10-17\"")
	}
	// IAM accepts one statement object or an array of them.
	if st := strings.TrimSpace(string(p.Statement)); st == "" || st == "[]" || st == "null" || st == "{}" {
		return fmt.Errorf("the policy has no Statement")
	}
	return nil
}
