package sim

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
)

// S3 serves the scenario's trail buckets over S3's REST-XML protocol,
// path-style (http://ENDPOINT/BUCKET/KEY, the SDK's UsePathStyle): what
// reading a trail's log files calls, ListObjectsV2, GetObject and
// GetBucketLocation. S3 object calls are data events, which the sim's own
// trail does not record (a trail logs S3 data events only when asked to).
// The account's other buckets (those its workloads' data events name) are
// listed and located too, but hold no objects the sim models; any other
// bucket is NoSuchBucket. Every request signed for "s3" speaks restXml,
// whose codec names its operation (restXMLCodec.decode); serveS3 runs it.

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3MaxKeys is the most keys ListObjectsV2 returns in one page.
const s3MaxKeys = 1000

// s3Operations are the S3 operations the sim serves, by their API names.
var s3Operations = []string{"ListBuckets", "GetBucketLocation", "ListObjects", "ListObjectsV2", "GetObject"}

// s3API is S3 (restXml), which routes its own requests (s3Action).
func s3API() *service {
	return &service{name: "s3", wires: []string{wireS3}, named: s3Operations}
}

// s3Action names the operation of a path-style request: "" for one the
// sim does not serve (another method, or a bucket subresource such as
// ?policy or ?acl).
func s3Action(method, bucket, key string, q map[string][]string) string {
	if method != http.MethodGet {
		return ""
	}
	switch {
	case bucket == "":
		return "ListBuckets"
	case key != "":
		return "GetObject"
	case s3Has(q, "location"):
		return "GetBucketLocation"
	case len(q["list-type"]) > 0 && q["list-type"][0] == "2":
		return "ListObjectsV2"
	}
	for k := range q {
		switch k {
		case "prefix", "delimiter", "marker", "max-keys", "encoding-type", "x-id":
		default:
			return "" // a subresource the sim does not serve
		}
	}
	return "ListObjects"
}

func s3Has(q map[string][]string, k string) bool { _, ok := q[k]; return ok }

// s3Op is the operation of an S3 request, bound to its bucket, key and
// query; for one the sim does not serve (action ""), an operation that
// answers NotImplemented.
func s3Op(action, bucket, key string, q url.Values) op {
	if action == "" {
		return op{fn: func(*Sim, *call) (any, *apiError) {
			return nil, &apiError{code: "NotImplemented", message: "A header or query you provided implies functionality that is not implemented: the simulated account serves " + strings.Join(s3Operations, ", ") + ".", status: http.StatusNotImplemented}
		}}
	}
	return op{readOnly: true, fn: func(s *Sim, c *call) (any, *apiError) { return s.s3Call(c, bucket, key, q) }}
}

// s3Management are the served S3 operations CloudTrail records as
// management events, in event history as in every trail: "By default,
// CloudTrail logs bucket-level actions", ListBuckets and GetBucketLocation
// among them; object-level calls (GetObject, and ListObjects as a prefix's
// data) are data events, which event history never holds (Amazon S3 user
// guide, "Amazon S3 CloudTrail events", docs.aws.amazon.com/AmazonS3/
// latest/userguide/cloudtrail-logging-s3-info.html). A trail's S3 data
// events are the scenario's dataEvents (s3_data.go).
var s3Management = map[string]bool{"ListBuckets": true, "GetBucketLocation": true}

// serveS3 authenticates an S3 call and runs it. S3 answers any
// authentication failure as InvalidAccessKeyId. A management call is
// recorded in CloudTrail as serve records a call (an inactive key's with
// its error); a data call is recorded in no event history, so S3 does not
// go through serve.
func (s *Sim) serveS3(c *call, o op, keyID, ip, userAgent string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.at = s.now
	c.origin = s.originOf(ip, userAgent)
	k, p, e, known := s.callerOf(keyID, "s3")
	if !known {
		return nil, e
	}
	c.key, c.who = k, p
	var out any
	if e == nil {
		out, e = o.fn(s, c)
	}
	// Another account's calls land in its own trail, not this one's.
	if s3Management[c.action] && p.account == s.acct.id {
		s.record(c, true, e)
	}
	if e != nil {
		return nil, e
	}
	return out, nil
}

// s3Call authorizes and answers one S3 call, under the lock. A bucket the
// account does not hold is NoSuchBucket whoever asks, as S3's bucket names
// are global and the sim models no other account's.
func (s *Sim) s3Call(c *call, bucket, key string, q url.Values) (any, *apiError) {
	b, exists := s.bucketOf(bucket)
	if c.action != "ListBuckets" && !exists {
		return nil, &apiError{code: "NoSuchBucket", message: "The specified bucket does not exist", bucket: bucket, resource: "/" + bucket, status: http.StatusNotFound}
	}
	resource := "*"
	if bucket != "" {
		resource = "arn:aws:s3:::" + bucket
	}
	s3Event(c, bucket)
	if key != "" {
		resource += "/" + key
	}
	if ae := s.authorize(c, op{resource: func(*Sim, *call) string { return resource }}); ae != nil {
		return nil, &apiError{code: "AccessDenied", message: ae.message, resource: "/" + bucket + "/" + key, status: http.StatusForbidden}
	}
	s.touchKey(c)
	switch c.action {
	case "ListBuckets":
		return s.listBuckets(), nil
	case "GetBucketLocation":
		loc := b.region
		if loc == "us-east-1" {
			loc = "" // S3 answers us-east-1 as an empty constraint
		}
		return &struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Xmlns   string   `xml:"xmlns,attr"`
			Value   string   `xml:",chardata"`
		}{Xmlns: s3Namespace, Value: loc}, nil
	case "ListObjectsV2":
		return s.listObjectsV2(b, q)
	case "ListObjects":
		return s.listObjectsV1(b, q)
	}
	f, ok := trailFile{}, false
	if b.trail != nil {
		f, ok = s.parseObjectKey(*b.trail, key)
	}
	if !ok {
		return nil, &apiError{code: "NoSuchKey", message: "The specified key does not exist.", resource: "/" + bucket + "/" + key, status: http.StatusNotFound}
	}
	data, err := s.renderFile(f)
	if err != nil {
		return nil, &apiError{code: "InternalError", message: "The simulated account failed to render the log file.", status: http.StatusInternalServerError}
	}
	return data, nil
}

// s3Event sets what a management call's event carries, in the shape
// CloudTrail gives S3's bucket-level events: the bucket, the endpoint's
// host, the bucket among the resources.
func s3Event(c *call, bucket string) {
	switch c.action {
	case "ListBuckets":
		c.reqParams = map[string]string{"Host": "s3." + c.region + ".amazonaws.com"}
	case "GetBucketLocation":
		c.reqParams = map[string]string{"bucketName": bucket, "location": "", "Host": bucket + ".s3." + c.region + ".amazonaws.com"}
		c.resources = []eventResource{{Type: "AWS::S3::Bucket", Name: bucket}}
	}
}
