package runbook

import "slices"

// FollowUp is what to do about an indicator once the incident is
// contained: rotate the secrets read, unshare the snapshot shared, revoke
// the model access enabled. It comes from the technique row the calls
// matched (package judge) and lists what those calls acted on.
type FollowUp struct {
	Kind      string   `json:"kind"`      // rotate, unshare, terminate, revoke, delete, restore
	Technique string   `json:"technique"` // the technique row's ID
	Do        string   `json:"do"`
	Targets   []string `json:"targets,omitempty"`
	CallerID  string   `json:"callerId"`
}

// FollowUps are the follow-ups of the indicators whose caller is not
// labelled legitimate: a workload reading its own secret leaves nothing to
// rotate, an attacker or an unknown caller reading it does. They follow the
// labels as the responder changes them.
func (inv *Investigation) FollowUps() []FollowUp {
	if inv == nil {
		return nil
	}
	var out []FollowUp
	for _, ind := range inv.Indicators {
		c, ok := inv.Caller(ind.CallerID)
		if ok && c.Label == LabelLegitimate {
			continue
		}
		for _, f := range ind.FollowUps {
			if !slices.ContainsFunc(out, func(o FollowUp) bool {
				return o.Technique == f.Technique && o.CallerID == f.CallerID
			}) {
				out = append(out, f)
			}
		}
	}
	return out
}
