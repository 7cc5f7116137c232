package main

import "context"

// The model responder's reading of the watch, for the scripted drills of
// scenarios_test.go.

// judgeWatch is the model responder reading the watch before each poll:
// every use of the key the watch names must be the attacker failing on
// the dead key (containment working: the responder keeps the key off and
// lets the window run) and the ground truth must agree it is the
// attacker. Any other use ends the drill: something legitimate still
// holds the key.
func (d *drill) judgeWatch(context.Context) {
	d.t.Helper()
	st := d.state()
	for _, u := range st.Watch.Uses {
		if !u.Contained() {
			d.t.Fatalf("the key was used during the watch by %s: %s (%s)", u.Who(), u.What(), u.Advice())
		}
		if !d.attackerAt(u.SourceIP) {
			d.t.Fatalf("the watch calls %s the attacker, but the scenario's attacker does not call from there", u.Who())
		}
		d.contained++
	}
}

// attackerAt reports whether the scenario's attacker calls from ip.
func (d *drill) attackerAt(ip string) bool {
	for _, w := range d.sc.Workloads {
		if !w.Legitimate && w.SourceIP == ip {
			return true
		}
	}
	return false
}
