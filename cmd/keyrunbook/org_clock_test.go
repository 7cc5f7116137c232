package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

// servedSim is a 'sim serve' run in-process by simRun, on a listener the
// test opened, its clock started at start.
type servedSim struct {
	url, keyID, secret string
}

func serveSim(t *testing.T, scenario string, start time.Time, speed float64) servedSim {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	o := simOptions{IO: streams{in: strings.NewReader(""), out: pw, err: io.Discard},
		addr: "127.0.0.1:4566", scenario: scenario, speed: speed,
		deps: deps{Now: func() time.Time { return start }},
		listen: func(network, addr string) (net.Listener, error) {
			if network != "tcp" || addr != "127.0.0.1:4566" {
				t.Errorf("listen(%q, %q), want the --addr given", network, addr)
			}
			return ln, nil
		}}
	go func() {
		served <- simRun(ctx, o)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("simRun: %v", err)
		}
	})
	env := servedEnv(pr)
	if want := "http://" + ln.Addr().String(); env["AWS_ENDPOINT_URL"] != want {
		t.Fatalf("sim serve printed endpoint %q, want the listener's %s", env["AWS_ENDPOINT_URL"], want)
	}
	return servedSim{url: env["AWS_ENDPOINT_URL"], keyID: env["AWS_ACCESS_KEY_ID"], secret: env["AWS_SECRET_ACCESS_KEY"]}
}

// servedEnv reads the variables sim serve prints up to "Press Ctrl+C", and
// drains the rest of its output.
func servedEnv(r io.Reader) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			env[k] = strings.Fields(v)[0]
		}
		if strings.HasPrefix(line, "Press Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, r) //nolint:errcheck // drain the rest
	return env
}

// sim serve answers with its simulated time in the Date header (net/http
// would send the wall clock's), and stops when its context ends.
func TestSimRunSendsTheSimulatedTimeAsDate(t *testing.T) {
	start := time.Date(2025, time.June, 2, 9, 30, 0, 0, time.UTC)
	s := serveSim(t, "root-key-ec2-onprem", start, 0)
	resp, err := http.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || !got.Equal(start) {
		t.Fatalf("Date %q (%v), want the simulated clock's %s (--speed 0 holds it)", resp.Header.Get("Date"), err, start.Format(http.TimeFormat))
	}
}

// The hazard this guards against: keyrunbook org pointed at a served
// simulated organization that lives in 2025 measured "used within --days"
// by this machine's clock, so every key looked unused and --retire-unused
// offered to delete the two root keys in use. org takes "now" from the
// server's Date instead.
func TestOrgAgainstAServedOrganizationMeasuresByTheServersClock(t *testing.T) {
	isolateAWS(t)
	start := sim.DefaultStart // in 2025, far from this machine's clock
	if time.Since(start) < 100*24*time.Hour {
		t.Skip("this machine's clock is within 100 days of the simulated start: the test would prove nothing")
	}
	s := serveSim(t, "org-iam4", start, 1)
	var out, errb bytes.Buffer
	log := filepath.Join(t.TempDir(), "org.jsonl")
	o := orgOptions{IO: streams{in: strings.NewReader(""), out: &out, err: &errb},
		endpoint: s.url, region: "us-east-1", logPath: log, jsonOut: true, retire: true, dryRun: true, yes: true,
		days: 90, parallel: awsops.DefaultOrgWorkers, rate: awsops.DefaultAssumeRootRate,
		deps: deps{IsTerminal: func() bool { return false },
			LoadConfig: func(ctx context.Context, tg awsops.Target) (aws.Config, error) {
				tg.Credentials = credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")
				return awsops.LoadConfig(ctx, tg)
			}}}
	if err := orgRun(context.Background(), o); err != nil {
		t.Fatalf("org: %v\n%s", err, errb.String())
	}
	var doc struct {
		At       time.Time
		AtFrom   string
		Accounts []struct {
			Name      string
			Retirable bool
			Next      string
			Keys      []struct{ ID string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	if doc.At.Sub(start) < 0 || doc.At.Sub(start) > time.Hour || doc.AtFrom != "the server's clock" {
		t.Errorf("now %s from %q, want the served organization's clock (%s)", doc.At, doc.AtFrom, start)
	}
	if want := "now " + start.Format("2006-01-02"); !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "from the server's clock") {
		t.Errorf("stderr does not say %q from the server's clock:\n%s", want, errb.String())
	}
	inUse := map[string]bool{"payments-prod": true, "sandbox-7": true}
	review := errb.String()[strings.Index(errb.String(), "Root keys no caller used"):]
	for _, a := range doc.Accounts {
		if a.Retirable == inUse[a.Name] {
			t.Errorf("%s: retirable %v, want %v (next %q)", a.Name, a.Retirable, !inUse[a.Name], a.Next)
		}
		for _, k := range a.Keys {
			if inUse[a.Name] && strings.Contains(review, k.ID) {
				t.Errorf("--retire-unused offers %s's key %s, which is in use:\n%s", a.Name, k.ID, review)
			}
		}
	}
	if n := strings.Count(review, ": would delete"); n != 5 {
		t.Errorf("%d keys would be deleted, want the 5 of the 4 unused accounts:\n%s", n, review)
	}
}
