package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// maxDemoMoves bounds a played response: a model that stops making
// progress must end with an error, not loop.
const maxDemoMoves = 200

// player plays the model response of one scenario headless, through the
// engine and the training executor, as `train --demo --no-tui` does.
type player struct {
	tr   *training
	en   *runbook.Engine
	j    *runbook.Journal
	plan *modelPlan
	log  string
	// say receives the narration, one decision at a time.
	say func(step runbook.Step, why string)
	// exec wraps the training executor (tests read the watch through it).
	exec runbook.Executor
}

// newPlayer starts a simulated account for sc at speed 0 (the clock jumps
// instead of waiting) and a journal at path.
func newPlayer(ctx context.Context, sc *sim.Scenario, path string, watch time.Duration) (*player, error) {
	tr, err := startTraining(ctx, sc, 0, watch)
	if err != nil {
		return nil, err
	}
	return newPlayerOn(tr, sc, path, watch)
}

// newPlayerOn plays sc's model response in tr, which the player stops.
func newPlayerOn(tr *training, sc *sim.Scenario, path string, watch time.Duration) (*player, error) {
	j, err := runbook.CreateJournal(path, string(runbook.ModeTraining), "", tr.sim.Now)
	if err != nil {
		tr.stop()
		return nil, fmt.Errorf("create the action log: %w", err)
	}
	en, err := runbook.StartEngine(runbook.Config{Mode: runbook.ModeTraining, WatchWindow: watch, Scenario: sc.Name}, j)
	if err != nil {
		j.Close()
		tr.stop()
		return nil, err
	}
	return &player{tr: tr, en: en, j: j, log: path, exec: tr.exec,
		plan: newModelPlan(sc, tr.sim), say: func(runbook.Step, string) {}}, nil
}

func (p *player) close() {
	p.j.Close()
	p.tr.stop()
}

// play runs the model response to the end: each move narrated, then run
// with every effect that follows.
func (p *player) play(ctx context.Context) error {
	for range maxDemoMoves {
		st := p.en.Machine().State()
		if st.Effects.LastError != nil {
			return fmt.Errorf("%s failed: %s", st.Effects.LastError.Effect, st.Effects.LastError.Message)
		}
		if st.Step == runbook.StepWatch && st.Watch.Ended {
			var what []string
			for _, b := range st.Watch.Blockers() {
				what = append(what, b.What)
			}
			return fmt.Errorf("the watch ended with the deletion blocked: %s", strings.Join(what, "; "))
		}
		mv, ok := p.plan.next(st)
		if !ok {
			return nil
		}
		if mv.event == nil {
			return fmt.Errorf("the model has no move at %s and nothing is running", st.Step.Title())
		}
		if mv.wait > 0 {
			p.tr.advance(mv.wait)
		}
		p.say(st.Step, mv.why)
		if err := p.en.Run(ctx, p.exec, mv.event); err != nil {
			return fmt.Errorf("%s at %s: %w", mv.event.EventName(), st.Step.Title(), err)
		}
		if after := p.en.Machine().State(); after.Watch.Passed && !st.Watch.Passed {
			p.say(runbook.StepWatch, watchWhy(after))
		}
	}
	return fmt.Errorf("the model made %d moves without closing the incident", maxDemoMoves)
}

// playDemoHeadless plays the model response of each scenario, narrating to
// out, and writes each one's action log and debrief. It fails when one
// does not close with 100.
func playDemoHeadless(ctx context.Context, scenarios []*sim.Scenario, o trainOptions, out io.Writer) error {
	var failed []string
	for _, sc := range scenarios {
		path := o.logPath
		if path == "" || len(scenarios) > 1 {
			path = defaultLogName("demo-"+sc.Name, time.Now())
			if o.logPath != "" {
				path = filepath.Join(filepath.Dir(o.logPath), path)
			}
		}
		fmt.Fprintf(out, "== %s: %s\n", sc.Name, sc.Brief)
		if sc.Organization != nil {
			// An organization's campaign: several runbooks (org_campaign.go).
			if err := playCampaign(ctx, sc, path, o.watch, out); err != nil {
				fmt.Fprintf(out, "   FAILED: %v\n", err)
				failed = append(failed, sc.Name)
			}
			continue
		}
		db, err := demoOne(ctx, sc, path, o.watch, out)
		if err != nil {
			fmt.Fprintf(out, "   FAILED: %v\n", err)
			failed = append(failed, sc.Name)
			continue
		}
		fmt.Fprint(out, db.Text())
		fmt.Fprintf(out, "Action log: %s\n\n", path)
		if db.Score != 100 {
			failed = append(failed, sc.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("demo: the model response did not close with 100 in %s", strings.Join(failed, ", "))
	}
	return nil
}

func demoOne(ctx context.Context, sc *sim.Scenario, path string, watch time.Duration, out io.Writer) (runbook.Debrief, error) {
	p, err := newPlayer(ctx, sc, path, watch)
	if err != nil {
		return runbook.Debrief{}, err
	}
	defer p.close()
	p.say = func(step runbook.Step, why string) {
		fmt.Fprintf(out, "%-12s %s\n", step.Title(), why)
	}
	if err := p.play(ctx); err != nil {
		return runbook.Debrief{}, err
	}
	if st := p.en.Machine().State(); st.Step != runbook.StepClosed {
		return runbook.Debrief{}, fmt.Errorf("ended at %s", st.Step.Title())
	}
	return debrief(p.j, path, p.plan.drill, unhealthy(p.tr.sim), 0)
}
