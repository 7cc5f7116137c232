package sim

import (
	"encoding/json"
	"strings"
	"time"
)

// retention is how far back CloudTrail event history reaches (LookupEvents
// covers the last 90 days).
const retention = 90 * 24 * time.Hour

// lookupQuery is one LookupEvents page request, validated.
type lookupQuery struct {
	region     string
	attr, val  string // attr empty: no lookup attribute
	start, end int64  // Unix ms, inclusive
	max        int
	from       int // exclusive upper bound in the candidate list; -1: newest
}

// lookup returns up to q.max events, newest first, and the position to
// resume from (-1 when there are no more).
func (t *trail) lookup(q lookupQuery, now time.Time) ([]uint32, int) {
	regionID, ok := t.strs[q.region]
	if !ok {
		return nil, -1
	}
	cut := now.Add(-retention).UnixMilli()
	if q.start < cut {
		q.start = cut
	}
	var list []uint32
	match := func(uint32) bool { return true }
	switch q.attr {
	case "", "EventSource", "ReadOnly", "ResourceName", "ResourceType":
		list = t.listFor(idxKey{idxRegion, regionID, 0})
		if q.attr != "" {
			match = t.matcher(q.attr, q.val)
		}
	case "AccessKeyId", "Username", "EventName":
		attr := map[string]uint8{"AccessKeyId": idxAccessKey, "Username": idxUser, "EventName": idxName}[q.attr]
		if v, ok := t.strs[q.val]; ok && q.val != "" {
			list = t.listFor(idxKey{attr, regionID, v})
		}
	case "EventId":
		if pos, ok := t.eventPos(q.val); ok && t.kinds[t.events[pos].kind].regionID == regionID {
			list = []uint32{pos}
		}
	}
	hi := t.searchAfter(list, q.end)
	if q.from >= 0 && q.from < hi {
		hi = q.from
	}
	var out []uint32
	for j := hi - 1; j >= 0; j-- {
		pos := list[j]
		if t.events[pos].at < q.start {
			break
		}
		if !match(pos) {
			continue
		}
		if len(out) == q.max {
			return out, j + 1
		}
		out = append(out, pos)
	}
	return out, -1
}

func (t *trail) listFor(k idxKey) []uint32 {
	if i, ok := t.listOf[k]; ok {
		return t.lists[i]
	}
	return nil
}

// matcher filters by the attributes that have no index of their own.
func (t *trail) matcher(attr, val string) func(uint32) bool {
	resources := func(pos uint32) []eventResource {
		if d := t.events[pos].detail; d != nil && d.resources != nil {
			return d.resources
		}
		return t.kinds[t.events[pos].kind].resources
	}
	switch attr {
	case "EventSource":
		return func(pos uint32) bool { return t.kinds[t.events[pos].kind].source == val }
	case "ReadOnly":
		want := strings.EqualFold(val, "true")
		return func(pos uint32) bool { return t.kinds[t.events[pos].kind].readOnly == want }
	case "ResourceName":
		return func(pos uint32) bool {
			for _, r := range resources(pos) {
				if r.Name == val {
					return true
				}
			}
			return false
		}
	default: // ResourceType
		return func(pos uint32) bool {
			for _, r := range resources(pos) {
				if r.Type == val {
					return true
				}
			}
			return false
		}
	}
}

// record is a CloudTrail event record, fields in CloudTrail's order.
type record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       recordIdentity  `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
}

type recordIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	// SessionIssuer is {} for a GetSessionToken session, as CloudTrail writes it.
	SessionIssuer struct {
		Type        string `json:"type,omitempty"`
		PrincipalID string `json:"principalId,omitempty"`
		ARN         string `json:"arn,omitempty"`
		AccountID   string `json:"accountId,omitempty"`
		UserName    string `json:"userName,omitempty"`
	} `json:"sessionIssuer"`
	Attributes struct {
		CreationDate     string `json:"creationDate"`
		MFAAuthenticated string `json:"mfaAuthenticated"`
	} `json:"attributes"`
}

const isoSecond = "2006-01-02T15:04:05Z"

// render builds the CloudTrail record of the event at pos.
func (t *trail) render(pos uint32, account string) ([]byte, error) {
	ev := &t.events[pos]
	k, a, o := &t.kinds[ev.kind], &t.actors[ev.actor], &t.origins[ev.origin]
	f := t.fails[ev.fail]
	r := record{
		EventVersion: "1.09",
		UserIdentity: recordIdentity{Type: a.kind, PrincipalID: a.principalID, ARN: a.arn,
			AccountID: a.account, AccessKeyID: a.keyID, UserName: a.userName, InvokedBy: a.invokedBy},
		EventTime:          time.UnixMilli(ev.at).UTC().Format(isoSecond),
		EventSource:        k.source,
		EventName:          k.name,
		AWSRegion:          k.region,
		SourceIPAddress:    o.ip,
		UserAgent:          o.userAgent,
		ErrorCode:          f.code,
		ErrorMessage:       f.message,
		RequestParameters:  k.params,
		RequestID:          t.requestID(pos),
		EventID:            t.eventID(pos),
		ReadOnly:           k.readOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      "Management",
	}
	if a.issuer != nil {
		sc := &sessionContext{}
		if a.issuer.arn != "" {
			sc.SessionIssuer.Type = orDefault(a.issuer.kind, "Role")
			sc.SessionIssuer.PrincipalID = a.issuer.principalID
			sc.SessionIssuer.ARN = a.issuer.arn
			sc.SessionIssuer.AccountID = a.account
			sc.SessionIssuer.UserName = a.issuer.userName
		}
		sc.Attributes.CreationDate = a.sessionAt.UTC().Format(isoSecond)
		sc.Attributes.MFAAuthenticated = "false"
		r.UserIdentity.SessionContext = sc
	}
	if a.kind == "AWSService" {
		r.EventType = "AwsServiceEvent"
		if k.name == "AssumeRole" {
			r.EventType = "AwsApiCall"
		}
	}
	if d := ev.detail; d != nil {
		r.RequestParameters, r.ResponseElements = d.params, d.response
	}
	if len(r.RequestParameters) == 0 {
		r.RequestParameters = json.RawMessage("null")
	}
	if len(r.ResponseElements) == 0 {
		r.ResponseElements = json.RawMessage("null")
	}
	return json.Marshal(r)
}
