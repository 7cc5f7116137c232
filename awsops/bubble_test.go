package awsops

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/keyrunbook/keyrunbook/awsops/sim"
	"github.com/keyrunbook/keyrunbook/runbook"
)

// handlerClient hands each request straight to the simulated account's
// handler, without a socket. Tests that pace calls run in a synctest bubble,
// whose clock moves only when every goroutine in it waits on time or on
// another goroutine; a goroutine waiting on a socket would hold it still.
// The SDK clients are the real ones: only the transport is in memory.
type handlerClient struct{ h http.Handler }

func (c handlerClient) Do(r *http.Request) (*http.Response, error) {
	// What a server sees of a client's request: a body even when empty,
	// the request line, the host.
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = r.URL.RequestURI()
	if in.Host == "" {
		in.Host = r.URL.Host
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, in)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// bubbleConfig signs in to s as its responder through LoadConfig, over a
// handlerClient. h, when set, wraps the sim's handler (to watch requests).
func bubbleConfig(t *testing.T, s *sim.Sim, h func(http.Handler) http.Handler) aws.Config {
	t.Helper()
	isolate(t)
	var handler http.Handler = s.Handler()
	if h != nil {
		handler = h(handler)
	}
	id, secret := s.ResponderCredentials()
	cfg, err := LoadConfig(context.Background(), Target{
		Region:      "us-east-1",
		Endpoint:    "http://sim.invalid",
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient:  handlerClient{handler},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func loadSim(t *testing.T, scenario string, opts ...sim.Option) *sim.Sim {
	t.Helper()
	sc, err := sim.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lookupTimes records when each LookupEvents request reached the account,
// by region (from the signature's credential scope).
type lookupTimes struct {
	mu       sync.Mutex
	byRegion map[string][]time.Time
}

func (l *lookupTimes) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".LookupEvents") {
			// Credential=AKID/DATE/REGION/SERVICE/aws4_request
			if scope := strings.Split(r.Header.Get("Authorization"), "/"); len(scope) > 2 {
				l.mu.Lock()
				l.byRegion[scope[2]] = append(l.byRegion[scope[2]], time.Now())
				l.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestLookupQuotaSharedByReaders runs the sweep and the watch's lookup of
// one region at once, as the TUI does when a watch reading overlaps an
// investigation, and checks that together they keep to CloudTrail's 2
// LookupEvents per second per region: one bucket, not one per reader. The
// clock is synctest's, so the check is exact and independent of load.
func TestLookupQuotaSharedByReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const region = "eu-west-1"
		s := loadSim(t, "root-key-ec2-onprem", sim.WithThrottle(0))
		seen := &lookupTimes{byRegion: map[string][]time.Time{}}
		x := NewExecutor(bubbleConfig(t, s, seen.wrap), ExecutorOptions{})
		x.clients.SweepRate = 0 // AWS's quota
		from, to := s.Now().Add(-7*time.Hour), s.Now()
		var (
			wg       sync.WaitGroup
			res      SweepResult
			sweepErr error
			recs     []TrailRecord
			readErr  error
		)
		wg.Go(func() {
			res, sweepErr = Sweep(t.Context(), x.Clients(), SweepRequest{KeyID: s.LeakedKeyID(), From: from, To: to, Regions: []string{region}}, nil)
		})
		wg.Go(func() {
			recs, readErr = x.lookup(t.Context(), region, cttypes.LookupAttributeKeyAccessKeyId, s.LeakedKeyID(), from, to)
		})
		wg.Wait()
		if sweepErr != nil || readErr != nil {
			t.Fatalf("sweep: %v; lookup: %v", sweepErr, readErr)
		}
		i := slices.IndexFunc(res.Investigation.Regions, func(r runbook.RegionSweep) bool { return r.Region == region })
		if i < 0 || res.Investigation.Regions[i].Pages < 4 || len(recs) == 0 {
			t.Fatalf("sweep %+v, lookup %d records: want both readers to have read several pages", res.Investigation.Regions, len(recs))
		}
		times := seen.byRegion[region]
		if len(times) <= res.Investigation.Regions[i].Pages {
			t.Fatalf("%d LookupEvents in %s, sweep alone read %d pages: the watch's lookup did not run alongside", len(times), region, res.Investigation.Regions[i].Pages)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		// At most 2 requests in any second: the third after a request is
		// a full second later. (The bucket's arithmetic is in float
		// seconds; a microsecond is its rounding, not a burst.)
		for k := 2; k < len(times); k++ {
			if gap := times[k].Sub(times[k-2]); gap < time.Second-time.Microsecond {
				t.Fatalf("requests %d to %d of %d within %v: more than 2 per second in %s", k-1, k+1, len(times), gap, region)
			}
		}
	})
}
