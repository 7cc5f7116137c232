package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
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

// TestKillPoints is issue 15's kill-point test. A clean run of each case
// (a scenario, maybe varied, and the responder's choices, kpCases) lists
// every mutating call keyrunbook sends. Then, for each call, a fresh
// account and a fresh incident: the child process runs until the account
// has carried out that call, and is SIGKILLed before the reply reaches it
// (the worst moment: AWS did it, the log cannot know). The child is run
// again to resume; the account must end as the clean run left it: the
// incident closed, every legitimate workload healthy, each replacement
// user holding one key whose secret is on disk, and the log verifying.
// A call is killed at where its operation is first sent, and where a case
// names it (kpCase.sends); KILL_POINTS=all kills at every mutating call of
// every case. Last, every operation of awsops.MutatingOperations must have
// been killed at at least once.
//
// The child is always built without the race detector: under -race the
// parent (the proxy and the checks) still runs raced, and every kill point
// runs in about the time it takes without.
func TestKillPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the incident once per mutating call, killed and resumed")
	}
	child := kpChildBinary(t)
	all := os.Getenv("KILL_POINTS") == "all"
	tried, resumed := 0, 0
	casesRun, points := 0, 0 // a -run pattern may play only some
	covered, chosen := map[string]bool{}, map[string]bool{}
	for _, kc := range kpCases {
		t.Run(kc.name, func(t *testing.T) {
			casesRun++
			clean := runKillPoint(t, child, kc, 0)
			if !clean.closed {
				t.Fatalf("the clean run did not close:\n%s", clean.out)
			}
			t.Logf("mutating calls of a clean run: %s", strings.Join(clean.mutations, ", "))
			labels := occurrences(clean.mutations)
			for _, want := range kc.sends {
				if !slices.Contains(labels, want) {
					t.Errorf("the clean run never sent %s, which this case is for", want)
				}
			}
			for i, op := range clean.mutations {
				// Each operation once, where it is first sent, and the
				// calls a case names; KILL_POINTS=all kills at every one.
				if !all && chosen[op] && !slices.Contains(kc.sends, labels[i]) {
					continue
				}
				chosen[op] = true
				points++
				t.Run(fmt.Sprintf("%02d-%s", i+1, strings.ReplaceAll(labels[i], ":", "_")), func(t *testing.T) {
					tried++
					r := runKillPoint(t, child, kc, i+1)
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
					covered[op] = true
				})
			}
		})
	}
	t.Logf("kill points tried %d, resumed cleanly %d", tried, resumed)
	if t.Failed() || casesRun < len(kpCases) || tried < points {
		return // coverage is judged on a whole, passing run
	}
	for _, problem := range kpCoverage(covered) {
		t.Error(problem)
	}
}

// occurrences labels each call of a run: its operation, with "#n" from its
// second sending on ("iam:UpdateAccessKey#2").
func occurrences(ops []string) []string {
	seen := map[string]int{}
	out := make([]string, len(ops))
	for i, op := range ops {
		seen[op]++
		out[i] = op
		if n := seen[op]; n > 1 {
			out[i] = fmt.Sprintf("%s#%d", op, n)
		}
	}
	return out
}

// kpCoverage lists what the kill points leave uncovered: an operation of
// awsops.MutatingOperations no kill point killed, and an excuse
// (kpUnreachable) for an operation the simulated account now serves.
func kpCoverage(covered map[string]bool) []string {
	var problems []string
	for _, op := range awsops.MutatingOperations() {
		if !covered[op] && kpUnreachable[op] == "" {
			problems = append(problems, fmt.Sprintf("awsops can send %s, and no kill point covers it: add a case to kpCases that sends it", op))
		}
	}
	served := map[string]bool{}
	for _, o := range sim.Operations() {
		served[o.Service+":"+o.Name] = true
	}
	for _, op := range slices.Sorted(maps.Keys(kpUnreachable)) {
		if served[op] {
			problems = append(problems, fmt.Sprintf("%s is excused from the kill points (%s), but the simulated account serves it now: add a case that sends it", op, kpUnreachable[op]))
		}
		if !slices.Contains(awsops.MutatingOperations(), op) {
			problems = append(problems, fmt.Sprintf("%s is excused from the kill points, but awsops no longer sends it: drop the excuse", op))
		}
	}
	return problems
}

// TestKillPointCoverageJudgement: what TestKillPoints concludes from the
// calls it killed at. Nothing killed leaves every mutating operation
// uncovered but the excused ones; and the excuses hold (runs with -short).
func TestKillPointCoverageJudgement(t *testing.T) {
	all := awsops.MutatingOperations()
	if !slices.Contains(all, "iam:CreateAccessKey") || !slices.Contains(all, "ecs:UpdateService") || slices.Contains(all, "iam:ListAccessKeys") {
		t.Fatalf("MutatingOperations = %v", all)
	}
	problems := kpCoverage(nil)
	if len(problems) != len(all)-len(kpUnreachable) {
		t.Errorf("with nothing killed, %d problems for %d operations (%d excused):\n%s", len(problems), len(all), len(kpUnreachable), strings.Join(problems, "\n"))
	}
	covered := map[string]bool{}
	for _, op := range all {
		covered[op] = true
	}
	if problems := kpCoverage(covered); len(problems) > 0 {
		t.Errorf("the excuses do not hold: %s", strings.Join(problems, "; "))
	}
}

// kpChildBinary is the test binary the child runs from: this one, or, under
// -race, the package's tests built without it (the child's raced runs
// would take the package past CI's limit; what -race checks in the program
// is checked by the other tests, and the parent, the proxy that kills, is
// still raced).
func kpChildBinary(t *testing.T) string {
	t.Helper()
	if !raceDetector {
		return os.Args[0]
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("build the kill-point child without -race: no go command on PATH: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kp.test")
	if out, err := exec.Command(goTool, "test", "-c", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the kill-point child without -race: %v\n%s", err, out)
	}
	return path
}

// kpRun is one incident run against one simulated account.
type kpRun struct {
	kc        kpCase
	s         *sim.Sim
	target    *sim.Sim // the account the incident is in: s, or its member kc.member
	base, log string
	mutations []string // the mutating calls the account carried out, in order
	killedAt  string   // the call the first run was SIGKILLed at, "" if none
	closed    bool     // the last run closed the incident
	out       string
}

// runKillPoint plays the case in a child process, killed once the account
// carried out its killAt-th mutating call (0 never), then resumed.
func runKillPoint(t *testing.T, binary string, kc kpCase, killAt int) *kpRun {
	t.Helper()
	sc, err := sim.LoadScenario(kc.scenario)
	if err != nil {
		t.Fatal(err)
	}
	if kc.vary != nil {
		kc.vary(sc)
	}
	s, err := sim.New(sc, sim.WithThrottle(trainingSweepRate))
	if err != nil {
		t.Fatal(err)
	}
	r := &kpRun{kc: kc, s: s, target: s, log: filepath.Join(t.TempDir(), "incident.jsonl")}
	if kc.member != "" {
		if r.target = s.Member(kc.member); r.target == nil {
			t.Fatalf("scenario %s does not simulate member %s whole", kc.scenario, kc.member)
		}
		sc = r.target.Scenario() // the child plays the member's incident
	}
	scenarioFile := filepath.Join(t.TempDir(), "scenario.json")
	if data, err := json.Marshal(sc); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(scenarioFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		child *exec.Cmd
		armed = killAt > 0
	)
	mutating := map[string]bool{}
	for _, op := range awsops.MutatingOperations() {
		mutating[op] = true
	}
	account := s.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("/__kp/now", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, s.Now().Format(time.RFC3339Nano)) })
	mux.HandleFunc("/__kp/advance", func(w http.ResponseWriter, req *http.Request) {
		d, _ := time.ParseDuration(req.URL.Query().Get("d"))
		s.Advance(d)
	})
	mux.HandleFunc("/__kp/creds", func(w http.ResponseWriter, req *http.Request) {
		if name := workloadAt(sc, req.URL.Query().Get("ip")); name != "" {
			_ = r.target.SetWorkloadCredentials(name, req.URL.Query().Get("key"))
		}
	})
	// The responder points a CI workflow at its new OIDC role.
	mux.HandleFunc("/__kp/role", func(w http.ResponseWriter, req *http.Request) {
		if err := r.target.SetWorkloadRole(req.URL.Query().Get("workload"), req.URL.Query().Get("role")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		op := req.Header.Get(kpOpHeader)
		rec := httptest.NewRecorder()
		account.ServeHTTP(rec, req)
		mu.Lock()
		done := mutating[op] && rec.Code < 300
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
		cmd := exec.Command(binary, "-test.run=^TestKillPointChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KP_URL="+srv.URL, "KP_SCENARIO="+scenarioFile, "KP_LOG="+r.log, "KP_PHASE="+phase,
			"KP_KEY="+r.target.LeakedKeyID(), "KP_MEMBER="+kc.member, "KP_ID="+id, "KP_SECRET="+secret, "KP_ROOT_ID="+rootID, "KP_ROOT_SECRET="+rootSecret)
		cmd.Env = append(cmd.Env, kc.env...)
		if kc.retire {
			cmd.Env = append(cmd.Env, "KP_ORG_RETIRE=1")
		}
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
	if r.kc.retire {
		return r.checkRetire(t)
	}
	var problems []string
	if unhealthy := unhealthy(r.target); len(unhealthy) > 0 {
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
	if st.Step != runbook.StepClosed || st.Intake.Key.Status != runbook.KeyGone {
		problems = append(problems, fmt.Sprintf("incident %s, key %s", st.Step, st.Intake.Key.Status))
	}
	id, secret := r.s.ResponderCredentials()
	cfg, err := awsops.LoadConfig(context.Background(), awsops.Target{Region: "us-east-1", Endpoint: r.base,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	if r.kc.member != "" {
		problems = append(problems, r.checkSCP(t, cfg)...)
		cfg, _ = memberConfig(cfg, r.kc.member, sim.MemberRole, r.s.Now)
	}
	client := iam.NewFromConfig(cfg)
	for _, p := range st.Propose.Proposals {
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
