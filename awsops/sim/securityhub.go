package sim

import (
	"net/http"
	"strconv"
	"time"
)

// Security Hub (restJson1) in the management account, aggregating every
// member's findings: GetFindings answers the control IAM.4, "IAM root user
// access key should not exist", per account. Security Hub evaluates the
// control periodically, not on change, so the findings are those of the
// last evaluation before the start: a key deleted since still shows as
// FAILED, as it would on AWS until the next evaluation.
func securityHubAPI() *service {
	return &service{name: "securityhub", wires: []string{wireREST}, routes: restTable(
		restRoute{method: http.MethodPost, pattern: "/findings", action: "GetFindings",
			op: op{fn: opGetFindings, readOnly: true}},
	)}
}

// iam4Evaluated is how long before the start Security Hub last evaluated
// IAM.4.
const iam4Evaluated = 6 * time.Hour

type jsonStringFilter struct {
	Value      string `json:"Value"`
	Comparison string `json:"Comparison"`
}

type jsonFinding struct {
	SchemaVersion string   `json:"SchemaVersion"`
	ID            string   `json:"Id"`
	ProductArn    string   `json:"ProductArn"`
	GeneratorID   string   `json:"GeneratorId"`
	AwsAccountID  string   `json:"AwsAccountId"`
	Region        string   `json:"Region"`
	Types         []string `json:"Types"`
	CreatedAt     string   `json:"CreatedAt"`
	UpdatedAt     string   `json:"UpdatedAt"`
	Severity      struct {
		Label string `json:"Label"`
	} `json:"Severity"`
	Title       string `json:"Title"`
	Description string `json:"Description"`
	Compliance  struct {
		Status            string `json:"Status"`
		SecurityControlID string `json:"SecurityControlId"`
	} `json:"Compliance"`
	Resources []struct {
		Type      string `json:"Type"`
		ID        string `json:"Id"`
		Partition string `json:"Partition"`
		Region    string `json:"Region"`
	} `json:"Resources"`
	RecordState string `json:"RecordState"`
	Workflow    struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
}

// iam4Finding is a member's IAM.4 finding as of the last evaluation.
func (s *Sim) iam4Finding(m *member) jsonFinding {
	evaluated := s.start.Add(-iam4Evaluated)
	failed := false
	for _, k := range m.keys {
		if k.created.Before(evaluated) && (!k.deleted || k.deletedWhen.After(evaluated)) {
			failed = true
		}
	}
	if m.full != nil {
		failed = m.full.hadRootKey(evaluated) // org_full.go
	}
	f := jsonFinding{SchemaVersion: "2018-10-08",
		ID:          "arn:aws:securityhub:us-east-1:" + m.id + ":security-control/IAM.4/finding/" + m.id,
		ProductArn:  "arn:aws:securityhub:us-east-1::product/aws/securityhub",
		GeneratorID: "security-control/IAM.4", AwsAccountID: m.id, Region: "us-east-1",
		Types:     []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		CreatedAt: m.joined.Format(time.RFC3339), UpdatedAt: evaluated.Format(time.RFC3339),
		Title:       "IAM root user access key should not exist",
		Description: "This AWS control checks whether the root user access key is available.",
		RecordState: "ACTIVE"}
	f.Severity.Label, f.Compliance.Status, f.Workflow.Status = "INFORMATIONAL", "PASSED", "RESOLVED"
	if failed {
		f.Severity.Label, f.Compliance.Status, f.Workflow.Status = "CRITICAL", "FAILED", "NEW"
	}
	f.Compliance.SecurityControlID = "IAM.4"
	f.Resources = append(f.Resources, struct {
		Type      string `json:"Type"`
		ID        string `json:"Id"`
		Partition string `json:"Partition"`
		Region    string `json:"Region"`
	}{"AwsAccount", "AWS::::Account:" + m.id, "aws", "us-east-1"})
	return f
}

// opGetFindings pages through the IAM.4 findings that pass the filters
// keyrunbook sends (ComplianceSecurityControlId, ComplianceStatus,
// RecordState, AwsAccountId; EQUALS only). MaxResults is 1 to 100.
func opGetFindings(s *Sim, c *call) (any, *apiError) {
	if s.org == nil || !s.org.securityHub {
		return nil, &apiError{code: "InvalidAccessException", status: http.StatusUnauthorized,
			message: "Account " + s.acct.id + " is not subscribed to AWS Security Hub"}
	}
	var in struct {
		Filters    map[string][]jsonStringFilter `json:"Filters"`
		MaxResults *int                          `json:"MaxResults"`
		NextToken  string                        `json:"NextToken"`
	}
	if e := restJSONInput(c, &in); e != nil {
		return nil, &apiError{code: "InvalidInputException", message: e.message, status: http.StatusBadRequest}
	}
	n := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, &apiError{code: "InvalidInputException", message: "MaxResults must be between 1 and 100.", status: http.StatusBadRequest}
		}
		n = *in.MaxResults
	}
	from := 0
	if in.NextToken != "" {
		v, err := strconv.Atoi(in.NextToken)
		if err != nil || v <= 0 || v > len(s.org.members) {
			return nil, &apiError{code: "InvalidInputException", message: "The NextToken is not valid.", status: http.StatusBadRequest}
		}
		from = v
	}
	pass := func(field, value string) bool {
		fs := in.Filters[field]
		for _, f := range fs {
			if f.Comparison == "EQUALS" && f.Value == value {
				return true
			}
		}
		return len(fs) == 0
	}
	out := struct {
		Findings  []jsonFinding `json:"Findings"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Findings: []jsonFinding{}}
	i := from
	for ; i < len(s.org.members) && len(out.Findings) < n; i++ {
		f := s.iam4Finding(s.org.members[i])
		if pass("ComplianceSecurityControlId", "IAM.4") && pass("ComplianceStatus", f.Compliance.Status) &&
			pass("RecordState", f.RecordState) && pass("AwsAccountId", f.AwsAccountID) {
			out.Findings = append(out.Findings, f)
		}
	}
	if i < len(s.org.members) {
		out.NextToken = strconv.Itoa(i)
	}
	return &out, nil
}
