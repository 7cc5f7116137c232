package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
)

func (v *validator) workloads() error {
	// Keys created by steps can be used by other workloads: collect them first.
	if err := v.savedKeys(); err != nil {
		return err
	}
	names := map[string]bool{}
	for wi := range v.sc.Workloads {
		w := &v.sc.Workloads[wi]
		f := fmt.Sprintf("workloads[%d]", wi)
		if w.Name == "" || names[w.Name] {
			return fieldErr(f+".name", "%q must be a unique, non-empty name", w.Name)
		}
		names[w.Name] = true
		if err := v.caller(f, w); err != nil {
			return err
		}
		if err := v.schedule(f, wi, w); err != nil {
			return err
		}
	}
	slices.SortStableFunc(v.out.steps, func(a, b compiledStep) int { return compareDur(a.at, b.at) })
	return nil
}

// savedKeys records the refs steps save the keys they create under.
func (v *validator) savedKeys() error {
	for wi, w := range v.sc.Workloads {
		for si, s := range w.Steps {
			if s.SaveKeyAs == "" {
				continue
			}
			f := fmt.Sprintf("workloads[%d].steps[%d].saveKeyAs", wi, si)
			if !savesKey(s.Service, s.Action) {
				return fieldErr(f, "only an iam CreateAccessKey step or an sts GetSessionToken, GetFederationToken or AssumeRole step creates a key")
			}
			if prev, dup := v.keyRefs[s.SaveKeyAs]; dup {
				return fieldErr(f, "%q is already used by %s", s.SaveKeyAs, prev)
			}
			v.keyRefs[s.SaveKeyAs] = f
		}
	}
	return nil
}

// caller checks who a workload is and where it calls from: its kind, key,
// user agent, instance and address.
func (v *validator) caller(f string, w *Workload) error {
	switch w.Kind {
	case KindEC2, KindLambda, KindECS, KindOnPrem, KindCI, KindAttacker:
	default:
		return fieldErr(f+".kind", "%q is not one of ec2, lambda, ecs, onprem, ci, attacker", w.Kind)
	}
	if w.Kind == KindAttacker && w.Legitimate {
		return fieldErr(f+".legitimate", "an attacker workload cannot be legitimate")
	}
	if _, ok := v.keyRefs[w.Key]; !ok {
		return fieldErr(f+".key", "%q is not the ref of a key of the scenario", w.Key)
	}
	if w.UserAgent == "" {
		return fieldErr(f+".userAgent", "is required: it tells where a call came from")
	}
	if w.Kind == KindEC2 {
		in := v.instances[w.RunsOn]
		if in == nil {
			return fieldErr(f+".runsOn", "%q is not an instance ID of the scenario", w.RunsOn)
		}
		if w.SourceIP == "" && in.PublicIP == "" {
			return fieldErr(f+".sourceIp", "is required: instance %s has no public IP", in.ID)
		}
	}
	if w.SourceIP != "" {
		if _, err := netip.ParseAddr(w.SourceIP); err != nil {
			return fieldErr(f+".sourceIp", "%q is not an IP address", w.SourceIP)
		}
	} else if w.Kind != KindEC2 {
		return fieldErr(f+".sourceIp", "is required")
	}
	return nil
}

// schedule compiles when a workload runs, its periodic calls and its
// steps.
func (v *validator) schedule(f string, wi int, w *Workload) error {
	cw := compiledWorkload{w: w, until: math.MaxInt64}
	var err error
	if cw.from, err = offsetOr(f+".from", w.From, math.MinInt64); err != nil {
		return err
	}
	if cw.until, err = offsetOr(f+".until", w.Until, math.MaxInt64); err != nil {
		return err
	}
	for ci := range w.Calls {
		cc, err := v.call(fmt.Sprintf("%s.calls[%d]", f, ci), &w.Calls[ci])
		if err != nil {
			return err
		}
		cw.calls = append(cw.calls, cc)
	}
	for si := range w.Steps {
		cs, err := v.step(fmt.Sprintf("%s.steps[%d]", f, si), &w.Steps[si])
		if err != nil {
			return err
		}
		cs.workload = wi
		v.out.steps = append(v.out.steps, cs)
	}
	v.out.workloads = append(v.out.workloads, cw)
	return nil
}

func compareDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *validator) operation(field, service, action, region string) error {
	if !reService.MatchString(service) {
		return fieldErr(field+".service", "%q is not a service name like iam or s3", service)
	}
	if !reAction.MatchString(action) {
		return fieldErr(field+".action", "%q is not an API action name", action)
	}
	return v.region(field+".region", region)
}

func (v *validator) call(field string, c *Call) (compiledCall, error) {
	cc := compiledCall{c: c}
	if err := v.operation(field, c.Service, c.Action, c.Region); err != nil {
		return cc, err
	}
	if op, ok := v.services.op(c.Service, c.Action); ok && !op.readOnly {
		return cc, fieldErr(field, "%s:%s changes the account; make it a step", c.Service, c.Action)
	}
	var err error
	if cc.every, err = parseSpan(c.Every); err != nil || cc.every < time.Minute {
		return cc, fieldErr(field+".every", "%q must be a duration of at least 1m", c.Every)
	}
	if cc.offset, err = offsetOr(field+".offset", c.Offset, 0); err != nil || cc.offset < 0 {
		return cc, fieldErr(field+".offset", "%q must be a non-negative duration", c.Offset)
	}
	if cc.jitter, err = offsetOr(field+".jitter", c.Jitter, 0); err != nil || cc.jitter < 0 || cc.jitter >= cc.every {
		return cc, fieldErr(field+".jitter", "%q must be non-negative and shorter than every", c.Jitter)
	}
	cc.readOnly = v.services.readOnly(c.Service, c.Action, c.ReadOnly)
	return cc, nil
}

func (v *validator) step(field string, s *Step) (compiledStep, error) {
	cs := compiledStep{s: s}
	if err := v.operation(field, s.Service, s.Action, s.Region); err != nil {
		return cs, err
	}
	var err error
	if s.At == "" {
		return cs, fieldErr(field+".at", "is required")
	}
	if cs.at, err = offsetOr(field+".at", s.At, 0); err != nil {
		return cs, err
	}
	cs.readOnly = v.services.readOnly(s.Service, s.Action, s.ReadOnly)
	if len(s.RequestParameters) > 0 {
		if _, served := v.services.op(s.Service, s.Action); served {
			return cs, fieldErr(field+".requestParameters", "%s:%s is served by the sim, which writes its parameters: use params", s.Service, s.Action)
		}
		var obj map[string]any
		if json.Unmarshal(s.RequestParameters, &obj) != nil {
			return cs, fieldErr(field+".requestParameters", "must be a JSON object, as CloudTrail writes requestParameters")
		}
	}
	return cs, nil
}

// readOnly classifies an action: as its table says when the sim serves it,
// else the way CloudTrail's readOnly field does for the common verbs,
// unless the scenario says otherwise.
func (c catalog) readOnly(service, action string, override *bool) bool {
	if override != nil {
		return *override
	}
	if op, ok := c.op(service, action); ok {
		return op.readOnly
	}
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Head", "BatchGet", "Search", "Scan", "Query", "Decrypt", "Generate"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}
