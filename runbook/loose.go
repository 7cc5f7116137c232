package runbook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The loose ends of the debrief beyond the drill's ground truth: what the
// investigation itself knew of and the run left open. Each applies only
// when the investigation found that kind of thing.

// Weights of the loose ends, out of 100.
const (
	weightRevoked = 15
	weightCompute = 15
	weightKeptOff = 20
)

// scoreRevoked checks the sessions the key minted were revoked, when this
// account's policies could revoke them (RevocationPlan).
func scoreRevoked(st State) *DebriefPoint {
	plan := st.RevocationPlan()
	if len(plan.Targets) == 0 {
		return nil // nothing minted, or nothing this account can revoke
	}
	pt := &DebriefPoint{Title: "Sessions the key minted revoked"}
	var missing []string
	for _, t := range plan.Targets {
		if st.Contain.Revocation == nil || st.Contain.Revocation.DryRun || !slices.Contains(st.Contain.Revocation.Targets, t) {
			missing = append(missing, t.Kind+" "+t.Name)
		}
	}
	if len(missing) == 0 {
		pt.OK, pt.Detail = true, fmt.Sprintf("sessions minted before %s denied on %s", stamp(st.Contain.Revocation.At), revocationTargets(st.Contain.Revocation.Targets))
		return pt
	}
	var sessions []string
	for _, c := range st.Investigate.Investigation.Minted {
		if !c.CrossAccount {
			sessions = append(sessions, c.KeyID+" ("+c.Describe()+")")
		}
	}
	pt.Lost = weightRevoked
	pt.Detail = fmt.Sprintf("still valid until they expire, deactivating the key does not end them: %s; not revoked on %s",
		strings.Join(sessions, ", "), strings.Join(missing, ", "))
	return pt
}

// scoreCompute checks the instances the key launched, which the
// investigation found in the blast radius, were stopped.
func scoreCompute(st State) *DebriefPoint {
	if st.Investigate.Investigation == nil {
		return nil
	}
	var found, left []string
	for _, r := range st.Investigate.Investigation.BlastRadius {
		// Launched, not changed: the blast radius also holds functions a
		// legitimate pipeline updated with the key.
		if r.Type != "ec2-instance" || r.Action != "RunInstances" {
			continue
		}
		found = append(found, r.ID)
		if !containsResource(st.Delete.CleanedUp, r) {
			where := r.ID
			if r.Region != "" {
				where += " in " + r.Region
			}
			left = append(left, r.Type+" "+where)
		}
	}
	if len(found) == 0 {
		return nil
	}
	pt := &DebriefPoint{Title: "Attacker's compute stopped"}
	if len(left) == 0 {
		pt.OK, pt.Detail = true, fmt.Sprintf("all %d launched by the attacker stopped", len(found))
		return pt
	}
	pt.Lost = weightCompute * len(left) / len(found)
	pt.Detail = "still running: " + strings.Join(left, ", ")
	return pt
}

// scoreKeptOff checks the key stayed off while only the attacker tried it:
// a roll-back then hands the key back to the attacker. It applies when the
// watch saw the attacker fail on the dead key.
func scoreKeptOff(records []Record) *DebriefPoint {
	seen := false
	for i, rec := range records {
		switch rec.Name {
		case "WatchObserved":
			var o WatchObserved
			if json.Unmarshal(rec.Data, &o) == nil {
				for _, u := range o.Uses {
					seen = seen || u.Contained()
				}
			}
		case "RequestReactivate":
			if rec.Type != RecordEvent {
				continue
			}
			m, _, err := fold(records[:i])
			if err != nil {
				continue
			}
			st := m.State()
			if len(st.Watch.Contained()) > 0 && !st.Watch.Impact() {
				return &DebriefPoint{Title: "Key kept off while only the attacker tried it", Lost: weightKeptOff,
					Detail: "rolled back at " + stamp(rec.Time) + " when only " + attackers(st.Watch.Contained()) + " failed on the dead key: the roll-back handed the key back"}
			}
		}
	}
	if !seen {
		return nil
	}
	return &DebriefPoint{Title: "Key kept off while only the attacker tried it", OK: true, Detail: "the attacker's calls failed on the dead key and the key stayed off"}
}

func attackers(uses []KeyUse) string {
	var ips []string
	for _, u := range uses {
		if !slices.Contains(ips, u.SourceIP) {
			ips = append(ips, u.SourceIP)
		}
	}
	return strings.Join(ips, ", ")
}
