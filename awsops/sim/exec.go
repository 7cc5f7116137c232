package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// call is one API call being executed, from HTTP or from a workload.
type call struct {
	service, action, region string
	params                  url.Values
	body                    []byte // JSON protocols
	key                     *accessKey
	who                     *principal
	at                      time.Time
	origin                  uint32
	requestID               string
	wire                    string // the request's protocol; "" for a workload's call
	// Set by the operation, for the event.
	reqParams any
	respElems any
	resources []eventResource
	// createdKey is the key a CreateAccessKey step made, for SaveKeyAs.
	createdKey string
}

// opFunc executes an operation and returns its result: a struct the
// protocol writer encodes (XML for query and EC2, JSON for JSON 1.1).
type opFunc func(s *Sim, c *call) (any, *apiError)

// op describes an operation the sim implements.
type op struct {
	fn       opFunc
	readOnly bool
	noAuth   bool // needs no permission (sts:GetCallerIdentity)
	// resource is the ARN the policy check is made against; nil means "*".
	resource func(s *Sim, c *call) string
}

// apiError is an AWS error as the service's protocol reports it.
type apiError struct {
	code, message string
	status        int
	trailCode     string // errorCode in CloudTrail when it differs from code
	// resource and bucket are what S3's <Error> names, when it does.
	resource, bucket string
}

func (e *apiError) recorded() string {
	if e.trailCode != "" {
		return e.trailCode
	}
	return e.code
}

// Wire protocols, which decide error codes and body shapes.
const (
	protoQuery = "query"
	protoEC2   = "ec2"
	protoJSON  = "json"
	protoS3    = "s3"
	protoREST  = "rest-json"
)

func protocolOf(service string) string {
	switch service {
	case "ec2":
		return protoEC2
	case "iam", "sts", "sns", "cloudformation", "cloudwatch", "monitoring", "rds", "autoscaling",
		"elasticloadbalancing", "ses", "elasticache", "redshift":
		return protoQuery
	case "s3":
		return protoS3
	case "lambda", "apigateway", "eks", "bedrock", "cloudfront", "route53", "guardduty", "securityhub":
		return protoREST
	}
	return protoJSON
}

// errAuth is the error for an unknown, deleted or inactive access key.
// AWS answers an inactive key exactly as an unknown one.
func errAuth(service string) *apiError {
	switch protocolOf(service) {
	case protoQuery:
		return &apiError{code: "InvalidClientTokenId", message: "The security token included in the request is invalid.", status: http.StatusForbidden}
	case protoEC2:
		return &apiError{code: "AuthFailure", message: "AWS was not able to validate the provided access credentials", status: http.StatusUnauthorized, trailCode: "Client.AuthFailure"}
	case protoS3:
		return &apiError{code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.", status: http.StatusForbidden}
	case protoREST:
		return &apiError{code: "UnrecognizedClientException", message: "The security token included in the request is invalid.", status: http.StatusForbidden}
	}
	return &apiError{code: "UnrecognizedClientException", message: "The security token included in the request is invalid.", status: http.StatusBadRequest}
}

// errDenied is the AccessDenied of each protocol, worded as AWS words it.
func errDenied(service string, p *principal, action, resource string, explicit bool) *apiError {
	why := "because no identity-based policy allows the " + action + " action"
	if explicit {
		why = "with an explicit deny in an identity-based policy"
	}
	on := ""
	if resource != "*" && resource != "" {
		on = " on resource: " + resource
	}
	msg := "User: " + p.arn + " is not authorized to perform: " + action + on + " " + why
	switch protocolOf(service) {
	case protoEC2:
		return &apiError{code: "UnauthorizedOperation", message: "You are not authorized to perform this operation. " + msg, status: http.StatusForbidden, trailCode: "Client.UnauthorizedOperation"}
	case protoJSON:
		return &apiError{code: "AccessDeniedException", message: msg, status: http.StatusBadRequest, trailCode: "AccessDenied"}
	case protoREST:
		return &apiError{code: "AccessDeniedException", message: msg, status: http.StatusForbidden, trailCode: "AccessDenied"}
	}
	return &apiError{code: "AccessDenied", message: msg, status: http.StatusForbidden}
}

// errInvalid is a request validation error of each protocol.
func errInvalid(service, msg string) *apiError {
	switch protocolOf(service) {
	case protoEC2:
		return &apiError{code: "InvalidParameterValue", message: msg, status: http.StatusBadRequest, trailCode: "Client.InvalidParameterValue"}
	case protoJSON, protoREST:
		return &apiError{code: "ValidationException", message: msg, status: http.StatusBadRequest}
	}
	return &apiError{code: "ValidationError", message: msg, status: http.StatusBadRequest}
}

// errNoSuchEntity is IAM's not-found error.
func errNoSuchEntity(msg string) *apiError {
	return &apiError{code: "NoSuchEntity", message: msg, status: http.StatusNotFound}
}

var reVersionSuffix = regexp.MustCompile(`[0-9]{8}(v[0-9]+)?$`)

// iamAction is the policy action a call needs: Lambda's versioned event
// names ("UpdateFunctionCode20150331v2") check as their plain action.
func iamAction(service, action string) string {
	if a, ok := policyActions[service+":"+action]; ok {
		return a
	}
	return service + ":" + reVersionSuffix.ReplaceAllString(action, "")
}

// policyActions are API operations whose policy action has another name
// (Service Authorization Reference).
var policyActions = map[string]string{
	"s3:ListBuckets":   "s3:ListAllMyBuckets",
	"s3:HeadBucket":    "s3:ListBucket",
	"s3:ListObjectsV2": "s3:ListBucket",
	"s3:HeadObject":    "s3:GetObject",
}

// authorize checks c.who may run c under the account's policies. Root is
// allowed everything; a principal of another account is denied everything
// but STS, since the sim models one account.
func (s *Sim) authorize(c *call, o op) *apiError {
	if e := s.sessionLimits(c, o); e != nil {
		return e // a minted key's expiry and limits (sts_mint_limits.go)
	}
	if e := s.scpDenies(c, o); e != nil {
		return e // a member's service control policies bind root too (org_scp.go)
	}
	if o.noAuth || c.who.kind == typeRoot && c.who.account == s.acct.id {
		return nil
	}
	action := iamAction(c.service, c.action)
	resource := "*"
	if o.resource != nil {
		resource = o.resource(s, c)
	}
	if c.who.account != s.acct.id {
		if c.service == "sts" {
			return nil // its own account's policies, which the sim assumes allow STS
		}
		e := errDenied(c.service, c.who, action, resource, false)
		e.message += " (the simulated account " + s.acct.id + " is the only one modelled)"
		return e
	}
	switch evaluateIn(s.acct.policiesOf(c.who), action, resource, s.requestContext(c)) {
	case allowed:
		return nil
	case explicitDeny:
		return errDenied(c.service, c.who, action, resource, true)
	}
	return errDenied(c.service, c.who, action, resource, false)
}

// invoke runs an implemented operation for an authenticated caller and
// records it in CloudTrail.
func (s *Sim) invoke(c *call, o op) (any, *apiError) {
	if e := s.precheck(c, o); e != nil {
		s.touchKey(c)
		s.record(c, o.readOnly, e)
		return nil, e
	}
	out, e := o.fn(s, c)
	s.touchKey(c)
	s.record(c, o.readOnly, e)
	return out, e
}

// precheck is what AWS does before it acts: validate a request's input
// (an HTTP request's; a workload's steps are the scenario's own), check the
// caller's permission, and stop a dry run there.
func (s *Sim) precheck(c *call, o op) *apiError {
	if c.wire != "" {
		if e := validateInput(c); e != nil {
			return e
		}
	}
	if e := s.authorize(c, o); e != nil {
		return e
	}
	if dryRun(c) {
		return errDryRun()
	}
	return nil
}

// touchKey records the key's last use, as GetAccessKeyLastUsed reports it.
func (s *Sim) touchKey(c *call) {
	if c.key == nil || c.key.status != statusActive {
		return
	}
	if c.at.Before(c.key.lastUsed) {
		return
	}
	c.key.lastUsed, c.key.lastService, c.key.lastRegion = c.at, c.service, eventRegion(c.service, c.action, c.region)
}

// eventRegion is the awsRegion CloudTrail records: global services in
// us-east-1.
func eventRegion(service, action, region string) string {
	switch service {
	case "iam", "organizations", "cloudfront", "route53":
		return "us-east-1"
	case "s3":
		if action == "ListBuckets" {
			return "us-east-1"
		}
	}
	if region == "" {
		return "us-east-1"
	}
	return region
}

// eventSource is the CloudTrail eventSource of a service.
func eventSource(service string) string {
	if service == "cloudwatch" {
		return "monitoring.amazonaws.com"
	}
	return service + ".amazonaws.com"
}

// actorFor interns the actor of a principal calling with a key.
func (s *Sim) actorFor(p *principal, keyID string) uint32 {
	k := p.arn + "|" + keyID
	if id, ok := s.actorIDs[k]; ok {
		return id
	}
	a := actor{kind: p.kind, principalID: p.id, arn: p.arn, account: p.account, keyID: keyID,
		lookupUser: p.lookupUser(), sessionAt: p.since}
	if p.kind == typeIAMUser {
		a.userName = p.name
	}
	if p.kind == typeAssumedRole {
		a.principalID = p.roleID + ":" + p.session
		if r := s.acct.roles[p.name]; r != nil {
			a.issuer = &sessionIssuer{principalID: r.id, arn: s.acct.roleARN(r), userName: r.name}
		}
	}
	s.sessionIdentity(&a, keyID)
	id := s.trail.addActor(a)
	s.actorIDs[k] = id
	return id
}

// record appends c's event to the trail.
func (s *Sim) record(c *call, readOnly bool, e *apiError) {
	region := eventRegion(c.service, c.action, c.region)
	kind := s.trail.kind(kindKey{source: eventSource(c.service), name: c.action, region: region,
		readOnly: readOnly, spec: -1}, nil, nil)
	d := &eventDetail{requestID: c.requestID, resources: c.resources}
	if c.reqParams != nil {
		d.params, _ = json.Marshal(c.reqParams)
	} else {
		d.params = paramsJSON(c.params)
	}
	if c.respElems != nil && e == nil {
		d.response, _ = json.Marshal(c.respElems)
	}
	d.params, d.response = s.omitOversized(d.params), s.omitOversized(d.response)
	f := failure{}
	if e != nil {
		f = failure{code: e.recorded(), message: e.message}
	}
	key := ""
	if c.key != nil {
		key = c.key.id
	}
	s.trail.add(event{at: c.at.UnixMilli(), kind: kind, actor: s.actorFor(c.who, key),
		origin: c.origin, fail: s.trail.failure(f), detail: d})
}

// paramsJSON renders query parameters as CloudTrail's requestParameters:
// lower camel-case names, Action and Version left out, null when empty.
func paramsJSON(v url.Values) json.RawMessage {
	m := map[string]string{}
	for k, vals := range v {
		if k == "Action" || k == "Version" || len(vals) == 0 {
			continue
		}
		m[lowerFirst(k)] = vals[0]
	}
	if len(m) == 0 {
		return nil
	}
	b, _ := json.Marshal(m) // encoding/json sorts map keys: deterministic.
	return b
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// newRequestID derives a request ID from the seed and a counter, apart from
// the ID stream: how many requests were throttled (a matter of timing) must
// not change the IDs of keys created later.
func (s *Sim) newRequestID() string {
	s.reqSeq++
	return uuidFrom(mix64(s.seed^0x7265717565737431^s.reqSeq), mix64(s.reqSeq*0x9e3779b97f4a7c15^s.seed))
}

// mustJSON marshals values built from strings and maps, which cannot fail.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// omittedField is what CloudTrail writes in place of a field past its size.
var omittedField = json.RawMessage(`{"omitted":true}`)

// omitOversized replaces a field past the size CloudTrail records.
func (s *Sim) omitOversized(field json.RawMessage) json.RawMessage {
	if s.fieldLimit > 0 && len(field) > s.fieldLimit {
		return omittedField
	}
	return field
}
