package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// S3 serves the scenario's trail buckets over S3's REST-XML protocol,
// path-style (http://ENDPOINT/BUCKET/KEY, the SDK's UsePathStyle): what
// reading a trail's log files calls, ListObjectsV2, GetObject and
// GetBucketLocation. S3 object calls are data events, which the sim's own
// trail does not record (a trail logs S3 data events only when asked to).
// ServeHTTP offers every request signed for "s3" to serveTrailBucket,
// which leaves the buckets that are not a trail's to other routes.

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3MaxKeys is the most keys ListObjectsV2 returns in one page.
const s3MaxKeys = 1000

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
	status    int
}

// serveTrailBucket answers a request to a trail's bucket and reports
// true; it writes nothing and reports false for any other bucket.
func (s *Sim) serveTrailBucket(w http.ResponseWriter, r *http.Request, scope credentialScope) bool {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	_, ok := s.trailOf(bucket)
	s.mu.Unlock()
	if !ok {
		return false
	}
	s.serveS3(w, r, scope, bucket, key)
	return true
}

func (s *Sim) serveS3(w http.ResponseWriter, r *http.Request, scope credentialScope, bucket, key string) {
	reqID := s.requestIDLocked()
	q := r.URL.Query()
	action := "GetObject"
	switch {
	case r.Method != http.MethodGet:
		action = r.Method
	case key == "" && q.Has("location"):
		action = "GetBucketLocation"
	case key == "" && q.Get("list-type") == "2":
		action = "ListObjectsV2"
	case key == "":
		action = "ListObjects"
	}
	rec := RequestRecord{Service: "s3", Action: action, Region: scope.region, AccessKeyID: scope.keyID}
	body, e := s.s3Call(r, scope, &rec, action, bucket, key)
	h := w.Header()
	h.Set("x-amz-request-id", reqID)
	if e != nil {
		e.RequestID = reqID
		rec.ErrorCode, rec.Status = e.Code, e.status
		s.logRequest(rec)
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(e.status)
		_ = xml.NewEncoder(w).Encode(e)
		return
	}
	rec.Status = http.StatusOK
	s.logRequest(rec)
	switch b := body.(type) {
	case []byte: // an object
		sum := sha256.Sum256(b)
		h.Set("Content-Type", "application/x-gzip")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
		_, _ = w.Write(b)
	default:
		h.Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(b)
	}
}

// s3Call authenticates, authorizes and answers one S3 call.
func (s *Sim) s3Call(r *http.Request, scope credentialScope, rec *RequestRecord, action, bucket, key string) (any, *s3Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.At = s.now
	k, p, e, known := s.callerOf(scope.keyID, "s3")
	if !known || e != nil {
		return nil, &s3Error{Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id you provided does not exist in our records.", status: http.StatusForbidden}
	}
	switch action {
	case "GetObject", "ListObjectsV2", "GetBucketLocation":
	default:
		return nil, &s3Error{Code: "NotImplemented", Message: "The simulated account serves trail buckets to ListObjectsV2, GetObject and GetBucketLocation only.", status: http.StatusNotImplemented}
	}
	c := &call{service: "s3", action: action, region: scope.region, who: p, key: k, at: s.now}
	resource := "arn:aws:s3:::" + bucket
	if key != "" {
		resource += "/" + key
	}
	if ae := s.authorize(c, op{resource: func(*Sim, *call) string { return resource }}); ae != nil {
		return nil, &s3Error{Code: "AccessDenied", Message: ae.message, Resource: "/" + bucket + "/" + key, status: http.StatusForbidden}
	}
	s.touchKey(c)
	t, ok := s.trailOf(bucket)
	if !ok {
		return nil, &s3Error{Code: "NoSuchBucket", Message: "The specified bucket does not exist", Resource: bucket, status: http.StatusNotFound}
	}
	switch action {
	case "GetBucketLocation":
		loc := t.HomeRegion
		if loc == "us-east-1" {
			loc = "" // S3 answers us-east-1 as an empty constraint
		}
		return &struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Xmlns   string   `xml:"xmlns,attr"`
			Value   string   `xml:",chardata"`
		}{Xmlns: s3Namespace, Value: loc}, nil
	case "ListObjectsV2":
		return s.listObjects(t, r.URL.Query())
	}
	f, ok := s.parseObjectKey(t, key)
	if !ok {
		return nil, &s3Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Resource: "/" + bucket + "/" + key, status: http.StatusNotFound}
	}
	b, err := s.renderFile(f)
	if err != nil {
		return nil, &s3Error{Code: "InternalError", Message: "The simulated account failed to render the log file.", status: http.StatusInternalServerError}
	}
	return b, nil
}

type s3Object struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type s3Prefix struct {
	Prefix string `xml:"Prefix"`
}

type listResult struct {
	XMLName               xml.Name   `xml:"ListBucketResult"`
	Xmlns                 string     `xml:"xmlns,attr"`
	Name                  string     `xml:"Name"`
	Prefix                string     `xml:"Prefix"`
	Delimiter             string     `xml:"Delimiter,omitempty"`
	MaxKeys               int        `xml:"MaxKeys"`
	KeyCount              int        `xml:"KeyCount"`
	IsTruncated           bool       `xml:"IsTruncated"`
	ContinuationToken     string     `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string     `xml:"NextContinuationToken,omitempty"`
	StartAfter            string     `xml:"StartAfter,omitempty"`
	Contents              []s3Object `xml:"Contents"`
	CommonPrefixes        []s3Prefix `xml:"CommonPrefixes"`
}

// listObjects answers ListObjectsV2 over the trail's keys. Sizes are
// estimates (the file is rendered only when read); GetObject's
// Content-Length is exact.
func (s *Sim) listObjects(t Trail, q map[string][]string) (any, *s3Error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	prefix, delim := get("prefix"), get("delimiter")
	maxKeys := s3MaxKeys
	if v := get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, &s3Error{Code: "InvalidArgument", Message: "max-keys must be a non-negative integer", status: http.StatusBadRequest}
		}
		maxKeys = min(n, s3MaxKeys)
	}
	after := get("start-after")
	token := get("continuation-token")
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, &s3Error{Code: "InvalidArgument", Message: "The continuation token provided is incorrect", status: http.StatusBadRequest}
		}
		after = string(b)
	}
	res := &listResult{Xmlns: s3Namespace, Name: t.Bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys,
		ContinuationToken: token, StartAfter: get("start-after")}
	last := ""
	for _, k := range s.listTrail(t, prefix) {
		entry := k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry = k[:len(prefix)+i+len(delim)]
			}
		}
		if entry <= after || entry == last {
			continue
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		last = entry
		res.KeyCount++
		if entry != k {
			res.CommonPrefixes = append(res.CommonPrefixes, s3Prefix{entry})
			continue
		}
		f, _ := s.parseObjectKey(t, k)
		sum := sha256.Sum256([]byte(k))
		res.Contents = append(res.Contents, s3Object{Key: k, LastModified: f.end.Format("2006-01-02T15:04:05.000Z"),
			ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Size: int64(400 + 250*len(s.fileEvents(f))), StorageClass: "STANDARD"})
	}
	return res, nil
}
