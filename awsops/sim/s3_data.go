package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Data events are calls on S3 objects and Lambda functions that a trail
// records when asked to, and that event history never shows (LookupEvents
// returns management events only). The sim's workloads make them, so a
// responder who reads only event history misses them, as on AWS; they
// exist only in the trail's log files and in what Athena and CloudTrail
// Lake return. They are never stored in the trail: each is a pure function
// of the seed and its schedule, rendered when a file or a query asks.

// DataEvent is a schedule of data events in the scenario: a workload's
// calls (its key, address and user agent sign them) or, for a caller no
// workload describes (an attacker who only reads data), a key's calls from
// SourceIP with UserAgent.
type DataEvent struct {
	Workload  string `json:"workload,omitempty"`
	Key       string `json:"key,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	// Action is GetObject or PutObject on Bucket's Object (%d in Object
	// takes the occurrence number), or Invoke of Function.
	Action   string `json:"action"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket,omitempty"`
	Object   string `json:"object,omitempty"`
	Function string `json:"function,omitempty"`
	// Every is the period, shifted by Offset; From and Until (offsets from
	// the start) bound it. Count > 0 makes a burst of Count calls Every
	// apart from From instead.
	Every  string `json:"every"`
	Offset string `json:"offset,omitempty"`
	From   string `json:"from,omitempty"`
	Until  string `json:"until,omitempty"`
	Count  int    `json:"count,omitempty"`
}

// dataCall is a DataEvent compiled: its times parsed.
type dataCall struct {
	Workload                   string
	KeyRef, IP, Agent          string
	Action                     string
	Region                     string
	Bucket, Object             string
	Function                   string
	Every, Offset, From, Until time.Duration
	Count                      int
}

// dataEvents validates and compiles the scenario's data events.
func (v *validator) dataEvents() error {
	workloads := map[string]bool{}
	for _, w := range v.sc.Workloads {
		workloads[w.Name] = true
	}
	for i, d := range v.sc.DataEvents {
		f := fmt.Sprintf("dataEvents[%d]", i)
		dc := dataCall{Workload: d.Workload, KeyRef: d.Key, IP: d.SourceIP, Agent: d.UserAgent, Action: d.Action,
			Region: d.Region, Bucket: d.Bucket, Object: d.Object, Function: d.Function, Count: d.Count}
		switch {
		case d.Workload != "" && !workloads[d.Workload]:
			return fieldErr(f+".workload", "%q is not a workload of the scenario", d.Workload)
		case d.Workload == "" && (v.keyRefs[d.Key] == "" || d.SourceIP == "" || d.UserAgent == ""):
			return fieldErr(f, "names a workload, or a known key with sourceIp and userAgent")
		case (d.Action == "GetObject" || d.Action == "PutObject") && (d.Bucket == "" || d.Object == ""):
			return fieldErr(f, "%s needs a bucket and an object", d.Action)
		case d.Action == "Invoke" && d.Function == "":
			return fieldErr(f+".function", "Invoke needs a function")
		case d.Action != "GetObject" && d.Action != "PutObject" && d.Action != "Invoke":
			return fieldErr(f+".action", "%q is not GetObject, PutObject or Invoke", d.Action)
		case d.Count < 0:
			return fieldErr(f+".count", "%d must not be negative", d.Count)
		}
		if err := v.region(f+".region", d.Region); err != nil {
			return err
		}
		var err error
		if dc.Every, err = parseSpan(d.Every); err != nil || dc.Every <= 0 {
			return fieldErr(f+".every", "%q must be a positive duration", d.Every)
		}
		for _, t := range []struct {
			field, s string
			to       *time.Duration
		}{{"offset", d.Offset, &dc.Offset}, {"from", d.From, &dc.From}, {"until", d.Until, &dc.Until}} {
			if *t.to, err = offsetOr(f+"."+t.field, t.s, 0); err != nil {
				return err
			}
		}
		v.out.dataCalls = append(v.out.dataCalls, dc)
	}
	return nil
}

const day = 24 * time.Hour

// dataEvent is one data event, before rendering.
type dataEvent struct {
	at     time.Time
	call   int // index in the scenario's schedule
	n      int // occurrence number
	keyID  string
	ip, ua string
}

// dataCalls are the sim's data-event schedules.
func (s *Sim) dataCalls() []dataCall { return s.plan.dataCalls }

// dataEventsIn returns the data events in [a, b) of region ("" for all),
// signed by keyID ("" for any), oldest first. A call signed with a key
// that does not work at its time is not made: S3 and Lambda refuse it
// before CloudTrail could name the caller. Callers hold s.mu.
func (s *Sim) dataEventsIn(a, b time.Time, region, keyID string) []dataEvent {
	if b.After(s.now) {
		b = s.now
	}
	var out []dataEvent
	for i, dc := range s.dataCalls() {
		if region != "" && dc.Region != region {
			continue
		}
		key, ip, ua := s.dataSigner(dc)
		if key == "" || (keyID != "" && key != keyID) {
			continue
		}
		active := s.keyActiveAt(key)
		s.dataTimes(i, dc, a, b, func(n int, t time.Time) {
			if active(t) {
				out = append(out, dataEvent{at: t, call: i, n: n, keyID: key, ip: ip, ua: ua})
			}
		})
	}
	slices.SortStableFunc(out, func(x, y dataEvent) int { return x.at.Compare(y.at) })
	return out
}

// dataSigner is the key, address and agent a schedule's calls carry.
func (s *Sim) dataSigner(dc dataCall) (key, ip, ua string) {
	if dc.Workload == "" {
		return s.keyRefs[dc.KeyRef], dc.IP, dc.Agent
	}
	w := s.workloadNamed(dc.Workload)
	if w == nil {
		return "", "", ""
	}
	o := s.trail.origins[w.origin]
	return s.keyRefs[w.cw.w.Key], o.ip, o.userAgent
}

// dataTimes calls emit for each occurrence in [a, b), from a stateless
// schedule: the same events whatever the window asked.
func (s *Sim) dataTimes(i int, dc dataCall, a, b time.Time, emit func(n int, t time.Time)) {
	if dc.Count > 0 {
		for n := range dc.Count {
			if t := s.start.Add(dc.From + time.Duration(n)*dc.Every); !t.Before(a) && t.Before(b) {
				emit(n, t)
			}
		}
		return
	}
	lo, hi := s.start.Add(-retention-day), b
	if dc.From != 0 {
		lo = s.start.Add(dc.From)
	}
	if dc.Until != 0 && s.start.Add(dc.Until).Before(hi) {
		hi = s.start.Add(dc.Until)
	}
	anchor := lo.Add(dc.Offset)
	n := 0
	if d := a.Sub(anchor); d > 0 {
		n = int(d / dc.Every)
	}
	for ; ; n++ {
		// A few seconds of jitter, as a real schedule has.
		t := anchor.Add(time.Duration(n)*dc.Every + time.Duration(mix64(s.seed^uint64(i)<<40^uint64(n))%20_000)*time.Millisecond)
		if !t.Before(hi) {
			return
		}
		if !t.Before(a) {
			emit(n, t.Truncate(time.Millisecond))
		}
	}
}

// keyActiveAt tells when a key worked: from its scenario status, changed
// by every successful UpdateAccessKey of it in the trail, until a
// DeleteAccessKey. The key's present state says nothing of its past.
func (s *Sim) keyActiveAt(keyID string) func(time.Time) bool {
	type change struct {
		at     int64
		active bool
	}
	initial := true
	for _, k := range append(append([]Key(nil), s.sc.Root.Keys...), usersKeys(s.sc)...) {
		if s.keyRefs[k.Ref] == keyID && k.Status == statusInactive {
			initial = false
		}
	}
	var changes []change
	for _, name := range []string{"UpdateAccessKey", "DeleteAccessKey"} {
		id, ok := s.trail.strs[name]
		if !ok {
			continue
		}
		for _, pos := range s.trail.listFor(idxKey{idxName, s.trail.strs["us-east-1"], id}) {
			ev := &s.trail.events[pos]
			if ev.fail != 0 || ev.detail == nil {
				continue
			}
			var p struct{ AccessKeyID, Status string }
			if json.Unmarshal(ev.detail.params, &p) != nil || p.AccessKeyID != keyID {
				continue
			}
			changes = append(changes, change{ev.at, name == "UpdateAccessKey" && strings.EqualFold(p.Status, statusActive)})
		}
	}
	slices.SortStableFunc(changes, func(x, y change) int { return compareInt64(x.at, y.at) })
	return func(t time.Time) bool {
		active := initial
		for _, c := range changes {
			if c.at > t.UnixMilli() {
				break
			}
			active = c.active
		}
		return active
	}
}

func usersKeys(sc *Scenario) []Key {
	var out []Key
	for _, u := range sc.Users {
		out = append(out, u.Keys...)
	}
	return out
}

// dataRecord is a data event's CloudTrail record.
type dataRecord struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       recordIdentity  `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	AdditionalData     json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []dataResource  `json:"resources"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
}

type dataResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// renderData builds a data event's record, in the shape CloudTrail gives
// S3 object and Lambda Invoke events. Callers hold s.mu.
func (s *Sim) renderData(d dataEvent) ([]byte, error) {
	dc := s.dataCalls()[d.call]
	k := s.acct.keys[d.keyID]
	if k == nil {
		return nil, fmt.Errorf("data event of key %s, which does not exist", d.keyID)
	}
	a := &s.trail.actors[s.actorFor(s.acct.principalOf(k), d.keyID)]
	acct := s.acct.id
	r := dataRecord{EventVersion: "1.10", UserIdentity: identityOf(a), EventTime: d.at.UTC().Format(isoSecond),
		EventName: dc.Action, AWSRegion: dc.Region, SourceIPAddress: d.ip, UserAgent: d.ua,
		ResponseElements: json.RawMessage("null"), EventType: "AwsApiCall", RecipientAccountID: acct, EventCategory: "Data",
		RequestID: strings.ToUpper(fmt.Sprintf("%016x", mix64(s.seed^0xda7a^uint64(d.call)<<32^uint64(d.n)))),
		EventID:   uuidFrom(mix64(s.seed^0xda7a0001^uint64(d.call)<<40^uint64(d.n)), mix64(uint64(d.n)<<8^uint64(d.call)^s.seed))}
	switch dc.Action {
	case "Invoke":
		fn := "arn:aws:lambda:" + dc.Region + ":" + acct + ":function:" + dc.Function
		r.EventSource = "lambda.amazonaws.com"
		r.RequestParameters = mustJSON(map[string]string{"functionName": fn, "invocationType": "RequestResponse"})
		r.Resources = []dataResource{{AccountID: acct, Type: "AWS::Lambda::Function", ARN: fn}}
	default:
		object := dc.Object
		if strings.Contains(object, "%") {
			object = fmt.Sprintf(object, d.n)
		}
		r.EventSource, r.ReadOnly = "s3.amazonaws.com", dc.Action == "GetObject"
		r.RequestParameters = mustJSON(map[string]string{"bucketName": dc.Bucket, "key": object,
			"Host": dc.Bucket + ".s3." + dc.Region + ".amazonaws.com"})
		r.AdditionalData = json.RawMessage(`{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","AuthenticationMethod":"AuthHeader"}`)
		r.Resources = []dataResource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + dc.Bucket + "/" + object},
			{AccountID: acct, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + dc.Bucket}}
	}
	return json.Marshal(r)
}

// identityOf is an actor's userIdentity, as render writes it.
func identityOf(a *actor) recordIdentity {
	id := recordIdentity{Type: a.kind, PrincipalID: a.principalID, ARN: a.arn, AccountID: a.account,
		AccessKeyID: a.keyID, UserName: a.userName, InvokedBy: a.invokedBy}
	if a.issuer != nil {
		sc := &sessionContext{}
		sc.SessionIssuer.Type, sc.SessionIssuer.PrincipalID = "Role", a.issuer.principalID
		sc.SessionIssuer.ARN, sc.SessionIssuer.AccountID, sc.SessionIssuer.UserName = a.issuer.arn, a.account, a.issuer.userName
		sc.Attributes.CreationDate, sc.Attributes.MFAAuthenticated = a.sessionAt.UTC().Format(isoSecond), "false"
		id.SessionContext = sc
	}
	return id
}
