package awsops

import (
	"bytes"
	"slices"
	"strings"

	"github.com/keyrunbook/keyrunbook/judge"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// Data events (S3 object reads and writes, Lambda Invoke) are only in
// trail files and Lake, never in event history: they are never covered by
// the sweep, and what they touched joins the blast radius.

// Blast radius types of data events: what the key read, wrote or ran.
// Nothing removes these; the report lists them for the responder to judge
// (an exfiltrated bucket, an invoked function).
const (
	BlastS3Read    = "s3-objects-read"
	BlastS3Written = "s3-objects-written"
	BlastInvoked   = "lambda-invoked"
)

// dataEventNames are data events by "prefix:eventName", for records
// older than the eventCategory field (added to records in 2021).
var dataEventNames = map[string]string{
	"s3:GetObject": BlastS3Read, "s3:HeadObject": BlastS3Read, "s3:GetObjectAcl": BlastS3Read,
	"s3:GetObjectAttributes": BlastS3Read, "s3:GetObjectTagging": BlastS3Read,
	"s3:SelectObjectContent": BlastS3Read, "s3:RestoreObject": BlastS3Read,
	"s3:PutObject": BlastS3Written, "s3:CopyObject": BlastS3Written, "s3:DeleteObject": BlastS3Written,
	"s3:DeleteObjects": BlastS3Written, "s3:PutObjectAcl": BlastS3Written, "s3:PutObjectTagging": BlastS3Written,
	"s3:CreateMultipartUpload": BlastS3Written, "s3:UploadPart": BlastS3Written,
	"s3:CompleteMultipartUpload": BlastS3Written, "s3:UploadPartCopy": BlastS3Written,
	"lambda:Invoke": BlastInvoked, "lambda:InvokeWithResponseStream": BlastInvoked,
	"lambda:InvokeAsync": BlastInvoked,
}

var (
	categoryField   = []byte(`"eventCategory"`)
	managementField = []byte(`"managementEvent"`)
)

// rawIsData reads a record's eventCategory ("Data") from its raw bytes,
// then managementEvent, and knows the common data events by name when a
// record has neither.
func rawIsData(raw []byte, r TrailRecord) bool {
	if v, ok := rawField(raw, categoryField); ok {
		return bytes.Equal(v, []byte(`"Data"`))
	}
	if v, ok := rawField(raw, managementField); ok {
		return bytes.Equal(v, []byte("false"))
	}
	return isDataEvent(r, "")
}

// isDataEvent says whether a record is a data event, from the category a
// query returned or, without one, from its name.
func isDataEvent(r TrailRecord, category string) bool {
	if category != "" {
		return category == "Data"
	}
	_, ok := dataEventNames[judge.IAMPrefix(r.EventSource)+":"+r.EventName]
	return ok
}

// rawField returns the scalar value of a key, taking its last occurrence
// as a key: CloudTrail writes eventCategory and managementEvent after
// requestParameters, where the same name may appear as a value (an event
// selector's "field":"eventCategory") or a nested key.
func rawField(raw, key []byte) ([]byte, bool) {
	for end := len(raw); ; {
		i := bytes.LastIndex(raw[:end], key)
		if i < 0 {
			return nil, false
		}
		end = i
		rest := bytes.TrimLeft(raw[i+len(key):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		stop := bytes.IndexAny(rest, ",}")
		if stop < 0 {
			return nil, false
		}
		return bytes.TrimRight(rest[:stop], " \t\r\n"), true
	}
}

// dataBlast is what a successful data event touched: the bucket an object
// was read from or written to, the function invoked.
func dataBlast(r *TrailRecord) (runbook.Resource, bool) {
	if r.Failed() {
		return runbook.Resource{}, false
	}
	typ, ok := dataEventNames[judge.IAMPrefix(r.EventSource)+":"+r.EventName]
	if !ok {
		return runbook.Resource{}, false
	}
	id := judge.Param(r.RequestParameters, "bucketName")
	if typ == BlastInvoked {
		id = judge.Param(r.RequestParameters, "functionName")
		if i := strings.LastIndex(id, ":function:"); i >= 0 {
			id = strings.SplitN(id[i+len(":function:"):], ":", 2)[0]
		}
	}
	if id == "" {
		return runbook.Resource{}, false
	}
	return runbook.Resource{Type: typ, ID: id, Region: r.AWSRegion, Action: r.EventName, Time: r.EventTime}, true
}

// sortResources orders a blast radius as Aggregator.Result does.
func sortResources(rs []runbook.Resource) {
	slices.SortFunc(rs, func(x, y runbook.Resource) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return strings.Compare(x.Type+"\x00"+x.ID+"\x00"+x.Region, y.Type+"\x00"+y.ID+"\x00"+y.Region)
	})
}
