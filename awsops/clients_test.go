package awsops

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

func init() {
	// The simulated account completes a credential report on the second
	// ask: no need to wait AWS's seconds between asks.
	reportPoll = 0
}

// isolate keeps the developer's AWS configuration out of a test.
func isolate(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, v := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// startSim serves a scenario on loopback, throttling off unless opts say.
func startSim(t testing.TB, scenario string, opts ...sim.Option) (*sim.Sim, string) {
	t.Helper()
	sc, err := sim.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	return startScenario(t, sc, opts...)
}

func startScenario(t testing.TB, sc *sim.Scenario, opts ...sim.Option) (*sim.Sim, string) {
	t.Helper()
	s, err := sim.New(sc, append([]sim.Option{sim.WithThrottle(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return s, url
}

// clientsFor signs in to the sim at url with a key of it, through the real
// SDK clients and LoadConfig.
func clientsFor(t testing.TB, url, keyID, secret string) *Clients {
	t.Helper()
	isolate(t)
	// Our own transport, so that its idle connections close before the
	// sim stops: http.Server.Shutdown waits 5 s for a connection that was
	// dialed and never used.
	tr := &http.Transport{MaxIdleConnsPerHost: idleConnsPerHost}
	t.Cleanup(tr.CloseIdleConnections)
	cfg, err := LoadConfig(context.Background(), Target{
		Region:      "us-east-1",
		Endpoint:    url,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:  &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClients(cfg)
	c.SweepRate = 1000 // throttling is off unless a test turns it on
	return c
}

// responder signs in as the scenario's responder.
func responder(t testing.TB, s *sim.Sim, url string) *Clients {
	t.Helper()
	id, secret := s.ResponderCredentials()
	return clientsFor(t, url, id, secret)
}
