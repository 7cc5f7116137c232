package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// history renders the leaked key's recent events, full records included.
func history(t *testing.T, e *env, region string, since time.Duration) []string {
	t.Helper()
	in := byAttr(cttypes.LookupAttributeKeyAccessKeyId, e.sim.LeakedKeyID())
	in.StartTime = aws.Time(e.sim.Now().Add(-since))
	var out []string
	for _, ev := range lookupAll(t, e.responder(region).ct, in) {
		out = append(out, *ev.CloudTrailEvent)
	}
	return out
}

func TestDeterministicHistory(t *testing.T) {
	for _, info := range sim.Scenarios() {
		t.Run(info.Name, func(t *testing.T) {
			a, b := start(t, info.Name, sim.WithSeed(7)), start(t, info.Name, sim.WithSeed(7))
			if a.sim.EventCount() != b.sim.EventCount() || a.sim.StateDigest() != b.sim.StateDigest() ||
				a.sim.LeakedKeyID() != b.sim.LeakedKeyID() {
				t.Fatal("same seed, different account")
			}
			for _, region := range []string{"us-east-1", "eu-west-1", "us-west-2"} {
				ha, hb := history(t, a, region, 12*time.Hour), history(t, b, region, 12*time.Hour)
				if strings.Join(ha, "\n") != strings.Join(hb, "\n") {
					t.Fatalf("%s: same seed, different history (%d vs %d events)", region, len(ha), len(hb))
				}
			}
		})
	}
	a, c := start(t, "attacker-only", sim.WithSeed(7)), start(t, "attacker-only", sim.WithSeed(8))
	if a.sim.LeakedKeyID() == c.sim.LeakedKeyID() || a.sim.StateDigest() == c.sim.StateDigest() {
		t.Error("another seed generated the same account")
	}
}

func TestAdvanceInStepsEqualsAdvanceAtOnce(t *testing.T) {
	a, b := start(t, "iam-user-lambda-ci"), start(t, "iam-user-lambda-ci")
	a.sim.Advance(10 * time.Hour)
	for range 10 {
		b.sim.Advance(time.Hour)
	}
	if !a.sim.Now().Equal(b.sim.Now()) || a.sim.EventCount() != b.sim.EventCount() {
		t.Fatalf("clocks %v/%v, events %d/%d", a.sim.Now(), b.sim.Now(), a.sim.EventCount(), b.sim.EventCount())
	}
	for _, region := range []string{"us-west-2", "us-east-1"} {
		if strings.Join(history(t, a, region, 11*time.Hour), "\n") != strings.Join(history(t, b, region, 11*time.Hour), "\n") {
			t.Errorf("%s: histories differ", region)
		}
	}
}

// TestDeactivationBreaksLegitimateWorkloads is the heart of training: turn
// the key off, advance the clock, and the callers that depended on it fail
// where the responder can see it.
func TestDeactivationBreaksLegitimateWorkloads(t *testing.T) {
	e := start(t, "iam-user-lambda-ci")
	admin := e.responder("us-east-1").iam
	leaked := aws.String(e.sim.LeakedKeyID())
	user := aws.String("svc-reporting")
	off := e.sim.Now()
	must[*iam.UpdateAccessKeyOutput](t)(admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: leaked, Status: iamtypes.StatusTypeInactive}))
	e.sim.Advance(24 * time.Hour)

	for _, tt := range []struct {
		workload string
		healthy  bool
	}{{"report-builder", false}, {"deploy-pipeline", false}, {"grafana", true}, {"intruder", false}} {
		h := healthOf(e.sim, tt.workload)
		if h.Healthy != tt.healthy {
			t.Errorf("%s: %+v", tt.workload, h)
		}
		if !tt.healthy && (h.FailingSince.Before(off) || !strings.HasPrefix(h.LastError, "UnrecognizedClientException") && !strings.HasPrefix(h.LastError, "InvalidClientTokenId")) {
			t.Errorf("%s failing since %v with %q", tt.workload, h.FailingSince, h.LastError)
		}
	}
	// The failed calls are in CloudTrail with the error AWS gives.
	evs := lookupAll(t, e.responder("us-west-2").ct, &cloudtrail.LookupEventsInput{
		LookupAttributes: byAttr(cttypes.LookupAttributeKeyAccessKeyId, *leaked).LookupAttributes,
		StartTime:        aws.Time(off)})
	if len(evs) < 96*2 {
		t.Fatalf("%d events after deactivation", len(evs))
	}
	for _, ev := range evs {
		if r := parseRecord(t, ev); r.ErrorCode != "UnrecognizedClientException" && r.ErrorCode != "InvalidClientTokenId" {
			t.Fatalf("event after deactivation: %s %s error %q", r.EventSource, r.EventName, r.ErrorCode)
		}
	}
	// Last use stops at the deactivation.
	lu := must[*iam.GetAccessKeyLastUsedOutput](t)(admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: leaked}))
	if lu.AccessKeyLastUsed.LastUsedDate.After(off) {
		t.Errorf("last used %v after deactivation at %v", lu.AccessKeyLastUsed.LastUsedDate, off)
	}

	// Reactivating heals them.
	must[*iam.UpdateAccessKeyOutput](t)(admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: leaked, Status: iamtypes.StatusTypeActive}))
	e.sim.Advance(9 * time.Hour)
	if h := healthOf(e.sim, "report-builder"); !h.Healthy || !h.FailingSince.IsZero() {
		t.Errorf("after reactivation: %+v", h)
	}
}

func TestDeletedKeyLeavesNoEvents(t *testing.T) {
	e := start(t, "attacker-only")
	admin := e.responder("us-east-1").iam
	persist, _, ok := e.sim.KeyCredentials("persist")
	if !ok {
		t.Fatal("the intruder's persistence key was not created")
	}
	must[*iam.DeleteAccessKeyOutput](t)(admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("aws-support-ops"), AccessKeyId: &persist}))
	deleted := e.sim.Now()
	e.sim.Advance(3 * time.Hour)
	if h := healthOf(e.sim, "intruder-persistence"); h.Healthy || !strings.Contains(h.LastError, "AuthFailure") {
		t.Errorf("persistence workload %+v", h)
	}
	// Calls with a key that no longer exists cannot be attributed to the
	// account, so CloudTrail has nothing after the deletion.
	in := byAttr(cttypes.LookupAttributeKeyAccessKeyId, persist)
	in.StartTime = aws.Time(deleted.Add(time.Second))
	if evs := lookupAll(t, e.responder("sa-east-1").ct, in); len(evs) != 0 {
		t.Errorf("%d events after deletion", len(evs))
	}
}

func TestSetWorkloadCredentials(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	admin := e.responder("us-east-1").iam
	must[*iam.CreateUserOutput](t)(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nas-backup")}))
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeSnapshots","ec2:CreateSnapshot","ec2:DeleteSnapshot"],"Resource":"*"}]}`
	must[*iam.PutUserPolicyOutput](t)(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nas-backup"), PolicyName: aws.String("snapshots"), PolicyDocument: &policy}))
	k := must[*iam.CreateAccessKeyOutput](t)(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nas-backup")}))
	if err := e.sim.SetWorkloadCredentials("nas-backup", *k.AccessKey.AccessKeyId); err != nil {
		t.Fatal(err)
	}
	// Deactivating the root key now hurts only the billing worker.
	root := e.keyAs(t, "leaked", "us-east-1").iam
	must[*iam.UpdateAccessKeyOutput](t)(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(e.sim.LeakedKeyID()), Status: iamtypes.StatusTypeInactive}))
	e.sim.Advance(26 * time.Hour)
	if h := healthOf(e.sim, "nas-backup"); !h.Healthy {
		t.Errorf("nas-backup on its own key: %+v", h)
	}
	if h := healthOf(e.sim, "billing-worker"); h.Healthy {
		t.Errorf("billing-worker still on the root key: %+v", h)
	}
	tests := []struct{ workload, key string }{
		{"nope", *k.AccessKey.AccessKeyId},
		{"nas-backup", "AKIAAAAAAAAAAAAAAAAA"},
	}
	for _, tt := range tests {
		if err := e.sim.SetWorkloadCredentials(tt.workload, tt.key); err == nil {
			t.Errorf("SetWorkloadCredentials(%s, %s) accepted", tt.workload, tt.key)
		}
	}
	if err := e.sim.SetWorkloadRole("billing-worker", "no-such-role"); err == nil {
		t.Error("SetWorkloadRole accepted a missing role")
	}
}

func TestStateDigestAndRequests(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	c := e.responder("us-east-1")
	before := e.sim.StateDigest()
	must[*iam.ListUsersOutput](t)(c.iam.ListUsers(ctx, &iam.ListUsersInput{}))
	must[*iam.ListAccessKeysOutput](t)(c.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("backup-admin")}))
	must[*cloudtrail.LookupEventsOutput](t)(c.ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}))
	e.sim.Advance(time.Hour)
	if e.sim.StateDigest() != before {
		t.Fatal("reads and time changed the state digest")
	}
	_, err := c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("nobody"), AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"), Status: iamtypes.StatusTypeInactive})
	wantCode(t, err, "NoSuchEntity")
	if e.sim.StateDigest() != before {
		t.Fatal("a failed mutation changed the state digest")
	}
	backdoor, _, _ := e.sim.KeyCredentials("backdoor")
	must[*iam.UpdateAccessKeyOutput](t)(c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("backup-admin"), AccessKeyId: &backdoor, Status: iamtypes.StatusTypeInactive}))
	if e.sim.StateDigest() == before {
		t.Fatal("deactivating a key left the digest unchanged")
	}
	var mutating []string
	for _, r := range e.sim.Requests() {
		if r.Mutating {
			mutating = append(mutating, r.Action+":"+r.ErrorCode)
		}
		if r.AccessKeyID == "" || r.Service == "" || r.At.IsZero() {
			t.Errorf("incomplete record %+v", r)
		}
	}
	if strings.Join(mutating, ",") != "UpdateAccessKey:NoSuchEntity,UpdateAccessKey:" {
		t.Errorf("mutating requests %v", mutating)
	}
}

func TestFollowAdvancesWithWallClock(t *testing.T) {
	s := newSim(t, "attacker-only")
	began := s.Now()
	c, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	s.FollowWallClock(c, 600) // ten simulated minutes per second
	if got := s.Now().Sub(began); got != 10*time.Minute {
		t.Errorf("clock moved %v in 1.5 s at 600x, want one tick of 10m", got)
	}
	s.FollowWallClock(ctx, 0) // a zero speed returns at once
}
