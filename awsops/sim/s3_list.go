package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The account's buckets: each trail's (whose keys are its log files) and
// each bucket its workloads' data events name (which the sim lists and
// locates but holds no objects in).

// s3Bucket is one bucket of the account.
type s3Bucket struct {
	name, region string
	trail        *Trail // nil for a bucket that is not a trail's
}

// buckets lists the account's buckets by name, as ListBuckets does.
func (s *Sim) buckets() []s3Bucket {
	byName := map[string]s3Bucket{}
	for _, t := range s.acct.trails {
		byName[t.Bucket] = s3Bucket{name: t.Bucket, region: t.HomeRegion, trail: &t}
	}
	for _, d := range s.dataCalls() {
		if _, ok := byName[d.Bucket]; d.Bucket != "" && !ok {
			byName[d.Bucket] = s3Bucket{name: d.Bucket, region: orDefault(d.Region, "us-east-1")}
		}
	}
	out := make([]s3Bucket, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[n])
	}
	return out
}

func (s *Sim) bucketOf(name string) (s3Bucket, bool) {
	for _, b := range s.buckets() {
		if b.name == name {
			return b, true
		}
	}
	return s3Bucket{}, false
}

type listBucketsResult struct {
	XMLName     xml.Name `xml:"ListAllMyBucketsResult"`
	Xmlns       string   `xml:"xmlns,attr"`
	OwnerID     string   `xml:"Owner>ID"`
	DisplayName string   `xml:"Owner>DisplayName"`
	Buckets     []struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	} `xml:"Buckets>Bucket"`
}

// listBuckets answers ListBuckets. The owner is the account's canonical
// user ID, derived from the account ID (S3's is 64 hex digits).
func (s *Sim) listBuckets() *listBucketsResult {
	sum := sha256.Sum256([]byte("canonical-user:" + s.acct.id))
	res := &listBucketsResult{Xmlns: s3Namespace, OwnerID: hex.EncodeToString(sum[:]), DisplayName: "simulated-" + s.acct.id}
	created := s.acct.rootCreated.Add(24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	for _, b := range s.buckets() {
		res.Buckets = append(res.Buckets, struct {
			Name         string `xml:"Name"`
			CreationDate string `xml:"CreationDate"`
			BucketRegion string `xml:"BucketRegion"`
		}{b.name, created, b.region})
	}
	return res
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

// listPage is one page of a listing, as both versions of ListObjects
// compute it: keys after a point, rolled up at the delimiter.
type listPage struct {
	contents  []s3Object
	prefixes  []s3Prefix
	count     int
	truncated bool
	last      string // the last key or prefix of the page
}

// listPage lists the bucket's keys after `after`, at most maxKeys entries.
// Sizes are estimates (a log file is rendered only when read); GetObject's
// Content-Length is exact.
func (s *Sim) listPage(b s3Bucket, prefix, delim, after string, maxKeys int) listPage {
	var pg listPage
	if b.trail == nil {
		return pg
	}
	for _, k := range s.listTrail(*b.trail, prefix) {
		entry := k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry = k[:len(prefix)+i+len(delim)]
			}
		}
		if entry <= after || entry == pg.last {
			continue
		}
		if pg.count == maxKeys {
			pg.truncated = true
			break
		}
		pg.last = entry
		pg.count++
		if entry != k {
			pg.prefixes = append(pg.prefixes, s3Prefix{entry})
			continue
		}
		f, _ := s.parseObjectKey(*b.trail, k)
		sum := sha256.Sum256([]byte(k))
		pg.contents = append(pg.contents, s3Object{Key: k, LastModified: f.end.Format("2006-01-02T15:04:05.000Z"),
			ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Size: int64(400 + 250*len(s.fileEvents(f))), StorageClass: "STANDARD"})
	}
	return pg
}

func s3Param(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// maxKeysOf reads max-keys: S3 returns at most 1000 keys a page.
func maxKeysOf(q map[string][]string) (int, *apiError) {
	v := s3Param(q, "max-keys")
	if v == "" {
		return s3MaxKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &apiError{code: "InvalidArgument", message: "max-keys must be a non-negative integer", status: http.StatusBadRequest}
	}
	return min(n, s3MaxKeys), nil
}

type listV2Result struct {
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

// listObjectsV2 answers ListObjectsV2: the continuation token is the
// last entry of the previous page.
func (s *Sim) listObjectsV2(b s3Bucket, q map[string][]string) (any, *apiError) {
	maxKeys, e := maxKeysOf(q)
	if e != nil {
		return nil, e
	}
	prefix, delim, after, token := s3Param(q, "prefix"), s3Param(q, "delimiter"), s3Param(q, "start-after"), s3Param(q, "continuation-token")
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, &apiError{code: "InvalidArgument", message: "The continuation token provided is incorrect", status: http.StatusBadRequest}
		}
		after = string(raw)
	}
	pg := s.listPage(b, prefix, delim, after, maxKeys)
	res := &listV2Result{Xmlns: s3Namespace, Name: b.name, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys,
		KeyCount: pg.count, IsTruncated: pg.truncated, ContinuationToken: token, StartAfter: s3Param(q, "start-after"),
		Contents: pg.contents, CommonPrefixes: pg.prefixes}
	if pg.truncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(pg.last))
	}
	return res, nil
}

type listV1Result struct {
	XMLName        xml.Name   `xml:"ListBucketResult"`
	Xmlns          string     `xml:"xmlns,attr"`
	Name           string     `xml:"Name"`
	Prefix         string     `xml:"Prefix"`
	Marker         string     `xml:"Marker"`
	NextMarker     string     `xml:"NextMarker,omitempty"`
	MaxKeys        int        `xml:"MaxKeys"`
	Delimiter      string     `xml:"Delimiter,omitempty"`
	IsTruncated    bool       `xml:"IsTruncated"`
	Contents       []s3Object `xml:"Contents"`
	CommonPrefixes []s3Prefix `xml:"CommonPrefixes"`
}

// listObjectsV1 answers ListObjects (version 1): the marker is a key.
// NextMarker is returned only with a delimiter, as S3 does; without one
// a client continues from the last key of the page.
func (s *Sim) listObjectsV1(b s3Bucket, q map[string][]string) (any, *apiError) {
	maxKeys, e := maxKeysOf(q)
	if e != nil {
		return nil, e
	}
	prefix, delim, marker := s3Param(q, "prefix"), s3Param(q, "delimiter"), s3Param(q, "marker")
	pg := s.listPage(b, prefix, delim, marker, maxKeys)
	res := &listV1Result{Xmlns: s3Namespace, Name: b.name, Prefix: prefix, Marker: marker, MaxKeys: maxKeys,
		Delimiter: delim, IsTruncated: pg.truncated, Contents: pg.contents, CommonPrefixes: pg.prefixes}
	if pg.truncated && delim != "" {
		res.NextMarker = pg.last
	}
	return res, nil
}
