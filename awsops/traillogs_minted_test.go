package awsops

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Issue 14: temporary credentials the key minted that only a trail source
// shows join the investigation's minted list (so revocation covers them)
// and the coverage says their calls were not followed in that source.
func TestTrailSourceReportsWhatTheKeyMinted(t *testing.T) {
	dir := t.TempDir()
	at := scanDay.Add(3 * time.Hour)
	mint := `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333","accessKeyId":"` + scanKey + `"},` +
		`"eventTime":"` + at.Format(time.RFC3339) + `","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.17.0","requestParameters":null,` +
		`"responseElements":{"credentials":{"accessKeyId":"ASIAMINTEDINTRAIL001","sessionToken":"secret","expiration":"Jun 2, 2025, 3:00:00 AM"}},` +
		`"eventID":"e-mint","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
	writeLog(t, dir, "us-east-1", at.Add(5*time.Minute), true, mint)
	files, err := LocalTrailFiles(dir, scanDay, scanDay.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ScanTrailFiles(context.Background(), files, TrailScanOptions{KeyID: scanKey, From: scanDay, To: scanDay.Add(24 * time.Hour), Label: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Found.Minted) != 1 || res.Found.Minted[0].KeyID != "ASIAMINTEDINTRAIL001" {
		t.Fatalf("minted %+v, want the session the trail shows", res.Found.Minted)
	}
	if cov := strings.Join(res.Found.Coverage, " "); !strings.Contains(cov, "minted 1 temporary credential(s) seen here") {
		t.Errorf("coverage %q does not say what was not followed", cov)
	}
}
