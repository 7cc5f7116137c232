package sim

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"time"
)

// GuardDuty (restJson1): whether a detector is on in a region, which
// keyrunbook's hardening checklist reads (Security Hub GuardDuty.1).
func guardDutyAPI() *service {
	detectorARN := func(s *Sim, c *call) string {
		return "arn:aws:guardduty:" + c.region + ":" + s.acct.id + ":detector/" + c.params.Get("DetectorId")
	}
	return &service{name: "guardduty", wires: []string{wireREST}, routes: restTable(
		restRoute{method: http.MethodGet, pattern: "/detector", action: "ListDetectors",
			op: op{fn: opListDetectors, readOnly: true}},
		restRoute{method: http.MethodGet, pattern: "/detector/{DetectorId}", action: "GetDetector",
			op: op{fn: opGetDetector, readOnly: true, resource: detectorARN}},
	)}
}

// Detector is a region's GuardDuty detector in the scenario.
type Detector struct {
	Region string `json:"region"`
	// Status is ENABLED (default) or DISABLED (suspended).
	Status string `json:"status,omitempty"`
	// Created defaults to "-365d".
	Created string `json:"created,omitempty"`
}

type detector struct {
	id, region, status string
	created            time.Time
}

func (v *validator) detectors() error {
	seen := map[string]bool{}
	for i, d := range v.sc.GuardDuty {
		f := fmt.Sprintf("guardDuty[%d]", i)
		if d.Region == "" || !v.enabled[d.Region] {
			return fieldErr(f+".region", "%q is not an enabled region of the scenario", d.Region)
		}
		if seen[d.Region] {
			return fieldErr(f+".region", "%q has a detector already: GuardDuty allows one per region", d.Region)
		}
		seen[d.Region] = true
		if d.Status != "" && d.Status != "ENABLED" && d.Status != "DISABLED" {
			return fieldErr(f+".status", "%q is neither ENABLED nor DISABLED", d.Status)
		}
		if _, err := pastOffset(f+".created", d.Created, 0); err != nil {
			return err
		}
	}
	return nil
}

// buildDetectors creates the scenario's detectors. A detector ID is 32 hex
// digits, here derived from the account and region rather than drawn from
// the ID stream, so declaring one changes no other generated ID.
func buildDetectors(sc *Scenario, start time.Time) []*detector {
	var out []*detector
	for _, d := range sc.GuardDuty {
		created, _ := offsetOr("", d.Created, -365*24*time.Hour) // validated by compile
		h := fnv.New64a()
		h.Write([]byte(sc.Account.ID + "/guardduty/" + d.Region))
		sum := h.Sum64()
		out = append(out, &detector{id: fmt.Sprintf("%016x%016x", mix64(sum), mix64(^sum)), region: d.Region,
			status: orDefault(d.Status, "ENABLED"), created: start.Add(created)})
	}
	return out
}

// opListDetectors lists the detector of the call's region, if any: one
// page always holds it, since GuardDuty allows one per region.
func opListDetectors(s *Sim, c *call) (any, *apiError) {
	ids := []string{}
	for _, d := range s.acct.detectors {
		if d.region == c.region {
			ids = append(ids, d.id)
		}
	}
	return map[string]any{"detectorIds": ids}, nil
}

func opGetDetector(s *Sim, c *call) (any, *apiError) {
	id := c.params.Get("DetectorId")
	for _, d := range s.acct.detectors {
		if d.region != c.region || d.id != id {
			continue
		}
		created := d.created.UTC().Format("2006-01-02T15:04:05.000Z")
		return map[string]any{"createdAt": created, "updatedAt": created, "status": d.status,
			"findingPublishingFrequency": "SIX_HOURS",
			"serviceRole":                "arn:aws:iam::" + s.acct.id + ":role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
			"tags":                       map[string]string{}}, nil
	}
	return nil, &apiError{code: "BadRequestException", status: http.StatusBadRequest,
		message: "The request is rejected because the input detectorId is not owned by the current account."}
}
