package sim_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// verdict is the conformance driver's judgement of one call.
type verdict struct {
	Service, Op, Code, Why, Expected string
	OK, Modeled                      bool
	// Skipped: the operation or a member of its request is newer than this
	// botocore's models (Debian's python3-botocore lags pip's).
	Skipped bool
	Status  int
}

// onlyErrors are operations the sim can answer only with an error the
// model documents: the simulated account belongs to no organization.
var onlyErrors = map[string]string{
	"organizations:DescribeOrganization": "AWSOrganizationsNotInUseException",
}

// botocorePython finds an interpreter that has botocore: the one
// KEYRUNBOOK_BOTOCORE_PYTHON names, else the one on PATH (pip's awscli
// brings it), else Debian's (python3-botocore).
func botocorePython(t *testing.T) string {
	t.Helper()
	candidates := []string{"python3", "/usr/bin/python3"}
	if py := os.Getenv("KEYRUNBOOK_BOTOCORE_PYTHON"); py != "" {
		candidates = []string{py}
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import botocore").Run() == nil {
			return py
		}
	}
	t.Skip("botocore is not installed, so the simulator is not checked against AWS's published service models: " +
		"apt-get install python3-botocore (or pip install awscli) to run this test; .ci/run installs it")
	return ""
}

// TestBotocoreConformance calls every operation the sim serves, in every
// embedded scenario, through botocore: the AWS CLI's own serializers,
// parsers and service models. Every call must succeed, or fail with an
// error code its model documents; every operation must succeed in at
// least one scenario.
func TestBotocoreConformance(t *testing.T) {
	py := botocorePython(t)
	succeeded, called, skipped := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, info := range append(sim.Scenarios(), sim.OrgScenarios()...) {
		t.Run(info.Name, func(t *testing.T) {
			e := start(t, info.Name)
			id, secret := e.sim.ResponderCredentials()
			in, err := json.Marshal(map[string]any{"endpoint": e.url, "key": id, "secret": secret,
				"leaked": e.sim.LeakedKeyID(), "storeId": e.sim.EventDataStoreID(),
				"now": e.sim.Now().UTC().Format(time.RFC3339), "scenario": e.sim.Scenario()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, py, "testdata/botocore_conformance.py")
			cmd.Stdin = strings.NewReader(string(in))
			out, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("the conformance driver failed: %v\n%s", err, stderr)
			}
			var verdicts []verdict
			if err := json.Unmarshal(out, &verdicts); err != nil {
				t.Fatalf("the driver's verdicts: %v\n%.500s", err, out)
			}
			for _, v := range verdicts {
				op := v.Service + ":" + v.Op
				called[op] = true
				if v.Skipped {
					skipped[op] = true
					continue
				}
				if v.Why != "" {
					t.Errorf("%s (status %d): %s", op, v.Status, v.Why)
				}
				if v.OK || v.Expected == "" && v.Code == onlyErrors[op] {
					succeeded[op] = true
				}
			}
		})
	}
	if t.Failed() {
		return
	}
	for _, op := range sim.Operations() {
		name := op.Service + ":" + op.Name
		switch {
		case !called[name]:
			t.Errorf("%s is served but testdata/botocore_conformance.py never calls it: add it to the plan", name)
		case !succeeded[name] && skipped[name]:
			t.Logf("%s is newer than this botocore's models: not checked", name)
		case !succeeded[name]:
			t.Errorf("%s never succeeded in any scenario", name)
		}
	}
	for name := range called {
		if !slices.ContainsFunc(sim.Operations(), func(o sim.Operation) bool { return o.Service+":"+o.Name == name }) {
			t.Errorf("the plan calls %s, which the operations table does not list", name)
		}
	}
}
