package sim

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// cloudTrailAPI is CloudTrail (JSON 1.1, CloudTrail_20131101).
func cloudTrailAPI() *service {
	return &service{name: "cloudtrail", wires: []string{wireJSON11},
		targets: []string{"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "CloudTrail_20131101"}, ops: map[string]op{
			"LookupEvents":   {fn: opLookupEvents, readOnly: true},
			"DescribeTrails": {fn: opDescribeTrails, readOnly: true},
			"GetTrailStatus": {fn: opGetTrailStatus, readOnly: true},
			// CloudTrail Lake (cloudtrail_lake.go).
			"StartQuery":      {fn: opStartQuery},
			"DescribeQuery":   {fn: opDescribeQuery, readOnly: true},
			"GetQueryResults": {fn: opGetLakeResults, readOnly: true},
			"CancelQuery":     {fn: opCancelQuery},
		}}
}

func ctErr(code, msg string) *apiError {
	return &apiError{code: code, message: msg, status: http.StatusBadRequest}
}

type lookupInput struct {
	LookupAttributes []struct {
		AttributeKey   *string `json:"AttributeKey"`
		AttributeValue *string `json:"AttributeValue"`
	} `json:"LookupAttributes"`
	StartTime     *float64 `json:"StartTime"`
	EndTime       *float64 `json:"EndTime"`
	EventCategory *string  `json:"EventCategory"`
	MaxResults    *int     `json:"MaxResults"`
	NextToken     *string  `json:"NextToken"`
}

// lookupKeys are LookupEvents' attribute keys (CloudTrail API reference,
// LookupAttribute).
var lookupKeys = []string{"EventId", "EventName", "ReadOnly", "Username", "ResourceType",
	"ResourceName", "EventSource", "AccessKeyId"}

type lookupEventOut struct {
	EventID         string          `json:"EventId"`
	EventName       string          `json:"EventName"`
	ReadOnly        string          `json:"ReadOnly"`
	AccessKeyID     string          `json:"AccessKeyId,omitempty"`
	EventTime       float64         `json:"EventTime"`
	EventSource     string          `json:"EventSource"`
	Username        string          `json:"Username,omitempty"`
	Resources       []eventResource `json:"Resources,omitempty"`
	CloudTrailEvent string          `json:"CloudTrailEvent"`
}

// pageToken resumes a lookup. It carries the first page's end time, so a
// query without EndTime keeps paging the same window while the clock moves.
type pageToken struct {
	Pos  int    `json:"p"`
	End  int64  `json:"e"`
	Hash uint64 `json:"h"`
}

func opLookupEvents(s *Sim, c *call) (any, *apiError) {
	var in lookupInput
	if err := json.Unmarshal(orJSON(c.body), &in); err != nil {
		return nil, ctErr("SerializationException", "The request body could not be read as a LookupEvents request.")
	}
	q, params, e := in.query(c)
	if e != nil {
		return nil, e
	}
	c.reqParams = params
	if in.EventCategory != nil {
		if *in.EventCategory != "insight" {
			return nil, ctErr("InvalidEventCategoryException", "Event category must be insight.")
		}
		return &struct{ Events []lookupEventOut }{Events: []lookupEventOut{}}, nil // no Insights events
	}
	hash := q.hash(in.EndTime != nil)
	if in.NextToken != nil {
		if e := q.resume(*in.NextToken, hash, in.EndTime != nil); e != nil {
			return nil, e
		}
	}
	positions, next := s.trail.lookup(q, c.at)
	out := struct {
		Events    []lookupEventOut `json:"Events"`
		NextToken string           `json:"NextToken,omitempty"`
	}{Events: make([]lookupEventOut, 0, len(positions))}
	for _, pos := range positions {
		ev, err := s.lookupEvent(pos)
		if err != nil {
			return nil, &apiError{code: "InternalFailure", message: "Rendering an event failed.", status: http.StatusInternalServerError}
		}
		out.Events = append(out.Events, ev)
	}
	if next >= 0 {
		raw, _ := json.Marshal(pageToken{Pos: next, End: q.end, Hash: hash})
		out.NextToken = base64.RawURLEncoding.EncodeToString(raw)
	}
	return &out, nil
}

// query validates a LookupEvents request into the trail's query, and the
// requestParameters CloudTrail records of it.
func (in lookupInput) query(c *call) (lookupQuery, map[string]any, *apiError) {
	q := lookupQuery{region: c.region, start: math.MinInt64, end: c.at.UnixMilli(), max: 50, from: -1}
	params := map[string]any{}
	switch len(in.LookupAttributes) {
	case 0:
	case 1:
		a := in.LookupAttributes[0]
		if a.AttributeKey == nil || !slices.Contains(lookupKeys, *a.AttributeKey) {
			return q, nil, ctErr("InvalidLookupAttributesException", "Lookup attribute key must be one of "+strings.Join(lookupKeys, ", ")+".")
		}
		if a.AttributeValue == nil || *a.AttributeValue == "" {
			return q, nil, ctErr("InvalidLookupAttributesException", "Lookup attribute value must not be empty.")
		}
		q.attr, q.val = *a.AttributeKey, *a.AttributeValue
		params["lookupAttributes"] = []map[string]string{{"attributeKey": q.attr, "attributeValue": q.val}}
	default:
		return q, nil, ctErr("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	if in.StartTime != nil {
		q.start = int64(math.Ceil(*in.StartTime * 1000))
		params["startTime"] = *in.StartTime
	}
	if in.EndTime != nil {
		q.end = int64(math.Floor(*in.EndTime * 1000))
		params["endTime"] = *in.EndTime
	}
	if in.StartTime != nil && in.EndTime != nil && q.start > q.end {
		return q, nil, ctErr("InvalidTimeRangeException", "Start time must be before end time.")
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return q, nil, ctErr("InvalidMaxResultsException", "Value for MaxResults must be between 1 and 50.")
		}
		q.max = *in.MaxResults
		params["maxResults"] = q.max
	}
	return q, params, nil
}

// hash identifies a query's window and filter, so a page token is refused
// by another query. Without an EndTime the window ends "now", whatever the
// clock says when the next page is asked for.
func (q lookupQuery) hash(endGiven bool) uint64 {
	end := "now"
	if endGiven {
		end = strconv.FormatInt(q.end, 10)
	}
	h := fnv.New64a()
	h.Write([]byte(q.region + "\x00" + q.attr + "\x00" + q.val + "\x00" + strconv.FormatInt(q.start, 10) + "\x00" + end))
	return h.Sum64()
}

// resume continues q from a page token of the same query.
func (q *lookupQuery) resume(token string, hash uint64, endGiven bool) *apiError {
	var tok pageToken
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || json.Unmarshal(raw, &tok) != nil || tok.Hash != hash || tok.Pos < 0 || endGiven && tok.End != q.end {
		return ctErr("InvalidNextTokenException", "Invalid NextToken: it belongs to another query or is corrupt.")
	}
	q.from, q.end = tok.Pos, tok.End
	return nil
}

func (s *Sim) lookupEvent(pos uint32) (lookupEventOut, error) {
	t := s.trail
	ev := &t.events[pos]
	k, a := &t.kinds[ev.kind], &t.actors[ev.actor]
	raw, err := t.render(pos, s.acct.id)
	if err != nil {
		return lookupEventOut{}, err
	}
	res := k.resources
	if ev.detail != nil && ev.detail.resources != nil {
		res = ev.detail.resources
	}
	return lookupEventOut{EventID: t.eventID(pos), EventName: k.name, ReadOnly: boolText(k.readOnly),
		AccessKeyID: a.keyID, EventTime: float64(ev.at) / 1000, EventSource: k.source,
		Username: a.lookupUser, Resources: res, CloudTrailEvent: string(raw)}, nil
}

func orJSON(b []byte) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

func opDescribeTrails(s *Sim, c *call) (any, *apiError) {
	var in struct {
		Names         []string `json:"trailNameList"`
		IncludeShadow *bool    `json:"includeShadowTrails"`
	}
	if err := json.Unmarshal(orJSON(c.body), &in); err != nil {
		return nil, ctErr("SerializationException", "The request body could not be read as a DescribeTrails request.")
	}
	type trailOut struct {
		Name                       string `json:"Name"`
		S3BucketName               string `json:"S3BucketName"`
		IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
		IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
		HomeRegion                 string `json:"HomeRegion"`
		TrailARN                   string `json:"TrailARN"`
		LogFileValidationEnabled   bool   `json:"LogFileValidationEnabled"`
		HasCustomEventSelectors    bool   `json:"HasCustomEventSelectors"`
		HasInsightSelectors        bool   `json:"HasInsightSelectors"`
		IsOrganizationTrail        bool   `json:"IsOrganizationTrail"`
	}
	out := struct {
		Trails []trailOut `json:"trailList"`
	}{Trails: []trailOut{}}
	shadow := in.IncludeShadow == nil || *in.IncludeShadow
	for _, t := range s.acct.trails {
		arn := "arn:aws:cloudtrail:" + t.HomeRegion + ":" + s.acct.id + ":trail/" + t.Name
		if len(in.Names) > 0 && !slices.Contains(in.Names, t.Name) && !slices.Contains(in.Names, arn) {
			continue
		}
		if t.HomeRegion != c.region && !(t.MultiRegion && shadow) {
			continue
		}
		out.Trails = append(out.Trails, trailOut{Name: t.Name, S3BucketName: t.Bucket, IncludeGlobalServiceEvents: true,
			IsMultiRegionTrail: t.MultiRegion, HomeRegion: t.HomeRegion, TrailARN: arn, LogFileValidationEnabled: true})
	}
	return &out, nil
}

// opGetTrailStatus reports every scenario trail as logging: the scenario
// format has no stopped trails.
func opGetTrailStatus(s *Sim, c *call) (any, *apiError) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := json.Unmarshal(orJSON(c.body), &in); err != nil {
		return nil, ctErr("SerializationException", "The request body could not be read as a GetTrailStatus request.")
	}
	for _, t := range s.acct.trails {
		arn := "arn:aws:cloudtrail:" + t.HomeRegion + ":" + s.acct.id + ":trail/" + t.Name
		if in.Name != t.Name && in.Name != arn {
			continue
		}
		if t.HomeRegion != c.region && !t.MultiRegion {
			break
		}
		return map[string]any{"IsLogging": true}, nil
	}
	return nil, &apiError{code: "TrailNotFoundException", status: http.StatusBadRequest,
		message: "Unknown trail: " + in.Name + " for the user: " + s.acct.id}
}
