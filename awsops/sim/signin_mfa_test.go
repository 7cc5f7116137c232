package sim_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// The root-key drill's sign-in: the right email and the device's code give
// a root session; a wrong code is refused as AWS's sign-in page refuses it;
// both leave a ConsoleLogin event in us-east-1.
func TestRootSignInWithMFA(t *testing.T) {
	e := start(t, "root-key-ec2-onprem")
	s := e.sim
	serial, ok := s.RootMFADevice()
	if !ok || serial != "arn:aws:iam::"+s.AccountID()+":mfa/root-account-mfa-device" {
		t.Fatalf("root MFA device = %q, %v", serial, ok)
	}
	code := s.RootMFACode()
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("the device shows %q, not six digits", code)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	if _, _, err := s.RootSignIn(s.RootEmail(), wrong); !errors.Is(err, sim.ErrSignInRefused) {
		t.Fatalf("a wrong code signed in: %v", err)
	}
	if _, _, err := s.RootSignIn("someone@else.example", code); !errors.Is(err, sim.ErrSignInRefused) {
		t.Fatalf("a wrong email address signed in: %v", err)
	}
	// A code read just before the device moved on is still taken, as
	// typing takes time; two periods later it is not.
	s.Advance(30 * time.Second)
	id, secret, err := s.RootSignIn(s.RootEmail(), code)
	if err != nil {
		t.Fatalf("the code of the period before was refused: %v", err)
	}
	s.Advance(60 * time.Second)
	if _, _, err := s.RootSignIn(s.RootEmail(), code); !errors.Is(err, sim.ErrSignInRefused) {
		t.Fatalf("a code two periods old signed in: %v", err)
	}
	c := e.as(id, secret, "us-east-1")
	ctx := context.Background()
	who, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(who.Arn); got != "arn:aws:iam::"+s.AccountID()+":root" {
		t.Fatalf("the signed-in session is %s, want the root user", got)
	}
	out, err := e.responder("us-east-1").ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ConsoleLogin")}}})
	if err != nil {
		t.Fatal(err)
	}
	var failed, succeeded int
	for _, ev := range out.Events {
		if aws.ToString(ev.EventSource) != "signin.amazonaws.com" {
			t.Errorf("ConsoleLogin from %s", aws.ToString(ev.EventSource))
		}
		if regexp.MustCompile(`"ConsoleLogin":"Failure"`).MatchString(aws.ToString(ev.CloudTrailEvent)) {
			failed++
		} else {
			succeeded++
		}
	}
	if failed != 3 || succeeded != 1 {
		t.Fatalf("ConsoleLogin events: %d failed, %d succeeded; want 3 and 1", failed, succeeded)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
