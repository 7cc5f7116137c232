package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/keyrunbook/keyrunbook/awsops/quota"
)

// DefaultStart is where the simulated clock starts unless WithStart says
// otherwise: fixed, so that runs are deterministic.
var DefaultStart = time.Date(2025, time.June, 2, 9, 30, 0, 0, time.UTC)

// DefaultLookupRate is CloudTrail's LookupEvents quota (awsops/quota).
const DefaultLookupRate = quota.LookupEventsPerSecond

// Sim is a simulated AWS account served over the real AWS wire protocols.
// It is safe for concurrent use: one mutex guards the account, the clock and
// the trail.
type Sim struct {
	// fieldLimit is TrailFieldLimit unless a test lowered it.
	fieldLimit int
	mu         sync.Mutex
	sc         *Scenario
	plan       *compiled
	services   catalog // the operations served, assembled by the constructor
	seed       uint64
	ids        *ids
	start      time.Time
	now        time.Time
	acct       *account
	trail      *trail
	keyRefs    map[string]string // scenario key ref → key ID
	faults     []Fault           // WithFaults: injected in front of the account
	workloads  []*workload
	nextStep   int // plan.steps before this one have run
	batch      []event
	actorIDs   map[string]uint32
	requests   []RequestRecord
	reqSeq     uint64

	responderKey string
	responderIP  string

	lookupRate float64
	limMu      sync.Mutex
	limiters   map[string]*rate.Limiter

	org *organization // the organization the account manages, or nil (org.go)
	// memberOf is DescribeOrganization's answer in a member simulated
	// whole, and scps the service control policies attached to it
	// (org_full.go, org_scp.go).
	memberOf any
	scps     []scp
}

// Option configures New.
type Option func(*options)

type options struct {
	seed       int64
	throttle   float64
	start      time.Time
	fieldLimit int
	faults     []Fault

	orgSTS, orgIAM float64 // WithOrgLimits (org.go)
	orgLimits      bool
}

// TrailFieldLimit is the largest requestParameters or responseElements
// CloudTrail records; past it the field is replaced by {"omitted": true}
// ("CloudTrail truncates a field if the field's contents exceeds the
// maximum field size. If a field is truncated, omitted is present with a
// value of true", CloudTrail record contents; 100 KB for these two).
const TrailFieldLimit = 100 * 1024

// WithTrailFieldLimit lowers the size past which a record's parameters or
// response are omitted, so a test can omit them with a small call.
func WithTrailFieldLimit(n int) Option { return func(o *options) { o.fieldLimit = n } }

// WithSeed sets the seed of every generated ID, secret and schedule jitter:
// the same scenario and seed give the same history.
func WithSeed(seed int64) Option { return func(o *options) { o.seed = seed } }

// WithThrottle sets LookupEvents' rate per region per second; 0 turns
// throttling off.
func WithThrottle(rps float64) Option { return func(o *options) { o.throttle = rps } }

// WithFaults puts the fault layer (faults.go) in front of the account
// Start serves and Handler returns.
func WithFaults(faults ...Fault) Option {
	return func(o *options) { o.faults = append(o.faults, faults...) }
}

// WithStart sets the simulated clock's start; history is seeded before it.
func WithStart(t time.Time) Option { return func(o *options) { o.start = t.UTC() } }

// New builds the account a scenario describes and seeds 90 days of its
// workloads' history into CloudTrail.
func New(sc *Scenario, opts ...Option) (*Sim, error) {
	s, err := newUnseeded(sc, opts...)
	if err != nil {
		return nil, err
	}
	s.seedHistory()
	return s, nil
}

// newUnseeded builds the account and its workloads with an empty trail.
func newUnseeded(sc *Scenario, opts ...Option) (*Sim, error) {
	if sc == nil {
		return nil, errors.New("new sim: nil scenario")
	}
	// The scenario's declared limit, unless a test lowers it.
	o := options{seed: 1, throttle: DefaultLookupRate, start: DefaultStart, fieldLimit: cmp.Or(sc.TrailFieldLimit, TrailFieldLimit)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.throttle < 0 {
		return nil, fmt.Errorf("new sim: throttle %v: must be 0 (off) or positive", o.throttle)
	}
	services := newCatalog() // every service's operations, each from its own file
	cp, err := compile(sc, services)
	if err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	acctNum, _ := strconv.ParseUint(sc.Account.ID, 10, 64)
	seed := uint64(o.seed)
	s := &Sim{sc: sc, plan: cp, services: services, seed: seed, start: o.start, now: o.start,
		ids:        &ids{rng: rand.New(rand.NewPCG(seed, 0x6b657972756e626f)), account: acctNum},
		trail:      newTrail(seed),
		keyRefs:    map[string]string{},
		actorIDs:   map[string]uint32{},
		lookupRate: o.throttle, limiters: map[string]*rate.Limiter{}, fieldLimit: o.fieldLimit,
		responderIP: orDefault(sc.Responder.SourceIP, "203.0.113.50"), faults: o.faults}
	s.acct = buildAccount(sc, cp, s.ids, s.start, s.keyRefs)
	if s.org, err = buildOrg(sc, o, s.ids, s.start, s.keyRefs, s.acct.keyAccounts); err != nil {
		return nil, fmt.Errorf("new sim: %w", err)
	}
	s.linkMembers()
	s.setUpResponder()
	s.setUpWorkloads()
	return s, nil
}

// setUpResponder picks the responder's key, creating one for a principal of
// another account.
func (s *Sim) setUpResponder() {
	r := s.sc.Responder
	if r.User != "" {
		for _, id := range s.acct.users[r.User].keys {
			if s.acct.keys[id].status == statusActive {
				s.responderKey = id
				break
			}
		}
		return
	}
	ext, _ := strconv.ParseUint(r.ExternalAccount, 10, 64)
	g := &ids{rng: s.ids.rng, account: ext}
	k := &accessKey{id: g.accessKeyID("AKIA"), secret: g.secret(), status: statusActive,
		created: s.start.Add(-30 * 24 * time.Hour)}
	k.session = &principal{kind: typeIAMUser, account: r.ExternalAccount, name: r.ExternalUser,
		id: g.uniqueID("AIDA"), arn: "arn:aws:iam::" + r.ExternalAccount + ":user/" + r.ExternalUser}
	s.acct.keys[k.id] = k
	s.acct.keyAccounts[k.id] = r.ExternalAccount
	s.responderKey = k.id
}

// Scenario returns the scenario the sim runs; treat it as read-only.
func (s *Sim) Scenario() *Scenario { return s.sc }

// AccountID is the simulated account's ID.
func (s *Sim) AccountID() string { return s.sc.Account.ID }

// ExposedAt is when the scenario's brief says the key was exposed, or zero
// when it does not say (or says it in a form LoadScenario rejects).
func (s *Sim) ExposedAt() time.Time {
	d, err := offsetOr("exposedAt", s.sc.ExposedAt, 0)
	if err != nil || s.sc.ExposedAt == "" {
		return time.Time{}
	}
	return s.start.Add(d)
}

// LeakedKeyID is the access key ID the incident is about.
func (s *Sim) LeakedKeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyRefs[s.sc.LeakedKey]
}

// KeyCredentials resolves a scenario key ref (including keys created by
// steps that have run) to its credentials, while the key exists: to play a
// workload or the attacker by hand against a served sim.
func (s *Sim) KeyCredentials(ref string) (accessKeyID, secret string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.acct.keys[s.keyRefs[ref]]
	if k == nil {
		return "", "", false
	}
	return k.id, k.secret, true
}

// ResponderCredentials are the keys a trainee acts with.
func (s *Sim) ResponderCredentials() (accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.acct.keys[s.responderKey]
	if k == nil {
		return s.responderKey, ""
	}
	return k.id, k.secret
}

// Now is the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Advance moves the simulated clock forward by d, running the workloads for
// that span: their calls land in CloudTrail at their simulated times, and a
// workload whose key no longer works fails and turns unhealthy.
func (s *Sim) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	s.runRange(s.now, s.now.Add(d))
	s.now = s.now.Add(d)
	s.mu.Unlock()
	s.advanceMembers(d)
}

// FollowWallClock advances the simulated clock with the wall clock, speed
// simulated seconds per real second, until ctx ends: what a standalone
// server wants.
func (s *Sim) FollowWallClock(ctx context.Context, speed float64) {
	if speed <= 0 {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.Advance(time.Duration(speed * float64(time.Second)))
		}
	}
}

// Handler is the account as served: behind the fault layer when WithFaults
// gave it rules, else the account itself.
func (s *Sim) Handler() http.Handler { return Faulty(s, s.faults...) }

// Start serves the sim on a loopback port. stop shuts the server down.
func (s *Sim) Start() (endpointURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start sim: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // Serve returns ErrServerClosed on stop.
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// RequestRecord is one HTTP request the sim answered, for tests that check
// what a client did (a dry run must not have mutated anything).
type RequestRecord struct {
	At          time.Time
	Service     string
	Action      string
	Region      string
	AccessKeyID string
	// Mutating is true for actions that change state, whether or not they
	// succeeded.
	Mutating  bool
	ErrorCode string
	Status    int
}

// Requests returns the HTTP requests answered so far, oldest first.
func (s *Sim) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.requests...)
}

// EventCount is the number of CloudTrail events recorded, all regions and
// all ages.
func (s *Sim) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.trail.events)
}

// limiter returns region's LookupEvents limiter, or nil when off.
func (s *Sim) limiter(region string) *rate.Limiter {
	if s.lookupRate == 0 {
		return nil
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[region]
	if l == nil {
		burst := max(1, int(s.lookupRate))
		l = rate.NewLimiter(rate.Limit(s.lookupRate), burst)
		s.limiters[region] = l
	}
	return l
}
