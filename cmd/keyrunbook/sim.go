package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
)

const simHelp = `
keyrunbook sim serve [--addr 127.0.0.1:4566] [--scenario NAME | --scenario-file PATH] [--speed 1]

Serves the simulated AWS account alone (IAM, STS, EC2, CloudTrail, CloudWatch,
S3, Lambda and more, over their real wire protocols; the README lists every
operation), so any AWS client, the AWS CLI included, can be pointed at it.
Requests must be signed with the printed secret. It prints the
credentials to use. The simulated clock follows the wall clock, --speed
simulated seconds per second; workloads keep calling on it. Every answer's
Date header is the simulated time, so a client (keyrunbook org) can take the
server's "now" from it. Only loopback
addresses are accepted: the simulator is a training tool, not a server.

Example:
  keyrunbook sim serve --scenario root-key-ec2-onprem &
  AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
    aws --endpoint-url http://127.0.0.1:4566 --region us-east-1 sts get-caller-identity
`

// simOptions are sim serve's flags and its injected dependencies: deps.Now
// is where the simulated clock starts (the wall clock), and listen opens
// the listener (net.Listen), so a test serves on a port it already holds,
// with the clock it chooses.
type simOptions struct {
	deps
	IO streams

	addr, scenario, scenarioFile, faultSpec string
	speed                                   float64
	listen                                  func(network, addr string) (net.Listener, error)
}

func cmdSim(ctx context.Context, args []string, io streams) error {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "--help" && args[0] != "-h") {
		return usagef("sim: expected 'sim serve' (see 'keyrunbook sim serve --help')")
	}
	if args[0] != "serve" {
		fmt.Fprint(io.out, strings.TrimLeft(simHelp, "\n"))
		return nil
	}
	fs := newFlags("sim serve", simHelp, io.out)
	o := simOptions{IO: io}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:4566", "loopback address to listen on")
	fs.StringVar(&o.scenario, "scenario", "root-key-ec2-onprem", "embedded scenario to load")
	fs.StringVar(&o.scenarioFile, "scenario-file", "", "scenario file to load instead (see README: scenario format)")
	fs.Float64Var(&o.speed, "speed", 1, "simulated seconds per real second (0 stops the clock)")
	fs.StringVar(&o.faultSpec, "faults", "", "inject faults: OP:KIND[:every=N][:times=N][:latency=D][:match=TEXT],… (KIND throttle, 5xx, reset, latency, deny)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("sim serve: unexpected argument %q", fs.Arg(0))
	}
	if o.speed < 0 {
		return usagef("sim serve: --speed must not be negative")
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usagef("sim serve: --addr %q is not host:port", o.addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("sim serve: --addr must be a loopback address (127.0.0.1, ::1 or localhost), not %q", host)
	}
	return simRun(ctx, o)
}

// simRun serves the simulated account with checked options until ctx ends.
// A test calls it without flags, with a listener of its own and a clock.
func simRun(ctx context.Context, o simOptions) error {
	io := o.IO
	faults, err := sim.ParseFaults(o.faultSpec)
	if err != nil {
		return usagef("sim serve: --faults: %v", err)
	}
	sc, err := loadScenario(o.scenario, o.scenarioFile)
	if err != nil {
		return err
	}
	// A standalone account lives on the wall clock: clients outside
	// keyrunbook ask about "the last 90 days" from now.
	s, err := sim.New(sc, sim.WithStart(o.now().UTC().Truncate(time.Second)), sim.WithFaults(faults...))
	if err != nil {
		return fmt.Errorf("start the simulated account: %w", err)
	}
	listen := o.listen
	if listen == nil {
		listen = net.Listen
	}
	ln, err := listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another simulator running? pick another --addr)", o.addr, err)
	}
	srv := &http.Server{Handler: simDated(s, s.Handler()), ReadHeaderTimeout: 10 * time.Second}
	id, secret := s.ResponderCredentials()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(io.out, "Simulated AWS account %s (%s) at %s\n", s.AccountID(), sc.Name, url)
	fmt.Fprintf(io.out, "Leaked key of the scenario: %s\n\n", s.LeakedKeyID())
	fmt.Fprintf(io.out, "Responder credentials (simulated, valid only here):\n  export AWS_ACCESS_KEY_ID=%s\n  export AWS_SECRET_ACCESS_KEY=%s\n  export AWS_REGION=us-east-1\n  export AWS_DEFAULT_REGION=us-east-1   # the AWS CLI v1 reads this one\n  export AWS_ENDPOINT_URL=%s\n\n", id, secret, url)
	fmt.Fprintf(io.out, "Press Ctrl+C to stop.\n")
	go s.FollowWallClock(ctx, o.speed)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		// Requests in flight get a second to finish. net/http counts a
		// connection a client opened but has not used yet as busy for 5 s
		// (an SDK's pool opens spares), so the rest are closed then.
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("stop serving: %w", err)
		}
		return srv.Close()
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	}
}

// simDated answers with the simulated time in the Date header, which
// net/http would set to the wall clock: a client takes the server's "now"
// from it (keyrunbook org measures "used within --days" by it), and the
// served account's clock runs at --speed from wherever it started. Set
// here, on the served account only, not in the sim's handler: the AWS SDK
// corrects its signing clock by every response's Date and, when that
// correction moves by more than 4 minutes between two responses, retries
// AccessDeniedException as a probable clock skew (aws/retry's
// wrapAsClockSkew); a training sim's clock jumps, so its drills would see
// denials retried.
func simDated(s *sim.Sim, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
		h.ServeHTTP(w, r)
	})
}

// loadScenario loads an embedded scenario by name, or a file when given.
func loadScenario(name, file string) (*sim.Scenario, error) {
	if file == "" {
		sc, err := sim.LoadScenario(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return sc, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open scenario file: %w", err)
	}
	defer f.Close()
	sc, err := sim.ParseScenario(f)
	if err != nil {
		return nil, fmt.Errorf("scenario file %s: %w", file, err)
	}
	return sc, nil
}
