package sim

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTokenIssueCondition(t *testing.T) {
	at := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		cond string
		ok   bool
	}{
		{"the revocation's condition", `{"DateLessThan":{"aws:TokenIssueTime":"2025-06-02T09:30:00Z"}}`, true},
		{"key names are case-insensitive", `{"DateLessThan":{"AWS:tokenissuetime":"2025-06-02T09:30:00Z"}}`, true},
		{"a one-element list", `{"DateLessThan":{"aws:TokenIssueTime":["2025-06-02T09:30:00Z"]}}`, true},
		{"another operator", `{"DateGreaterThan":{"aws:TokenIssueTime":"2025-06-02T09:30:00Z"}}`, false},
		{"another key", `{"DateLessThan":{"aws:CurrentTime":"2025-06-02T09:30:00Z"}}`, false},
		{"a second condition", `{"DateLessThan":{"aws:TokenIssueTime":"2025-06-02T09:30:00Z"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, false},
		{"not a time", `{"DateLessThan":{"aws:TokenIssueTime":"yesterday"}}`, false},
		{"no condition", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tokenIssueCondition(json.RawMessage(tt.cond))
			if ok != tt.ok || ok && !got.Equal(at) {
				t.Fatalf("got %v %v, want %v", got, ok, tt.ok)
			}
		})
	}
}

func TestTokenIssueDenyInTheEvaluator(t *testing.T) {
	cut := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	deny, err := parsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2025-06-02T09:30:00Z"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	other, err := parsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		p      *policy
		issued time.Time
		want   decision
	}{
		{"session issued before the cut-off", deny, cut.Add(-time.Second), explicitDeny},
		{"session issued at the cut-off", deny, cut, allowed},
		{"session issued after", deny, cut.Add(time.Hour), allowed},
		{"long-term key: no issue time", deny, time.Time{}, allowed},
		{"a condition not modelled still denies", other, time.Time{}, explicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluateIn([]*policy{tt.p}, "ec2:RunInstances", "*", requestContext{tokenIssued: tt.issued}); got != tt.want {
				t.Fatalf("decision %v, want %v", got, tt.want)
			}
		})
	}
}
