package sim

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"iam:*", "iam:createuser", true},
		{"iam:get*", "iam:listusers", false},
		{"*:describe*", "ec2:describeinstances", true},
		{"arn:aws:s3:::reports/*", "arn:aws:s3:::reports/2025/x.csv", true},
		{"arn:aws:iam::1:user/?ob", "arn:aws:iam::1:user/bob", true},
		{"arn:aws:iam::1:user/?ob", "arn:aws:iam::1:user/blob", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"**a", "bbba", true},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestEvaluate(t *testing.T) {
	pol := func(doc string) *policy {
		p, err := parsePolicy([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		return p
	}
	admin := pol(builtinPolicies["arn:aws:iam::aws:policy/AdministratorAccess"])
	quarantine := pol(builtinPolicies[QuarantinePolicyARN])
	readUsers := pol(`{"Statement":{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::1:user/*"}}`)
	notIAM := pol(`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`)
	conditional := pol(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	tests := []struct {
		name     string
		policies []*policy
		action   string
		resource string
		want     decision
	}{
		{"no policy", nil, "iam:ListUsers", "*", implicitDeny},
		{"admin", []*policy{admin}, "ec2:RunInstances", "*", allowed},
		{"explicit deny wins", []*policy{admin, quarantine}, "iam:UpdateAccessKey", "*", explicitDeny},
		{"deny list is case-insensitive", []*policy{admin, quarantine}, "IAM:updateaccesskey", "*", explicitDeny},
		{"quarantine leaves reads", []*policy{admin, quarantine}, "iam:ListUsers", "*", allowed},
		{"resource scoped", []*policy{readUsers}, "iam:GetUser", "arn:aws:iam::1:user/bob", allowed},
		{"resource mismatch", []*policy{readUsers}, "iam:GetUser", "arn:aws:iam::1:role/bob", implicitDeny},
		{"NotAction allows others", []*policy{notIAM}, "s3:ListAllMyBuckets", "*", allowed},
		{"NotAction excludes", []*policy{notIAM}, "iam:CreateUser", "*", implicitDeny},
		{"conditional allow does not grant", []*policy{conditional}, "iam:ListUsers", "*", implicitDeny},
	}
	for _, tt := range tests {
		if got := evaluate(tt.policies, tt.action, tt.resource); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{`[]`, `{"Statement":[]}`, `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"nocolon","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}`} {
		if _, err := parsePolicy([]byte(bad)); err == nil {
			t.Errorf("parsePolicy(%s) accepted", bad)
		}
	}
}

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"-5d3h20m", -(5*24*time.Hour + 3*time.Hour + 20*time.Minute), true},
		{"+15m", 15 * time.Minute, true},
		{"0", 0, true},
		{"1d12h", 36 * time.Hour, true},
		{"d", 0, false},
		{"5x", 0, false},
		{"-", 0, false},
		{"", 0, false},
		{"3h-2m", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSpan(tt.in)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("parseSpan(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestKeyIDEncodesAccount(t *testing.T) {
	for _, acct := range []uint64{418295730164, 1, 999999999999, 29608264753} {
		g := &ids{rng: rand.New(rand.NewPCG(acct, 3)), account: acct}
		for range 50 {
			id := g.accessKeyID("AKIA")
			if !reKeyID.MatchString(id) {
				t.Fatalf("%s is not a key ID", id)
			}
			if got, ok := accountOfKeyID(id); !ok || got != padAccount(acct) {
				t.Fatalf("%s decodes to %s, want %s", id, got, padAccount(acct))
			}
		}
	}
	if _, ok := accountOfKeyID("AKIA0000000000000000"); ok {
		t.Error("a non-base32 key decoded")
	}
}

func TestEventIDRoundTrip(t *testing.T) {
	tr := newTrail(42)
	tr.events = make([]event, 1000)
	for _, pos := range []uint32{0, 1, 999} {
		id := tr.eventID(pos)
		if got, ok := tr.eventPos(id); !ok || got != pos {
			t.Errorf("eventPos(eventID(%d)) = %d, %v", pos, got, ok)
		}
	}
	other := newTrail(43)
	other.events = tr.events
	if _, ok := other.eventPos(tr.eventID(5)); ok {
		t.Error("an event ID of another seed was accepted")
	}
}
