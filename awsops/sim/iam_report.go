package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"time"
)

type xmlEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

func opGetAccountSummary(s *Sim, _ *call) (any, *apiError) {
	mfa := 0
	if s.acct.rootMFA {
		mfa = 1
	}
	devices := mfa
	for _, u := range s.acct.users {
		if u.mfa {
			devices++
		}
	}
	rootKeys := 0
	if len(s.acct.rootKeys) > 0 {
		rootKeys = 1 // AccountAccessKeysPresent is 1 when root has any key.
	}
	customer := 0
	for _, p := range s.acct.policies {
		if _, builtin := builtinPolicies[p.arn]; !builtin {
			customer++
		}
	}
	summary := []xmlEntry{
		{"AccessKeysPerUserQuota", 2},
		{"AccountAccessKeysPresent", rootKeys},
		{"AccountMFAEnabled", mfa},
		{"AccountSigningCertificatesPresent", 0},
		{"AttachedPoliciesPerGroupQuota", 10},
		{"AttachedPoliciesPerRoleQuota", 10},
		{"AttachedPoliciesPerUserQuota", 10},
		{"GroupPolicySizeQuota", 5120},
		{"Groups", 0},
		{"GroupsPerUserQuota", 10},
		{"GroupsQuota", 300},
		{"InstanceProfiles", len(s.acct.profiles)},
		{"InstanceProfilesQuota", 1000},
		{"MFADevices", devices},
		{"MFADevicesInUse", devices},
		{"Policies", customer},
		{"PoliciesQuota", 1500},
		{"PolicySizeQuota", 6144},
		{"PolicyVersionsInUse", customer},
		{"PolicyVersionsInUseQuota", 10000},
		{"Roles", len(s.acct.roles)},
		{"RolesQuota", 1000},
		{"ServerCertificates", 0},
		{"ServerCertificatesQuota", 20},
		{"SigningCertificatesPerUserQuota", 2},
		{"UserPolicySizeQuota", 2048},
		{"Users", len(s.acct.users)},
		{"UsersQuota", 5000},
		{"VersionsPerPolicyQuota", 5},
	}
	return &struct {
		Entries []xmlEntry `xml:"SummaryMap>entry"`
	}{summary}, nil
}

// credentialReport is a generated report: AWS serves the same one for four
// hours before GenerateCredentialReport makes a new one.
type credentialReport struct {
	generated time.Time
	content   []byte
}

const reportTTL = 4 * time.Hour

func opGenerateCredentialReport(s *Sim, c *call) (any, *apiError) {
	type result struct {
		State       string `xml:"State"`
		Description string `xml:"Description,omitempty"`
	}
	if r := s.acct.report; r != nil && c.at.Sub(r.generated) < reportTTL {
		return &result{State: "COMPLETE"}, nil
	}
	s.acct.report = &credentialReport{generated: c.at, content: s.credentialCSV(c.at)}
	return &result{State: "STARTED", Description: "No report exists. Starting a new report generation task"}, nil
}

func opGetCredentialReport(s *Sim, c *call) (any, *apiError) {
	r := s.acct.report
	if r == nil {
		return nil, &apiError{code: "ReportNotPresent", message: "Credential report not present. Call GenerateCredentialReport first.", status: http.StatusGone}
	}
	if c.at.Sub(r.generated) >= reportTTL {
		return nil, &apiError{code: "ReportExpired", message: "Credential report is expired. Call GenerateCredentialReport again.", status: http.StatusGone}
	}
	return &struct {
		Content       string `xml:"Content"`
		ReportFormat  string `xml:"ReportFormat"`
		GeneratedTime string `xml:"GeneratedTime"`
	}{base64.StdEncoding.EncodeToString(r.content), "text/csv", r.generated.Format(iamTime)}, nil
}

var reportHeader = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

// credentialCSV renders the credential report (IAM User Guide, "Getting
// credential reports"): root first as <root_account>, then users by name.
func (s *Sim) credentialCSV(at time.Time) []byte {
	reportTime := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }
	keyCols := func(ids []string) []string {
		var cols []string
		for i := range 2 {
			if i >= len(ids) {
				cols = append(cols, "false", "N/A", "N/A", "N/A", "N/A")
				continue
			}
			k := s.acct.keys[ids[i]]
			used, region, service := "N/A", "N/A", "N/A"
			if !k.lastUsed.IsZero() && !k.lastUsed.After(at) {
				used, region, service = reportTime(k.lastUsed), k.lastRegion, k.lastService
			}
			cols = append(cols, boolText(k.status == statusActive), reportTime(k.created), used, region, service)
		}
		return cols
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(reportHeader)
	root := []string{"<root_account>", "arn:aws:iam::" + s.acct.id + ":root", reportTime(s.acct.rootCreated),
		"not_supported", "N/A", "not_supported", "not_supported", boolText(s.acct.rootMFA)}
	root = append(root, keyCols(s.acct.rootKeys)...)
	_ = w.Write(append(root, "false", "N/A", "false", "N/A"))
	for _, name := range sortedKeys(s.acct.users) {
		u := s.acct.users[name]
		changed, next := "N/A", "N/A"
		if u.password {
			changed = reportTime(u.created)
		}
		row := []string{u.name, s.acct.userARN(u), reportTime(u.created), boolText(u.password), "N/A", changed, next, boolText(u.mfa)}
		row = append(row, keyCols(u.keys)...)
		_ = w.Write(append(row, "false", "N/A", "false", "N/A"))
	}
	w.Flush()
	return buf.Bytes()
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func jsonObject(s string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(s), &m) == nil
}
