// Command keyrunbook walks an on-call responder through a leaked AWS access
// key incident: identify, investigate, replace, deactivate, watch, delete,
// harden. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// streams are the command's I/O, injected so tests read what a user sees.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// usageError is a mistake in how the command was called: one line on
// stderr and exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// exitError carries a chosen exit status with a message already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const topUsage = `keyrunbook: respond to a leaked AWS access key, step by step.

Usage:
  keyrunbook train [--scenario NAME | --scenario-file PATH]
      practise on a simulated account (no AWS needed)
  keyrunbook respond --key AKIA… [--dry-run]
      respond to a real incident (live, or dry-run)
  keyrunbook resume LOG
      rebuild an incident from its action log
  keyrunbook verify LOG
      check an action log's hash chain
  keyrunbook report LOG [--format md|json|csv]
      export an action log for the postmortem
  keyrunbook org [--json | --csv] [--retire-unused]
      audit every member account's root keys (IAM.4)
  keyrunbook sim serve [--addr 127.0.0.1:4566] [--scenario NAME]
      serve the simulated AWS account
  keyrunbook version
      print the version

Run 'keyrunbook COMMAND --help' for a command's flags and an example.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, io streams) int {
	err := dispatch(ctx, args, io)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(io.err, "keyrunbook: %s\n", ue.msg)
		return 2
	case errors.Is(err, errHelp):
		return 0
	default:
		fmt.Fprintf(io.err, "keyrunbook: %s\n", err)
		return 1
	}
}

var errHelp = errors.New("help shown")

func dispatch(ctx context.Context, args []string, io streams) error {
	if len(args) == 0 {
		fmt.Fprint(io.err, topUsage)
		return usagef("no command given (try 'keyrunbook train')")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(io.out, topUsage)
		return nil
	case "version", "--version":
		fmt.Fprintf(io.out, "keyrunbook %s\n", version)
		return nil
	case "verify":
		return cmdVerify(rest, io)
	case "resume":
		return cmdResume(ctx, rest, io)
	case "report":
		return cmdReport(rest, io)
	case "respond":
		return cmdRespond(ctx, rest, io)
	case "train":
		return cmdTrain(ctx, rest, io)
	case "sim":
		return cmdSim(ctx, rest, io)
	case "org":
		return cmdOrg(ctx, rest, io)
	}
	return usagef("unknown command %q (commands: train, respond, resume, verify, report, org, sim, version)", cmd)
}
