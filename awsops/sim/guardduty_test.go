package sim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func (e *env) guardDutyAs(keyID, secret, region string) *guardduty.Client {
	return guardduty.New(guardduty.Options{Region: region, BaseEndpoint: aws.String(e.url), Retryer: fastRetryer(),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
}

func TestExtGuardDutyDetectors(t *testing.T) {
	tests := []struct {
		scenario, region string
		key              string // scenario key ref; empty: the responder
		status           gdtypes.DetectorStatus
		code             string
	}{
		{"root-key-ec2-onprem", "us-east-1", "", gdtypes.DetectorStatusEnabled, ""},
		{"root-key-ec2-onprem", "eu-west-1", "", "", ""},
		{"iam-user-lambda-ci", "us-east-1", "", "", ""},
		{"iam-user-lambda-ci", "us-east-1", "leaked", "", "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.region+"/"+tt.key, func(t *testing.T) {
			e := start(t, tt.scenario)
			id, secret := e.sim.ResponderCredentials()
			if tt.key != "" {
				id, secret, _ = e.sim.KeyCredentials(tt.key)
			}
			gd := e.guardDutyAs(id, secret, tt.region)
			list, err := gd.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
			wantCode(t, err, tt.code)
			if tt.code != "" {
				return
			}
			if tt.status == "" {
				if len(list.DetectorIds) != 0 {
					t.Fatalf("detectors where the scenario declares none: %v", list.DetectorIds)
				}
				return
			}
			if len(list.DetectorIds) != 1 || len(list.DetectorIds[0]) != 32 {
				t.Fatalf("want one 32-character detector ID, got %v", list.DetectorIds)
			}
			det := must[*guardduty.GetDetectorOutput](t)(gd.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(list.DetectorIds[0])}))
			if det.Status != tt.status || !strings.HasPrefix(aws.ToString(det.CreatedAt), "2024-") {
				t.Errorf("detector: status %s, created %s", det.Status, aws.ToString(det.CreatedAt))
			}
			_, err = gd.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(strings.Repeat("0", 32))})
			wantCode(t, err, "BadRequestException")
		})
	}
}

func TestExtGuardDutyScenarioErrors(t *testing.T) {
	tests := []struct {
		name      string
		detectors []sim.Detector
		field     string
	}{
		{"disabled region", []sim.Detector{{Region: "ap-east-1"}}, "guardDuty[0].region"},
		{"two in a region", []sim.Detector{{Region: "us-east-1"}, {Region: "us-east-1"}}, "guardDuty[1].region"},
		{"unknown status", []sim.Detector{{Region: "us-east-1", Status: "ON"}}, "guardDuty[0].status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := sim.LoadScenario("attacker-only")
			if err != nil {
				t.Fatal(err)
			}
			sc.GuardDuty = tt.detectors
			if _, err := sim.New(sc); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("want an error naming %s, got %v", tt.field, err)
			}
		})
	}
}
