package main

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// respondOptions is the respond command in the shape of the GitHub CLI's
// commands: the flags' values, and the dependencies injected, so a test
// calls respondRun without flags, without a terminal and without AWS. A nil
// dependency is the real one (resume builds its options without any).
type respondOptions struct {
	IO streams
	// LoadConfig resolves an AWS target into a configuration
	// (awsops.LoadConfig).
	LoadConfig func(context.Context, awsops.Target) (aws.Config, error)
	// Now is the clock that names the log, bounds the sweep and checks the
	// times given (time.Now).
	Now func() time.Time
	// IsTerminal reports whether standard input and output are a terminal,
	// which the TUI needs (interactive).
	IsTerminal func() bool
	// RunProgram runs a Bubble Tea model until it quits and returns the
	// final model (tea.NewProgram(…).Run).
	RunProgram func(context.Context, tea.Model) (tea.Model, error)

	key, profile, region, endpoint, logPath   string
	rootProfile, orgAdminProfile, alarmPrefix string
	dryRun, investigateOnly, jsonOut          bool
	watch                                     time.Duration
	days                                      int
	detected                                  string
	trailDir, trailS3, lakeStore              string
	athenaWorkgroup, athenaTable, athenaOut   string
	athenaPartition                           string
	athenaCreate                              bool
	trailDays                                 int
	// exposed is --exposed-at; exposedAt its parsed value (issue 14).
	exposed   string
	exposedAt time.Time
	// detectedAt is --detected-at parsed.
	detectedAt time.Time
}

func (o respondOptions) loadConfig(ctx context.Context, t awsops.Target) (aws.Config, error) {
	if o.LoadConfig != nil {
		return o.LoadConfig(ctx, t)
	}
	return awsops.LoadConfig(ctx, t)
}

func (o respondOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o respondOptions) isTerminal() bool {
	if o.IsTerminal != nil {
		return o.IsTerminal()
	}
	return interactive()
}

func (o respondOptions) runProgram(ctx context.Context, m tea.Model) (tea.Model, error) {
	if o.RunProgram != nil {
		return o.RunProgram(ctx, m)
	}
	return tea.NewProgram(m, tea.WithContext(ctx)).Run()
}

// trailSources are the trail sources the flags name, in the order read.
func (o respondOptions) trailSources() []runbook.TrailSource {
	var out []runbook.TrailSource
	if o.trailDir != "" {
		out = append(out, runbook.TrailSource{Kind: runbook.TrailLocal, Location: o.trailDir})
	}
	if o.trailS3 != "" && !o.athenaCreate {
		out = append(out, runbook.TrailSource{Kind: runbook.TrailS3, Location: o.trailS3})
	}
	if o.athenaTable != "" {
		out = append(out, runbook.TrailSource{Kind: runbook.TrailAthena, Workgroup: o.athenaWorkgroup, Table: o.athenaTable,
			Output: o.athenaOut, DatePartition: o.athenaPartition, CreateTable: o.athenaCreate, Location: o.trailS3})
	}
	if o.lakeStore != "" {
		out = append(out, runbook.TrailSource{Kind: runbook.TrailLake, EventDataStore: o.lakeStore})
	}
	return out
}
