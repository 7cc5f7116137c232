package runbook

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// eventPool holds every kind of event, with values that sometimes fit the
// state and often do not, so random sequences probe the guards.
func eventPool() []Event {
	var pool []Event
	for _, st := range path {
		pool = append(pool, st.events...)
	}
	other := sameAccount()
	other.Caller.Account = "999988887777"
	selfKey := sameAccount()
	selfKey.Caller.AccessKeyID = testKey
	iamUser := sameAccount()
	iamUser.Key.Root, iamUser.Key.User = false, "ci-deployer"
	pool = append(pool,
		other, selfKey, iamUser,
		SubmitKey{KeyID: "ASIAIOSFODNN7EXAMPLE"},
		SweepProgress{Region: RegionSweep{Region: "eu-west-1", State: RegionThrottled}},
		RelabelCaller{CallerID: "c-evil", Label: LabelLegitimate},
		RelabelCaller{CallerID: "c-cron", Label: LabelAttacker},
		DecideProposal{CallerID: "c-cron", Decision: DecisionExported},
		DecideProposal{CallerID: "c-ec2", Decision: DecisionNotOurs},
		DecideProposal{CallerID: "c-evil", Decision: DecisionApply},
		ProposalsReady{Proposals: []Proposal{{CallerID: "c-evil", Kind: ReplaceIAMUser, Name: "x", Policy: okPolicy}}},
		VerifyMoves{},
		BackToProposals{},
		CallerMoved{CallerID: "c-ec2", Moved: true},
		CallerMoved{CallerID: "c-cron", Moved: false},
		ProceedToDeactivate{Override: "accepted risk"},
		WatchObserved{At: t0.Add(70 * time.Minute)},
		WatchObserved{At: t0.Add(3 * time.Hour), KeyUses: 1},
		WatchObserved{At: t0.Add(4 * time.Hour)},
		WatchObserved{At: t0.Add(5 * time.Hour), Alarms: []string{"5xx"}},
		RestartWatch{},
		RequestReactivate{Reason: "impact"},
		KeyReactivated{At: t0.Add(6 * time.Hour)},
		KeyStatusRead{Status: KeyInactive, At: t0.Add(5 * time.Hour)},
		KeyStatusRead{Status: KeyActive, At: t0.Add(5 * time.Hour)},
		ConfirmDelete{Typed: "XXXX"},
		CleanUp{Resource: fixtureInvestigation().BlastRadius[0]},
		ResourceCleanedUp{Resource: fixtureInvestigation().BlastRadius[0]},
		RecheckHardening{},
		Retry{},
		Abort{Reason: "drill over"},
		EffectFailed{Effect: "DeactivateKey", Code: "AccessDenied"},
		EffectFailed{Effect: "DeleteKey", Code: "Throttling"},
		EffectFailed{Effect: "PollWatch", Code: "Throttling"},
		EffectFailed{Effect: "ApplyReplacement", Code: "EntityAlreadyExists"},
		EffectFailed{Effect: "IdentifyKey", Code: "AccessDenied"},
	)
	return pool
}

// TestRandomSequencesKeepTheInvariants drives thousands of random event
// sequences and checks after every event what must always hold.
func TestRandomSequencesKeepTheInvariants(t *testing.T) {
	pool := eventPool()
	var forward []Event
	for _, st := range path {
		forward = append(forward, st.events...)
	}
	// furthest returns the event of the ordinary path, furthest along, that
	// the machine accepts now: half the moves play it, so sequences get deep.
	furthest := func(m *Machine) Event {
		for i := len(forward) - 1; i >= 0; i-- {
			if _, err := m.Clone().Apply(forward[i]); err == nil {
				return forward[i]
			}
		}
		return forward[0]
	}
	var reachedDelete, reachedClosed, mutations int
	for seed := uint64(1); seed <= 1500; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		m := New(Config{Mode: ModeLive})
		deactivated := false // a KeyDeactivated was accepted and not rolled back
		for i := 0; i < 120; i++ {
			ev := pool[rng.IntN(len(pool))]
			if rng.IntN(2) == 0 {
				ev = furthest(m)
			}
			before := m.Clone()
			effects, err := m.Apply(ev)
			if err != nil {
				if !reflect.DeepEqual(before, m) {
					t.Fatalf("seed %d: refused %s changed the state", seed, ev.EventName())
				}
				continue
			}
			if before.Step().Final() {
				t.Fatalf("seed %d: %s accepted after the incident was %s", seed, ev.EventName(), before.Step())
			}
			switch ev.(type) {
			case KeyDeactivated:
				deactivated = true
			case KeyReactivated:
				deactivated = false
			}
			st := m.State()
			for _, e := range effects {
				if !e.Mutates() {
					continue
				}
				mutations++
				if !st.Intake.Identified || st.Intake.Caller.Account != st.Intake.Key.Account {
					t.Fatalf("seed %d: mutating %s while caller account %q differs from key account %q", seed, e.EffectName(), st.Intake.Caller.Account, st.Intake.Key.Account)
				}
				if st.Intake.Caller.AccessKeyID == st.KeyID {
					t.Fatalf("seed %d: mutating %s with the leaked key's own credentials", seed, e.EffectName())
				}
				if _, ok := e.(DeleteKey); ok {
					reachedDelete++
					if !deactivated || st.Intake.Key.Status != KeyInactive || !st.Watch.Passed {
						t.Fatalf("seed %d: DeleteKey asked for without a standing deactivation and a passed watch (deactivated %v, status %s, passed %v)", seed, deactivated, st.Intake.Key.Status, st.Watch.Passed)
					}
				}
			}
			if st.Step == StepClosed {
				reachedClosed++
			}
		}
	}
	// The invariants mean little if random play never gets that far.
	if reachedDelete == 0 || mutations == 0 {
		t.Fatalf("random sequences never reached a deletion (%d) or any mutation (%d): the pool is too weak", reachedDelete, mutations)
	}
	t.Logf("mutations %d, deletions %d, closings %d", mutations, reachedDelete, reachedClosed)
}
