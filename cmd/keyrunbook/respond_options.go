package main

import (
	"time"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// respondOptions is the respond command in the shape of the GitHub CLI's
// commands: the flags' values, and the dependencies injected (deps), so a
// test calls respondRun without flags, without a terminal and without AWS.
type respondOptions struct {
	deps
	IO streams

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
