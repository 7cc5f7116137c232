package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// TestKillPoints is issue 15's kill-point test. A clean run of each
// scenario lists every mutating call keyrunbook sends. Then, for each call,
// a fresh account and a fresh incident: the child process runs until the
// account has carried out that call, and is SIGKILLed before the reply
// reaches it (the worst moment: AWS did it, the log cannot know).
// The child is run again to resume; the account must end as the clean run
// left it: the incident closed, every legitimate workload healthy, each
// replacement user holding one key whose secret is on disk, and the log
// verifying.
func TestKillPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the incident once per mutating call, killed and resumed")
	}
	scenarios := []string{"root-key-ec2-onprem", "iam-user-lambda-ci", "minted-session"}
	if raceDetector {
		// Under -race every child runs several times slower: two kill
		// points of one scenario keep the package within go test's 10
		// minutes; all of them run without -race.
		scenarios = scenarios[1:2]
	}
	tried, resumed := 0, 0
	for _, scenario := range scenarios {
		t.Run(scenario, func(t *testing.T) {
			clean := runKillPoint(t, scenario, 0)
			if !clean.closed {
				t.Fatalf("the clean run did not close:\n%s", clean.out)
			}
			t.Logf("mutating calls of a clean run: %s", strings.Join(clean.mutations, ", "))
			for i, op := range clean.mutations {
				if raceDetector && op != "CreateAccessKey" && op != "UpdateAccessKey" {
					continue
				}
				t.Run(fmt.Sprintf("%02d-%s", i+1, strings.ReplaceAll(op, "/", "_")), func(t *testing.T) {
					tried++
					r := runKillPoint(t, scenario, i+1)
					if r.killedAt != op {
						t.Fatalf("killed at %q, want the %d-th mutating call, %s", r.killedAt, i+1, op)
					}
					if !r.closed {
						t.Fatalf("the resumed run did not close:\n%s", r.out)
					}
					if problems := r.check(t); len(problems) > 0 {
						t.Fatalf("after the kill at %s: %s", op, strings.Join(problems, "; "))
					}
					resumed++
				})
			}
		})
	}
	t.Logf("kill points tried %d, resumed cleanly %d", tried, resumed)
}

// kpRun is one incident run against one simulated account.
type kpRun struct {
	s         *sim.Sim
	base, log string
	mutations []string // the mutating calls the account carried out, in order
	killedAt  string   // the call the first run was SIGKILLed at, "" if none
	closed    bool     // the last run closed the incident
	out       string
}

// runKillPoint plays the scenario in a child process, killed once the
// account carried out its killAt-th mutating call (0 never), then resumed.
func runKillPoint(t *testing.T, scenario string, killAt int) *kpRun {
	t.Helper()
	sc, err := sim.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, sim.WithThrottle(trainingSweepRate))
	if err != nil {
		t.Fatal(err)
	}
	r := &kpRun{s: s, log: filepath.Join(t.TempDir(), "incident.jsonl")}
	var (
		mu    sync.Mutex
		child *exec.Cmd
		armed = killAt > 0
	)
	account := s.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("/__kp/now", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, s.Now().Format(time.RFC3339Nano)) })
	mux.HandleFunc("/__kp/advance", func(w http.ResponseWriter, req *http.Request) {
		d, _ := time.ParseDuration(req.URL.Query().Get("d"))
		s.Advance(d)
	})
	mux.HandleFunc("/__kp/creds", func(w http.ResponseWriter, req *http.Request) {
		if name := workloadAt(sc, req.URL.Query().Get("ip")); name != "" {
			_ = s.SetWorkloadCredentials(name, req.URL.Query().Get("key"))
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		op := operationOf(req, body)
		rec := httptest.NewRecorder()
		account.ServeHTTP(rec, req)
		mu.Lock()
		done := mutating(op) && rec.Code < 300
		if done {
			r.mutations = append(r.mutations, op)
		}
		kill := armed && done && len(r.mutations) == killAt
		if kill {
			armed = false
			_ = child.Process.Signal(syscall.SIGKILL)
			r.killedAt = op
		}
		mu.Unlock()
		if kill {
			// The account did it; the reply never reaches the program.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.base = srv.URL

	id, secret := s.ResponderCredentials()
	rootID, rootSecret := s.RootConsoleCredentials()
	run := func(phase string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillPointChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KP_URL="+srv.URL, "KP_SCENARIO="+scenario, "KP_LOG="+r.log, "KP_PHASE="+phase,
			"KP_KEY="+s.LeakedKeyID(), "KP_ID="+id, "KP_SECRET="+secret, "KP_ROOT_ID="+rootID, "KP_ROOT_SECRET="+rootSecret)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		mu.Lock()
		child = cmd
		err := cmd.Start()
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		return out.String(), err
	}
	out, err := run("start")
	r.out = out
	mu.Lock()
	killed := r.killedAt != ""
	mu.Unlock()
	if killed {
		out, err = run("resume")
		r.out += "\n--- resume ---\n" + out
	}
	mu.Lock()
	defer mu.Unlock()
	r.closed = err == nil && strings.Contains(out, "KP: closed")
	return r
}

// check reads the account and the log after the run and lists what is
// wrong: an effect done twice (a second key), one lost (a workload still
// failing, the key not deleted), a secret lost (a key with no file).
func (r *kpRun) check(t *testing.T) []string {
	t.Helper()
	var problems []string
	if unhealthy := unhealthy(r.s); len(unhealthy) > 0 {
		problems = append(problems, "workloads failing: "+strings.Join(unhealthy, ", "))
	}
	f, err := os.Open(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rp, err := runbook.Replay(f)
	if err != nil {
		return append(problems, "the log does not replay: "+err.Error())
	}
	st := rp.Machine.State()
	if st.Step != runbook.StepClosed || st.Key.Status != runbook.KeyGone {
		problems = append(problems, fmt.Sprintf("incident %s, key %s", st.Step, st.Key.Status))
	}
	id, secret := r.s.ResponderCredentials()
	cfg, err := awsops.LoadConfig(context.Background(), awsops.Target{Region: "us-east-1", Endpoint: r.base,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(cfg)
	for _, p := range st.Proposals {
		if p.Kind != runbook.ReplaceIAMUser {
			continue
		}
		keys, err := client.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(p.Name)})
		if err != nil {
			problems = append(problems, "list the keys of "+p.Name+": "+err.Error())
			continue
		}
		if len(keys.AccessKeyMetadata) != 1 {
			problems = append(problems, fmt.Sprintf("user %s holds %d keys, want 1", p.Name, len(keys.AccessKeyMetadata)))
		}
		for _, k := range keys.AccessKeyMetadata {
			if _, err := os.Stat(filepath.Join(filepath.Dir(r.log), awsops.SecretFileName(aws.ToString(k.AccessKeyId)))); err != nil {
				problems = append(problems, "the secret of "+aws.ToString(k.AccessKeyId)+" is not on disk")
			}
		}
	}
	return problems
}

// mutatingPrefixes are the verbs of the AWS operations that change
// something (as the IAM, EC2 and Lambda API references name them).
var mutatingPrefixes = []string{"Create", "Put", "Update", "Delete", "Attach", "Detach", "Associate", "Disassociate",
	"Replace", "Add", "Remove", "Tag", "Untag", "Run", "Terminate", "Stop", "Start", "Register", "Deregister", "Enable", "Disable"}

func mutating(op string) bool {
	// REST calls (Lambda) are named by method and path: all but GET change.
	for _, m := range []string{"PUT ", "POST ", "DELETE ", "PATCH "} {
		if strings.HasPrefix(op, m) {
			return true
		}
	}
	return slices.ContainsFunc(mutatingPrefixes, func(p string) bool { return strings.HasPrefix(op, p) })
}

// operationOf names a request's operation: the JSON protocols' target, the
// query protocols' Action, else the REST path.
func operationOf(req *http.Request, body []byte) string {
	if t := req.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	if q, err := url.ParseQuery(string(body)); err == nil && q.Get("Action") != "" {
		return q.Get("Action")
	}
	// Smithy RPC v2 (CloudWatch) names the operation in the path.
	if _, op, ok := strings.Cut(req.URL.Path, "/operation/"); ok {
		return op
	}
	return req.Method + " " + req.URL.Path
}
