package sim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The fault layer stands in front of the account and breaks requests the
// way a real network and a busy AWS do: throttling, server errors,
// connections reset mid-request and slow replies, by operation. It proves
// that keyrunbook retries what AWS documents as retryable and that a
// failure that outlasts the retries is shown as a gap, never as "nothing
// found". It sees requests before the account does: a faulted request
// changes nothing in the account.

// FaultKind is how a request is broken.
type FaultKind string

// The faults the layer injects.
const (
	// FaultThrottle answers the service's throttling error (HTTP 400
	// Throttling / ThrottlingException / RequestLimitExceeded).
	FaultThrottle FaultKind = "throttle"
	// Fault5xx answers HTTP 503 ServiceUnavailable.
	Fault5xx FaultKind = "5xx"
	// FaultReset closes the connection without a reply.
	FaultReset FaultKind = "reset"
	// FaultLatency delays the request by Fault.Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultDeny answers AccessDenied, as an SCP or a quarantine policy
	// would: not retryable.
	FaultDeny FaultKind = "deny"
)

// Fault is one rule: which requests it breaks and how.
type Fault struct {
	// Operation is the API operation ("LookupEvents", "CreateAccessKey");
	// "*" matches every request.
	Operation string
	Kind      FaultKind
	// Every breaks one matching request in Every (1 or 0: each one).
	Every int
	// Times stops the rule after that many faults; 0 never stops.
	Times int
	// Latency is FaultLatency's delay.
	Latency time.Duration
	// Match, when set, limits the rule to requests whose body or
	// Authorization header contains it: a key ID, or "/eu-west-1/" for
	// the requests signed for a region.
	Match string
}

// Faulty wraps h with the fault rules. Rules are checked in order; the
// first that fires decides. It is safe for concurrent use.
func Faulty(h http.Handler, faults ...Fault) http.Handler {
	if len(faults) == 0 {
		return h
	}
	return &faulty{next: h, rules: faults, seen: make([]int, len(faults)), fired: make([]int, len(faults)),
		services: newCatalog()}
}

type faulty struct {
	next     http.Handler
	services catalog // to name a request's service as the sim does
	rules    []Fault
	mu       sync.Mutex
	seen     []int // matching requests per rule
	fired    []int // faults injected per rule
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := operationOf(r, body)
	rule, ok := f.fire(op, append(body, r.Header.Get("Authorization")...))
	if !ok {
		f.next.ServeHTTP(w, r)
		return
	}
	switch rule.Kind {
	case FaultLatency:
		select {
		case <-time.After(rule.Latency):
		case <-r.Context().Done():
			return
		}
		f.next.ServeHTTP(w, r)
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection where hijacking is impossible
	case Fault5xx:
		f.writeFault(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable (injected fault)")
	case FaultDeny:
		code := "AccessDenied"
		if r.Header.Get("X-Amz-Target") != "" {
			code = "AccessDeniedException"
		}
		f.writeFault(w, r, http.StatusForbidden, code, fmt.Sprintf("User is not authorized to perform: %s:%s with an explicit deny in a service control policy (injected fault)", f.service(r), op))
	default:
		code := "Throttling"
		switch f.service(r) {
		case "ec2":
			code = "RequestLimitExceeded"
		case "cloudtrail", "athena", "ecs", "lambda", "monitoring", "guardduty":
			code = "ThrottlingException"
		}
		f.writeFault(w, r, http.StatusBadRequest, code, "Rate exceeded (injected fault)")
	}
}

// fire reports the rule that breaks this request, if one does.
func (f *faulty) fire(op string, body []byte) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, rule := range f.rules {
		if rule.Operation != "*" && rule.Operation != op {
			continue
		}
		if rule.Match != "" && !bytes.Contains(body, []byte(rule.Match)) {
			continue
		}
		if rule.Times > 0 && f.fired[i] >= rule.Times {
			continue
		}
		f.seen[i]++
		if every := max(rule.Every, 1); f.seen[i]%every != 0 {
			continue
		}
		f.fired[i]++
		return rule, true
	}
	return Fault{}, false
}

// operationOf names the request's operation: the JSON protocols' target,
// the query protocols' Action, else the REST path's first segment.
func operationOf(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	if q, err := url.ParseQuery(string(body)); err == nil && q.Get("Action") != "" {
		return q.Get("Action")
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	return strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
}

// service names the service a request is for, as a fault rule names
// it: by its signing scope, else by its shape.
func (f *faulty) service(r *http.Request) string {
	if scope, ok := parseScope(r); ok {
		return f.services.serviceOf(scope.service)
	}
	return f.services.guessService(r)
}

// writeFault answers an error in the shape of the request's protocol, so
// the SDK reads its code (a throttling code is retried as one).
func (f *faulty) writeFault(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
	case f.service(r) == "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fault</RequestID></Response>`, code, msg)
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fault</RequestId></ErrorResponse>`, code, msg)
	}
}

// ParseFaults reads rules written as OPERATION:KIND[:every=N][:times=N]
// [:latency=DURATION][:match=TEXT], separated by commas; `sim serve
// --faults` takes them. Example: "LookupEvents:throttle:every=2,*:reset:times=1".
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		if len(fields) < 2 || fields[0] == "" {
			return nil, fmt.Errorf("fault %q: want OPERATION:KIND", part)
		}
		f := Fault{Operation: fields[0], Kind: FaultKind(fields[1])}
		switch f.Kind {
		case FaultThrottle, Fault5xx, FaultReset, FaultLatency, FaultDeny:
		default:
			return nil, fmt.Errorf("fault %q: kind must be throttle, 5xx, reset, latency or deny", part)
		}
		for _, opt := range fields[2:] {
			k, v, _ := strings.Cut(opt, "=")
			var err error
			switch k {
			case "every":
				f.Every, err = strconv.Atoi(v)
			case "times":
				f.Times, err = strconv.Atoi(v)
			case "latency":
				f.Latency, err = time.ParseDuration(v)
			case "match":
				f.Match = v
			default:
				err = fmt.Errorf("unknown option %q", k)
			}
			if err != nil {
				return nil, fmt.Errorf("fault %q: %v", part, err)
			}
		}
		if f.Every < 0 || f.Times < 0 || f.Latency < 0 {
			return nil, fmt.Errorf("fault %q: every, times and latency must not be negative", part)
		}
		if f.Kind == FaultLatency && f.Latency == 0 {
			return nil, fmt.Errorf("fault %q: latency needs latency=DURATION", part)
		}
		out = append(out, f)
	}
	return out, nil
}
