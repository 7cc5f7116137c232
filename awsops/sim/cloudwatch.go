package sim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch DescribeAlarms: the watch's alarm signal and the hardening
// checklist's billing alarm. The alarms are not stored: each reading
// derives them from the account, so an alarm is in ALARM exactly while the
// workload it reports on fails (WorkloadHealth). CloudWatch speaks
// smithy-rpcv2-cbor to the current SDK (wire_cbor.go), JSON 1.0
// and the query protocol to older clients (wire.go); scenario steps call
// the operation with query-style params.
func cloudWatchAPI() *service {
	return &service{name: "cloudwatch", wires: []string{wireCBOR, wireJSON10, wireQuery},
		signingName: "monitoring", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
		targets: []string{"GraniteServiceVersion20100801"}, rpcShape: "GraniteServiceVersion20100801",
		queryCompatible: true, ops: map[string]op{
			"DescribeAlarms": {fn: opDescribeAlarms, readOnly: true},
		}}
}

// BillingAlarm is an alarm on AWS/Billing EstimatedCharges, which exists
// only in us-east-1, as AWS publishes billing metrics only there.
type BillingAlarm struct {
	Name string `json:"name"`
	// Threshold is the estimated charge in USD that sets it off.
	Threshold float64 `json:"threshold"`
	// State is OK (default), ALARM or INSUFFICIENT_DATA.
	State string `json:"state,omitempty"`
}

// Alarm states, as DescribeAlarms names them.
const (
	alarmOK           = "OK"
	alarmALARM        = "ALARM"
	alarmInsufficient = "INSUFFICIENT_DATA"
)

// Limits of DescribeAlarms (CloudWatch API reference).
const (
	maxAlarmRecords     = 100
	defaultAlarmRecords = 50
	maxAlarmNames       = 100
	maxAlarmNameLen     = 255
)

func validAlarmState(s string) bool {
	return s == alarmOK || s == alarmALARM || s == alarmInsufficient
}

// billingAlarm validates the scenario's billing alarm.
func (v *validator) billingAlarm() error {
	b := v.sc.BillingAlarm
	if b == nil {
		return nil
	}
	switch {
	case strings.TrimSpace(b.Name) == "" || len(b.Name) > maxAlarmNameLen:
		return fieldErr("billingAlarm.name", "%q must be 1 to %d characters", b.Name, maxAlarmNameLen)
	case b.Threshold <= 0:
		return fieldErr("billingAlarm.threshold", "%v must be a positive amount in USD", b.Threshold)
	case b.State != "" && !validAlarmState(b.State):
		return fieldErr("billingAlarm.state", "%q is none of OK, ALARM, INSUFFICIENT_DATA", b.State)
	case !v.enabled["us-east-1"]:
		return fieldErr("billingAlarm", "billing metrics exist only in us-east-1, which the scenario does not enable")
	}
	for _, w := range v.sc.Workloads {
		if w.Alarm == b.Name {
			return fieldErr("billingAlarm.name", "%q is also workload %s's alarm", b.Name, w.Name)
		}
	}
	return nil
}

// metricAlarm is one alarm as DescribeAlarms reports it.
type metricAlarm struct {
	name, region, state, reason string
	namespace, metric           string
	dimension                   [2]string // name, value
	threshold                   float64
	updated                     time.Time
}

// alarmsIn derives the alarms of a region, sorted by name as CloudWatch
// lists them. Workloads sharing an alarm name in a region share one alarm,
// in ALARM while any of them fails.
func (s *Sim) alarmsIn(region string) []metricAlarm {
	byName := map[string]*metricAlarm{}
	var names []string
	for _, w := range s.workloads {
		name := w.cw.w.Alarm
		if name == "" || s.alarmRegion(w) != region {
			continue
		}
		a := byName[name]
		if a == nil {
			a = &metricAlarm{name: name, region: region, state: alarmOK, namespace: "Workloads", metric: "Errors",
				dimension: [2]string{"Workload", w.cw.w.Name}, threshold: 1,
				// A healthy workload's alarm has been OK since the history began:
				// the sim keeps no record of when a failing one recovered.
				updated: s.start.Add(-retention),
				reason:  "Threshold Crossed: no datapoint was greater than or equal to the threshold (1.0)."}
			byName[name] = a
			names = append(names, name)
		}
		h := w.health
		if h.Healthy || (a.state == alarmALARM && !h.FailingSince.Before(a.updated)) {
			continue
		}
		code, _, _ := strings.Cut(h.LastError, ":")
		a.state, a.updated = alarmALARM, h.FailingSince
		a.reason = fmt.Sprintf("Threshold Crossed: workload %s's calls fail since %s (%s): 1 datapoint was greater than or equal to the threshold (1.0).",
			w.cw.w.Name, h.FailingSince.UTC().Format(time.RFC3339), code)
	}
	out := make([]metricAlarm, 0, len(names)+1)
	for _, n := range names {
		out = append(out, *byName[n])
	}
	if b := s.sc.BillingAlarm; b != nil && region == "us-east-1" {
		a := metricAlarm{name: b.Name, region: region, state: orDefault(b.State, alarmOK), namespace: "AWS/Billing",
			metric: "EstimatedCharges", dimension: [2]string{"Currency", "USD"}, threshold: b.Threshold,
			updated: s.start.Add(-retention)}
		a.reason = fmt.Sprintf("Threshold Crossed: the estimated charges were below the threshold (%.2f).", b.Threshold)
		if a.state == alarmALARM {
			a.updated = s.start.Add(-time.Hour)
			a.reason = fmt.Sprintf("Threshold Crossed: the estimated charges were greater than the threshold (%.2f).", b.Threshold)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y metricAlarm) int { return strings.Compare(x.name, y.name) })
	return out
}

// alarmRegion is where a workload's alarm lives: the region it runs in
// (its instance's or function's), else the region of its first call.
func (s *Sim) alarmRegion(w *workload) string {
	wl := w.cw.w
	switch wl.Kind {
	case KindEC2:
		if in := s.acct.instances[wl.RunsOn]; in != nil {
			return in.region
		}
	case KindLambda:
		for _, f := range s.acct.functions {
			if f.name == wl.RunsOn {
				return f.region
			}
		}
	}
	for _, c := range wl.Calls {
		return orDefault(c.Region, "us-east-1")
	}
	for _, st := range wl.Steps {
		return orDefault(st.Region, "us-east-1")
	}
	return "us-east-1"
}

// alarmQuery is a DescribeAlarms request's filter and page.
type alarmQuery struct {
	prefix, state, next, action string
	names, types                []string
	relatives                   bool // ChildrenOfAlarmName or ParentsOfAlarmName
	max                         int
}

// alarmQueryOf reads the request from its CBOR or JSON body, or from its
// query params (AlarmNames.member.N), which scenario steps use too.
func alarmQueryOf(c *call) (alarmQuery, *apiError) {
	q := alarmQuery{max: defaultAlarmRecords}
	in, e := inputOf(c)
	if e != nil {
		return q, e
	}
	q.prefix, q.state, q.next = in.str("AlarmNamePrefix"), in.str("StateValue"), in.str("NextToken")
	q.action, q.names, q.types = in.str("ActionPrefix"), in.strs("AlarmNames"), in.strs("AlarmTypes")
	q.relatives = in.str("ChildrenOfAlarmName") != "" || in.str("ParentsOfAlarmName") != ""
	if n, ok, e := in.int("MaxRecords"); e != nil {
		return q, e
	} else if ok {
		if n < 1 || n > maxAlarmRecords {
			return q, errInvalid(c.service, fmt.Sprintf("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", n, maxAlarmRecords))
		}
		q.max = int(n)
	}
	switch {
	case q.state != "" && !validAlarmState(q.state):
		return q, errInvalid(c.service, fmt.Sprintf("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", q.state))
	case len(q.names) > maxAlarmNames:
		return q, errInvalid(c.service, fmt.Sprintf("1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to %d", maxAlarmNames))
	case len(q.names) > 0 && q.prefix != "":
		return q, &apiError{code: "InvalidParameterCombination", status: http.StatusBadRequest,
			message: "AlarmNames and AlarmNamePrefix cannot be used together."}
	}
	for _, t := range q.types {
		if t != "MetricAlarm" && t != "CompositeAlarm" {
			return q, errInvalid(c.service, fmt.Sprintf("1 validation error detected: Value '%s' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]", t))
		}
	}
	return q, nil
}

// matches reports whether an alarm passes the query's filters. The sim's
// alarms have no actions and no composite parents.
func (q alarmQuery) matches(a metricAlarm) bool {
	switch {
	case q.relatives, q.action != "":
		return false
	case len(q.types) > 0 && !slices.Contains(q.types, "MetricAlarm"):
		return false // AlarmTypes absent means metric alarms only
	case len(q.names) > 0 && !slices.Contains(q.names, a.name):
		return false
	case q.prefix != "" && !strings.HasPrefix(a.name, q.prefix):
		return false
	}
	return q.state == "" || q.state == a.state
}

// opDescribeAlarms lists the call's region's alarms that match, a page of
// at most MaxRecords. NextToken is the offset into the filtered list.
func opDescribeAlarms(s *Sim, c *call) (any, *apiError) {
	q, e := alarmQueryOf(c)
	if e != nil {
		return nil, e
	}
	c.reqParams = q.trailParams()
	var matched []metricAlarm
	for _, a := range s.alarmsIn(c.region) {
		if q.matches(a) {
			matched = append(matched, a)
		}
	}
	from := 0
	if q.next != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.next)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "alarms:"))
		if err != nil || perr != nil || !strings.HasPrefix(string(raw), "alarms:") || n < 0 || n > len(matched) {
			return nil, &apiError{code: "InvalidNextToken", status: http.StatusBadRequest, message: "The service returned an invalid token."}
		}
		from = n
	}
	to := min(from+q.max, len(matched))
	page := cbor.List{}
	for _, a := range matched[from:to] {
		page = append(page, a.cbor(s.acct.id))
	}
	out := cbor.Map{"MetricAlarms": page, "CompositeAlarms": cbor.List{}}
	if to < len(matched) {
		out["NextToken"] = cbor.String(base64.RawURLEncoding.EncodeToString([]byte("alarms:" + strconv.Itoa(to))))
	}
	return out, nil
}

// trailParams is the request as CloudTrail records it: the parameters
// given, by their lower camel-case names.
func (q alarmQuery) trailParams() map[string]any {
	p := map[string]any{}
	for k, v := range map[string]string{"alarmNamePrefix": q.prefix, "stateValue": q.state, "actionPrefix": q.action, "nextToken": q.next} {
		if v != "" {
			p[k] = v
		}
	}
	if len(q.names) > 0 {
		p["alarmNames"] = q.names
	}
	if len(q.types) > 0 {
		p["alarmTypes"] = q.types
	}
	if q.max != defaultAlarmRecords {
		p["maxRecords"] = q.max
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// cbor encodes an alarm as a MetricAlarm structure.
func (a metricAlarm) cbor(account string) cbor.Map {
	ts := func(t time.Time) cbor.Value {
		return cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
	}
	return cbor.Map{
		"AlarmName":                          cbor.String(a.name),
		"AlarmArn":                           cbor.String("arn:aws:cloudwatch:" + a.region + ":" + account + ":alarm:" + a.name),
		"AlarmConfigurationUpdatedTimestamp": ts(a.updated),
		"ActionsEnabled":                     cbor.Bool(true),
		"StateValue":                         cbor.String(a.state),
		"StateReason":                        cbor.String(a.reason),
		"StateUpdatedTimestamp":              ts(a.updated),
		"StateTransitionedTimestamp":         ts(a.updated),
		"MetricName":                         cbor.String(a.metric),
		"Namespace":                          cbor.String(a.namespace),
		"Dimensions":                         cbor.List{cbor.Map{"Name": cbor.String(a.dimension[0]), "Value": cbor.String(a.dimension[1])}},
		"Statistic":                          cbor.String("Maximum"),
		"Period":                             cbor.Uint(300),
		"EvaluationPeriods":                  cbor.Uint(1),
		"Threshold":                          cbor.Float64(a.threshold),
		"ComparisonOperator":                 cbor.String("GreaterThanOrEqualToThreshold"),
		"TreatMissingData":                   cbor.String("missing"),
	}
}
