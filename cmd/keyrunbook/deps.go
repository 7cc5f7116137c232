package main

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/awsops"
)

// deps are what a command reaches outside itself, injected the way the
// GitHub CLI's commands take theirs, so a test runs the command with fakes.
// A nil one is the real one: the zero value works (resume builds its
// options without any).
type deps struct {
	// LoadConfig resolves an AWS target into a configuration
	// (awsops.LoadConfig).
	LoadConfig func(context.Context, awsops.Target) (aws.Config, error)
	// Now is the clock that names the log, bounds the sweep and checks the
	// times given (time.Now).
	Now func() time.Time
	// IsTerminal reports whether standard input and output are a terminal,
	// which a TUI needs (interactive).
	IsTerminal func() bool
	// RunProgram runs a Bubble Tea model until it quits and returns the
	// final model (tea.NewProgram(…).Run).
	RunProgram func(context.Context, tea.Model) (tea.Model, error)
}

func (o deps) loadConfig(ctx context.Context, t awsops.Target) (aws.Config, error) {
	if o.LoadConfig != nil {
		return o.LoadConfig(ctx, t)
	}
	return awsops.LoadConfig(ctx, t)
}

func (o deps) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o deps) isTerminal() bool {
	if o.IsTerminal != nil {
		return o.IsTerminal()
	}
	return interactive()
}

func (o deps) runProgram(ctx context.Context, m tea.Model) (tea.Model, error) {
	if o.RunProgram != nil {
		return o.RunProgram(ctx, m)
	}
	return tea.NewProgram(m, tea.WithContext(ctx)).Run()
}
