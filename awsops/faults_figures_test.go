package awsops

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestFaultRunsOfEveryScenario gives issue 15's closing figure: each
// embedded scenario swept clean, then once per fault run (faultRuns:
// throttling, server errors, resets, latency, all of them on every
// operation); a fault run counts when it finds the clean run's callers and
// minted keys and leaves no gap. FAULT_ROUNDS=N plays the fault runs N
// times, the periodic faults' periods lengthened by 0–2 requests and the
// latency by a millisecond each round, so other requests break. It runs
// only when FAULT_ROUNDS is set (a round takes about a minute on a busy
// two-core machine); TestSweepUnderTransientFaultsFindsTheSameCallers
// plays one scenario's round in every test run.
func TestFaultRunsOfEveryScenario(t *testing.T) {
	seeds, err := strconv.Atoi(os.Getenv("FAULT_ROUNDS"))
	if err != nil || seeds < 1 {
		t.Skip("set FAULT_ROUNDS=N to sweep every scenario N times per fault run")
	}
	runs, same := 0, 0
	for _, info := range sim.Scenarios() {
		t.Run(info.Name, func(t *testing.T) {
			_, clean := faultySweepOf(t, info.Name, 7*day)
			fin, ok := clean.(runbook.SweepFinished)
			if !ok {
				t.Skipf("the clean sweep did not finish: %#v", clean)
			}
			want := foundCallers(fin.Investigation)
			for seed := range seeds {
				for _, r := range faultRuns {
					runs++
					_, ev := faultySweepOf(t, info.Name, 7*day, shifted(r.faults, seed)...)
					got, ok := ev.(runbook.SweepFinished)
					switch {
					case !ok:
						t.Errorf("%s (shift %d): got %#v, want SweepFinished", r.name, seed, ev)
					case !slices.Equal(foundCallers(got.Investigation), want):
						t.Errorf("%s (shift %d): callers %v, clean run %v", r.name, seed, foundCallers(got.Investigation), want)
					case len(got.Investigation.Gaps()) > 0:
						t.Errorf("%s (shift %d): gaps %v", r.name, seed, got.Investigation.Gaps())
					default:
						same++
					}
				}
			}
		})
	}
	t.Logf("fault runs %d, with the same callers as the clean run and no gap %d", runs, same)
}

// shifted lengthens each periodic fault's period by n mod 3 requests and
// its latency by n ms.
func shifted(faults []sim.Fault, n int) []sim.Fault {
	out := slices.Clone(faults)
	for i := range out {
		if out[i].Every > 1 {
			out[i].Every += n % 3
		}
		if out[i].Latency > 0 {
			out[i].Latency += time.Duration(n) * time.Millisecond
		}
	}
	return out
}
