package awsops

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// benchSimEnv, when set to a number of members, makes the test binary
// serve a simulated organization instead of running tests: the benchmark
// starts it as a child, so the memory it measures is the audit's alone.
const benchSimEnv = "KEYRUNBOOK_BENCH_ORG_MEMBERS"

func TestMain(m *testing.M) {
	if n := os.Getenv(benchSimEnv); n != "" {
		serveBenchOrg(n)
		return
	}
	os.Exit(m.Run())
}

// serveBenchOrg serves org-iam4 grown to n members with AWS's limits on,
// prints "URL KEYID SECRET" and serves until its stdin closes.
func serveBenchOrg(n string) {
	members, err := strconv.Atoi(n)
	sc, err2 := sim.LoadScenario("org-iam4")
	if err != nil || err2 != nil {
		fmt.Println("bad", err, err2)
		os.Exit(2)
	}
	sc.Organization.Generated = members - len(sc.Organization.Members)
	s, err := sim.New(sc, sim.WithOrgLimits(sim.DefaultAssumeRootRate, sim.DefaultMemberIAMRate))
	if err != nil {
		fmt.Println("bad", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("bad", err)
		os.Exit(2)
	}
	go func() { _ = http.Serve(ln, s) }()
	id, secret := s.ResponderCredentials()
	fmt.Printf("http://%s %s %s\n", ln.Addr(), id, secret)
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent ends
}

// BenchmarkOrgAudit audits a simulated organization whose sim (another
// process) enforces AWS's limits: sts:AssumeRoot at 600 per second for
// the management account (a bucket of 10), each member's IAM at 20 per
// second. The floor is the time those limits allow for one AssumeRoot per
// member, (members - 10) / 600 s; wall/floor is how close the audit
// comes. live-MB@50 and live-MB@last are the audit's live heap (after a
// GC) when the 50th and the last account are in: flat in the number of
// accounts, since only the accounts in flight are held.
//
//	go test ./awsops -run '^$' -bench OrgAudit -benchtime 3x
func BenchmarkOrgAudit(b *testing.B) {
	for _, members := range []int{100, 500} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			a := benchOrg(b, members)
			floor := time.Duration(float64(members-10) / sim.DefaultAssumeRootRate * float64(time.Second))
			var wall time.Duration
			var early, late uint64
			throttled := 0
			n := 0
			for b.Loop() {
				time.Sleep(50 * time.Millisecond) // the sim's bucket refills between runs
				start := time.Now()
				audited := 0
				res, err := a.Run(context.Background(), nil, func(runbook.RootAudit) error {
					audited++
					switch audited {
					case 50:
						early = liveHeap()
					case members:
						late = liveHeap()
					}
					return nil
				}, nil)
				wall += time.Since(start)
				throttled += res.Throttled
				n++
				if err != nil || audited != members+1 {
					b.Fatalf("audited %d of %d accounts: %v", audited, members+1, err)
				}
			}
			avg := wall / time.Duration(n)
			b.ReportMetric(floor.Seconds(), "floor-s")
			b.ReportMetric(avg.Seconds(), "wall-s")
			b.ReportMetric(float64(avg)/float64(floor), "wall/floor")
			b.ReportMetric(float64(throttled)/float64(n), "throttled/op")
			b.ReportMetric(float64(early)/(1<<20), "live-MB@50")
			b.ReportMetric(float64(late)/(1<<20), "live-MB@last")
		})
	}
}

// benchOrg starts the simulated organization in a child process and
// returns the audit signed in to it.
func benchOrg(b *testing.B, members int) *OrgAudit {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchSimEnv+"="+strconv.Itoa(members))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 {
		b.Fatalf("the simulated organization did not start: %q %v", line, err)
	}
	isolate(b)
	tr := &http.Transport{MaxIdleConnsPerHost: idleConnsPerHost}
	b.Cleanup(tr.CloseIdleConnections)
	cfg, err := LoadConfig(context.Background(), Target{Region: "us-east-1", Endpoint: f[0],
		Credentials: credentials.NewStaticCredentialsProvider(f[1], f[2], ""), HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	return NewOrgAudit(cfg)
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
