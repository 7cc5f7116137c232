package sim_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func TestRootConsoleSessionActsOnRootKeys(t *testing.T) {
	sc, err := sim.LoadScenario("root-key-ec2-onprem")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	id, secret := s.RootConsoleCredentials()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}
	ctx := context.Background()
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(who.Arn); got != "arn:aws:iam::"+s.AccountID()+":root" {
		t.Fatalf("console session is %s, want the root user", got)
	}
	c := iam.NewFromConfig(cfg)
	leaked := s.LeakedKeyID()
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(leaked), Status: types.StatusTypeInactive}); err != nil {
		t.Fatalf("root session could not deactivate the root key: %v", err)
	}
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Fatalf("root keys after deactivation: %+v", keys.AccessKeyMetadata)
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.SummaryMap["AccountAccessKeysPresent"] != 1 {
		t.Fatalf("the console session counted as a root key or the key vanished: %v", sum.SummaryMap["AccountAccessKeysPresent"])
	}
}
