package main

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// memberSessionName names keyrunbook's sessions in member accounts, so the
// member's CloudTrail tells them from anyone else's.
const memberSessionName = "keyrunbook-org"

// memberConfig is the configuration of a member account reached from the
// management account's mgmt through the member's role (--member-role),
// with the SDK's assume-role provider. The session is renewed when it
// expires by now: the wall clock in live mode (now nil, the SDK's cache),
// the simulated clock in training, which jumps ahead of the wall clock.
func memberConfig(mgmt aws.Config, account, role string, now func() time.Time) (aws.Config, string) {
	roleARN := "arn:aws:iam::" + account + ":role/" + role
	p := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(mgmt), roleARN,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = memberSessionName })
	cfg := mgmt.Copy()
	if now == nil {
		cfg.Credentials = aws.NewCredentialsCache(p)
	} else {
		cfg.Credentials = &clockCache{p: p, now: now}
	}
	return cfg, roleARN
}

// clockCache keeps a session until it expires by its clock.
type clockCache struct {
	p   aws.CredentialsProvider
	now func() time.Time
	mu  sync.Mutex
	cur aws.Credentials
}

// Retrieve implements aws.CredentialsProvider.
func (c *clockCache) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A minute's margin: a request signed just before expiry may arrive after.
	if c.cur.HasKeys() && (!c.cur.CanExpire || c.now().Add(time.Minute).Before(c.cur.Expires)) {
		return c.cur, nil
	}
	cur, err := c.p.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	c.cur = cur
	return cur, nil
}
