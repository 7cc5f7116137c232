package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
	"github.com/keyrunbook/keyrunbook/tui"
)

// playCampaignTUI is `train --demo` of an organization's scenario in a
// terminal: the audit and the bulk retirement narrated on stderr, then
// each member's runbook played in the TUI, paced for a reader.
func playCampaignTUI(ctx context.Context, sc *sim.Scenario, o trainOptions, io streams) error {
	path := o.logPath
	if path == "" {
		path = defaultLogName("training-"+sc.Name, o.now())
	}
	c, stop, err := startCampaign(ctx, sc, path, io.err)
	if err != nil {
		return err
	}
	defer stop()
	accounts, err := c.inUse(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if err := c.pick(a); err != nil {
			return err
		}
		tr, err := c.memberTraining(a.Account, o.watch)
		if err != nil {
			return err
		}
		log := filepath.Join(filepath.Dir(path), defaultLogName("training-"+a.Name, o.now()))
		p, err := newPlayerOn(tr, tr.sc, log, o.watch)
		if err != nil {
			return err
		}
		p.plan.orgMember = true
		demo := &tui.Demo{Pace: o.pace, Next: func(st runbook.State) (string, runbook.Event, bool) {
			mv, ok := p.plan.next(st)
			if !ok {
				return "", nil, true
			}
			if mv.event != nil && mv.wait > 0 {
				tr.advance(mv.wait)
			}
			return mv.why, mv.event, false
		}}
		final, err := o.runProgram(ctx, tui.New(tui.Options{Engine: p.en, Executor: tr.exec, LogPath: log, KeyID: tr.sim.LeakedKeyID(),
			Training: &tui.TrainingInfo{Scenario: tr.sc.Name, Brief: sc.Brief, ClockSpeed: "simulated time, jumps while waiting", Hints: hint},
			Now:      c.sim.Now, Export: exportProposal, Plan: tr.exec.Plan, Demo: demo}))
		if err != nil {
			p.close()
			return fmt.Errorf("training: %w (the action log is %s)", err, log)
		}
		db, err := debrief(p.j, log, p.plan.drill, unhealthy(tr.sim), final.(tui.Model).HintsUsed())
		p.close()
		if err != nil {
			return err
		}
		fmt.Fprint(io.out, db.Text())
		fmt.Fprintf(io.out, "Action log: %s\n", log)
	}
	return nil
}
