package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags builds a subcommand's flag set whose errors become usage errors
// (one line, exit 2) and whose --help prints the text with an example.
func newFlags(name, help string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(out, strings.TrimLeft(help, "\n"))
		fmt.Fprintln(out, "\nFlags:")
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		// fs.Parse has already called fs.Usage.
		return errHelp
	}
	if err != nil {
		return usagef("%s: %v (see 'keyrunbook %s --help')", fs.Name(), err, fs.Name())
	}
	return nil
}

// oneArg requires exactly one positional argument, named what.
func oneArg(fs *flag.FlagSet, what string) (string, error) {
	switch fs.NArg() {
	case 0:
		return "", usagef("%s: missing %s (see 'keyrunbook %s --help')", fs.Name(), what, fs.Name())
	case 1:
		return fs.Arg(0), nil
	}
	return "", usagef("%s: expected one %s, got %d arguments: %s", fs.Name(), what, fs.NArg(), strings.Join(fs.Args(), " "))
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("report LOG --format json"), which the flag
// package alone stops at, and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// onePath requires exactly one positional argument, an action log's path.
func onePath(cmd string, args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", usagef("%s: missing action log path (see 'keyrunbook %s --help')", cmd, cmd)
	case 1:
		return args[0], nil
	}
	return "", usagef("%s: expected one action log path, got %d arguments: %s", cmd, len(args), strings.Join(args, " "))
}
