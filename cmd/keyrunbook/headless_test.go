package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// startServedSim serves a scenario's account on loopback, behind the fault
// layer, and points the SDK's default chain at it as the responder.
func startServedSim(t *testing.T, scenario string, faults ...sim.Fault) (*sim.Sim, string) {
	t.Helper()
	sc, err := sim.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, sim.WithThrottle(0), sim.WithFaults(faults...))
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	id, secret := s.ResponderCredentials()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s, url
}

// TestHeadlessSweepWithFailedRegionsExitsNonZero: a region whose
// LookupEvents is denied used to count as "finished" and the command
// exited 0 as if the investigation were complete.
func TestHeadlessSweepWithFailedRegionsExitsNonZero(t *testing.T) {
	s, url := startServedSim(t, "root-key-ec2-onprem",
		sim.Fault{Operation: "LookupEvents", Kind: sim.FaultDeny, Match: "/eu-west-1/"})
	log := filepath.Join(t.TempDir(), "incident.jsonl")
	code, out, errOut := call(t, "respond", "--key", s.LeakedKeyID(), "--investigate-only", "--days", "30",
		"--endpoint-url", url, "--region", "us-east-1", "--log", log)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"investigation INCOMPLETE", "regions not swept: eu-west-1", "FAILED (eu-west-1)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "NOT READ: region eu-west-1 not swept (denied") {
		t.Errorf("stdout does not name the region:\n%s", out)
	}
}
