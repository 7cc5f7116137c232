package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"time"
)

// workload is a scenario workload's running state.
type workload struct {
	cw    *compiledWorkload
	index int
	keyID string // "" until its key ref exists (a key a step creates)
	// wrongSecret is the scenario's planted wrong secret (Workload.WrongSecret),
	// until the workload is given other credentials.
	wrongSecret bool
	origin      uint32
	health      WorkloadHealth
}

// WorkloadHealth is a workload's CloudWatch-style health signal: healthy
// while its calls succeed, failing from its first failed call on.
type WorkloadHealth struct {
	Workload   string
	Legitimate bool
	Alarm      string
	Healthy    bool
	// LastError is "Code: message" of the latest failure.
	LastError    string
	FailingSince time.Time
	LastSuccess  time.Time
}

func (s *Sim) setUpWorkloads() {
	for i := range s.plan.workloads {
		cw := &s.plan.workloads[i]
		w := &workload{cw: cw, index: i, keyID: s.keyRefs[cw.w.Key], wrongSecret: cw.w.WrongSecret,
			health: WorkloadHealth{Workload: cw.w.Name, Legitimate: cw.w.Legitimate, Alarm: cw.w.Alarm, Healthy: true}}
		ip := cw.w.SourceIP
		if ip == "" && cw.w.Kind == KindEC2 {
			ip = s.acct.instances[cw.w.RunsOn].publicIP
		}
		w.origin = s.trail.origin(origin{ip: ip, userAgent: cw.w.UserAgent})
		s.workloads = append(s.workloads, w)
	}
}

// seedHistory runs the scenario from 90 days before the start (and any step
// older than that, whose effects outlive the trail's retention).
func (s *Sim) seedHistory() {
	from := s.start.Add(-retention)
	if len(s.plan.steps) > 0 {
		if first := s.start.Add(s.plan.steps[0].at); first.Before(from) {
			s.runSteps(first, from)
		}
	}
	s.runRange(from, s.start)
}

// runSteps runs the steps due in [a, b) without periodic calls.
func (s *Sim) runSteps(a, b time.Time) {
	for s.nextStep < len(s.plan.steps) {
		cs := &s.plan.steps[s.nextStep]
		at := s.start.Add(cs.at)
		if !at.Before(b) {
			return
		}
		s.nextStep++
		if !at.Before(a) {
			s.runStep(cs, at)
		}
	}
}

// runRange runs every workload over [a, b): periodic calls in segments
// between steps, since only steps (and HTTP calls, which happen between
// Advances) change what a periodic call's outcome is.
func (s *Sim) runRange(a, b time.Time) {
	for s.nextStep < len(s.plan.steps) {
		cs := &s.plan.steps[s.nextStep]
		at := s.start.Add(cs.at)
		if !at.Before(b) {
			break
		}
		if at.After(a) {
			s.runPeriodic(a, at)
			a = at
		}
		s.nextStep++
		s.runStep(cs, at)
	}
	s.runPeriodic(a, b)
}

// outcome is what every occurrence of one periodic call in a segment does.
type outcome struct {
	record bool // false when the key is unknown: CloudTrail cannot attribute it
	actor  uint32
	fail   uint32
	err    *apiError
}

// authenticate resolves a workload's key the way a request's key is
// resolved: unknown keys are not recorded, inactive keys are, with the
// authentication error.
func (s *Sim) callerOf(keyID, service string) (*accessKey, *principal, *apiError, bool) {
	k := s.acct.keys[keyID]
	if k == nil {
		return nil, nil, errAuth(service), false
	}
	p := s.acct.principalOf(k)
	if k.status != statusActive {
		return k, p, errAuth(service), true
	}
	return k, p, nil, true
}

func (s *Sim) periodicOutcome(w *workload, cc *compiledCall) outcome {
	k, p, e, known := s.workloadCaller(w, cc.c.Service)
	if !known {
		return outcome{err: e}
	}
	out := outcome{record: true, actor: s.actorFor(p, k.id)}
	if e == nil {
		o, ok := s.services.op(cc.c.Service, cc.c.Action)
		if !ok {
			o = op{readOnly: cc.readOnly, resource: staticResource(cc.c.Resource)}
		}
		e = s.authorize(&call{service: cc.c.Service, action: cc.c.Action, who: p, key: k}, o)
	}
	if e != nil {
		out.err = e
		out.fail = s.trail.failure(failure{code: e.recorded(), message: e.message})
	}
	return out
}

func staticResource(arn string) func(*Sim, *call) string {
	if arn == "" {
		return nil
	}
	return func(*Sim, *call) string { return arn }
}

// runPeriodic generates the periodic calls of every workload in [a, b).
func (s *Sim) runPeriodic(a, b time.Time) {
	if !a.Before(b) {
		return
	}
	batch := slices.Grow(s.batch[:0], s.expected(a, b))
	for _, w := range s.workloads {
		if w.keyID == "" {
			w.keyID = s.keyRefs[w.cw.w.Key]
			if w.keyID == "" {
				continue
			}
		}
		lo, hi := s.window(w, a, b)
		if !lo.Before(hi) {
			continue
		}
		var firstFail, lastOK time.Time
		var lastErr *apiError
		for ci := range w.cw.calls {
			cc := &w.cw.calls[ci]
			oc := s.periodicOutcome(w, cc)
			var kind uint32
			if oc.record {
				kind = s.periodicKind(w, ci, cc)
			}
			first, last := time.Time{}, time.Time{}
			s.occurrences(w, ci, cc, lo, hi, func(t time.Time) {
				if first.IsZero() {
					first = t
				}
				last = t
				if oc.record {
					batch = append(batch, event{at: t.UnixMilli(), kind: kind, actor: oc.actor, origin: w.origin, fail: oc.fail})
				}
			})
			if first.IsZero() {
				continue
			}
			if oc.record {
				// Authenticated calls count as use, denied ones included.
				s.touchKey(&call{key: s.acct.keys[w.keyID], at: last, service: cc.c.Service, action: cc.c.Action, region: cc.c.Region})
			}
			if oc.err != nil {
				if firstFail.IsZero() || first.Before(firstFail) {
					firstFail, lastErr = first, oc.err
				}
			} else if last.After(lastOK) {
				lastOK = last
			}
		}
		w.note(lastOK, firstFail, lastErr)
	}
	slices.SortStableFunc(batch, func(x, y event) int { return compareInt64(x.at, y.at) })
	s.trail.events = slices.Grow(s.trail.events, len(batch))
	s.trail.add(batch...)
	s.batch = batch[:0]
}

// expected is an upper estimate of the periodic calls in [a, b), to size
// the batch once instead of growing it by doubling.
func (s *Sim) expected(a, b time.Time) int {
	n := 0
	for _, w := range s.workloads {
		for _, cc := range w.cw.calls {
			n += int(b.Sub(a)/cc.every) + 1
		}
	}
	return n
}

// note folds a segment's results into the health signal.
func (w *workload) note(lastOK, firstFail time.Time, e *apiError) {
	h := &w.health
	if !lastOK.IsZero() && lastOK.After(h.LastSuccess) {
		h.LastSuccess = lastOK
	}
	switch {
	case e != nil:
		if h.Healthy {
			h.Healthy, h.FailingSince = false, firstFail
		}
		h.LastError = e.code + ": " + e.message
	case !lastOK.IsZero():
		h.Healthy, h.FailingSince, h.LastError = true, time.Time{}, ""
	}
}

// window clips [a, b) to the workload's active span.
func (s *Sim) window(w *workload, a, b time.Time) (time.Time, time.Time) {
	if w.cw.from != math.MinInt64 {
		if f := s.start.Add(w.cw.from); f.After(a) {
			a = f
		}
	}
	if w.cw.until != math.MaxInt64 {
		if u := s.start.Add(w.cw.until); u.Before(b) {
			b = u
		}
	}
	return a, b
}

// occurrences calls emit for each scheduled time of a periodic call in
// [lo, hi). The schedule is anchored at a fixed point and jittered by a
// stateless hash of the seed and occurrence number, so advancing by 2h at
// once or by 1h twice gives the same events.
func (s *Sim) occurrences(w *workload, ci int, cc *compiledCall, lo, hi time.Time, emit func(time.Time)) {
	anchor := s.start.Add(-retention - 24*time.Hour)
	if w.cw.from != math.MinInt64 && s.start.Add(w.cw.from).After(anchor) {
		anchor = s.start.Add(w.cw.from)
	}
	anchor = anchor.Add(cc.offset)
	k := int64(0)
	if d := lo.Sub(anchor) - cc.jitter; d > 0 {
		k = int64(d / cc.every)
	}
	salt := s.seed ^ uint64(w.index)<<40 ^ uint64(ci)<<32
	for ; ; k++ {
		t := anchor.Add(time.Duration(k) * cc.every)
		if cc.jitter > 0 {
			t = t.Add(time.Duration(mix64(salt^uint64(k)) % uint64(cc.jitter)))
		}
		if !t.Before(hi) {
			return
		}
		if !t.Before(lo) {
			emit(t.Truncate(time.Millisecond))
		}
	}
}

// periodicKind interns the event kind of a periodic call, with its static
// requestParameters.
func (s *Sim) periodicKind(w *workload, ci int, cc *compiledCall) uint32 {
	spec := w.index<<16 | ci
	key := kindKey{source: eventSource(cc.c.Service), name: cc.c.Action,
		region: eventRegion(cc.c.Service, cc.c.Action, cc.c.Region), readOnly: cc.readOnly, spec: spec}
	if id, ok := s.trail.kindIDs[key]; ok {
		return id
	}
	var params json.RawMessage
	if len(cc.c.Params) > 0 {
		params, _ = json.Marshal(cc.c.Params)
	}
	var res []eventResource
	if cc.c.Resource != "" {
		res = []eventResource{{Type: "AWS::" + cc.c.Service, Name: cc.c.Resource}}
	}
	return s.trail.kind(key, params, res)
}

// runStep executes a one-off workload call at its time.
func (s *Sim) runStep(cs *compiledStep, at time.Time) {
	w := s.workloads[cs.workload]
	if w.keyID == "" {
		w.keyID = s.keyRefs[w.cw.w.Key]
	}
	st := cs.s
	c := &call{service: st.Service, action: st.Action, region: orDefault(st.Region, "us-east-1"),
		params: url.Values{}, at: at, origin: w.origin, requestID: s.newRequestID()}
	for k, v := range st.Params {
		c.params.Set(k, v)
	}
	k, p, e, known := s.workloadCaller(w, st.Service)
	c.key, c.who = k, p
	o, implemented := s.services.op(st.Service, st.Action)
	if !implemented {
		o = op{readOnly: cs.readOnly, resource: staticResource(st.Resource), fn: opaque}
		if len(st.RequestParameters) > 0 {
			c.reqParams = st.RequestParameters
		}
	}
	switch {
	case !known:
	case e != nil:
		s.record(c, o.readOnly, e)
	default:
		_, e = s.invoke(c, o)
	}
	if e == nil && st.SaveKeyAs != "" && c.createdKey != "" {
		s.keyRefs[st.SaveKeyAs] = c.createdKey
	}
	if e != nil {
		w.note(time.Time{}, at, e)
	} else {
		w.note(at, time.Time{}, nil)
	}
}

// opaque stands for an operation of a service the sim does not serve: the
// call is authorized and recorded, and changes nothing.
func opaque(*Sim, *call) (any, *apiError) { return nil, nil }

// Health reports every workload's health signal, in scenario order.
func (s *Sim) Health() []WorkloadHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WorkloadHealth, len(s.workloads))
	for i, w := range s.workloads {
		out[i] = w.health
	}
	return out
}

// SetWorkloadCredentials makes a workload call with another access key from
// now on (an on-prem server given a new user's key): the hook replacements
// use where no AWS API call would switch the workload.
func (s *Sim) SetWorkloadCredentials(workload, accessKeyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workloadNamed(workload)
	if w == nil {
		return fmt.Errorf("set workload credentials: no workload %q in scenario %s", workload, s.sc.Name)
	}
	if s.acct.keys[accessKeyID] == nil {
		return fmt.Errorf("set workload credentials for %s: access key %s does not exist", workload, accessKeyID)
	}
	w.keyID, w.wrongSecret = accessKeyID, false
	return nil
}

// SetWorkloadRole makes a workload call as an assumed role from now on, with
// a temporary ASIA key, as an EC2 instance profile or a Lambda execution
// role would. The session is named after what the workload runs on.
func (s *Sim) SetWorkloadRole(workload, roleName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workloadNamed(workload)
	if w == nil {
		return fmt.Errorf("set workload role: no workload %q in scenario %s", workload, s.sc.Name)
	}
	r := s.acct.roles[roleName]
	if r == nil {
		return fmt.Errorf("set workload role for %s: role %q does not exist", workload, roleName)
	}
	s.assumeRoleFor(w, r, "")
	return nil
}

func (s *Sim) workloadNamed(name string) *workload {
	for _, w := range s.workloads {
		if w.cw.w.Name == name {
			return w
		}
	}
	return nil
}
