package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// An S3-shaped route table, built as services build theirs, to test
// routing by path and query key.
var testS3Routes = restTable(
	restRoute{method: http.MethodGet, pattern: "/", action: "ListBuckets"},
	restRoute{method: http.MethodGet, pattern: "/{Bucket}", action: "ListObjects"},
	restRoute{method: http.MethodGet, pattern: "/{Bucket}", query: "policy", action: "GetBucketPolicy"},
	restRoute{method: http.MethodGet, pattern: "/{Bucket}/{Key+}", action: "GetObject"},
	restRoute{method: http.MethodPut, pattern: "/{Bucket}/{Key+}", action: "PutObject"},
)

func TestMatchREST(t *testing.T) {
	tests := []struct {
		method, target string
		action         string // empty: no route
		labels         map[string]string
	}{
		{"GET", "/", "ListBuckets", map[string]string{}},
		{"GET", "/logs", "ListObjects", map[string]string{"Bucket": "logs"}},
		{"GET", "/logs?policy", "GetBucketPolicy", map[string]string{"Bucket": "logs"}},
		{"GET", "/logs?list-type=2", "ListObjects", map[string]string{"Bucket": "logs"}},
		{"GET", "/logs/AWSLogs/1/a%20b.json.gz", "GetObject", map[string]string{"Bucket": "logs", "Key": "AWSLogs/1/a b.json.gz"}},
		{"PUT", "/logs/k", "PutObject", map[string]string{"Bucket": "logs", "Key": "k"}},
		{"DELETE", "/logs/k", "", nil},
		// A trailing slash routes as the path without it, never as an empty
		// key (botocore 1.29 lists Lambda functions at ".../functions/").
		{"GET", "/logs/", "ListObjects", map[string]string{"Bucket": "logs"}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		rt, labels, ok := matchREST(testS3Routes, tt.method, u)
		switch {
		case tt.action == "" && ok:
			t.Errorf("%s %s routed to %s", tt.method, tt.target, rt.action)
		case tt.action != "" && (!ok || rt.action != tt.action || !maps.Equal(labels, tt.labels)):
			t.Errorf("%s %s: ok %v, route %+v, labels %v; want %s %v", tt.method, tt.target, ok, rt, labels, tt.action, tt.labels)
		}
	}
}

// Errors come as restJson1 clients read them: the code in
// X-Amzn-ErrorType, the status AWS uses, a message in the body.
func TestRESTErrorsOnTheWire(t *testing.T) {
	sc, err := LoadScenario("iam-user-lambda-ci")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sc, WithThrottle(0))
	if err != nil {
		t.Fatal(err)
	}
	key, secret := s.ResponderCredentials()
	tests := []struct {
		name, region, method, path string
		signed                     bool
		status                     int
		code                       string
	}{
		{"no such function", "us-west-2", "GET", "/2015-03-31/functions/nope/configuration", true, 404, "ResourceNotFoundException"},
		{"no such route", "us-west-2", "GET", "/2015-03-31/layers", true, 404, "UnknownOperationException"},
		{"region not enabled", "ap-east-1", "GET", "/2015-03-31/functions", true, 403, "UnrecognizedClientException"},
		{"found", "us-west-2", "GET", "/2015-03-31/functions/report-builder", true, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			SignForTest(r, key, secret, tt.region, "lambda")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %q", w.Body.String())
			}
			if w.Code != tt.status || w.Header().Get("X-Amzn-ErrorType") != tt.code {
				t.Fatalf("status %d, error type %q; want %d %q (body %v)", w.Code, w.Header().Get("X-Amzn-ErrorType"), tt.status, tt.code, body)
			}
			if tt.code != "" && body["Message"] == "" {
				t.Errorf("error without a message: %v", body)
			}
		})
	}
}
