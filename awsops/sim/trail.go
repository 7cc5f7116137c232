package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The trail stores events compactly: what was called (eventKind), by whom
// (actor), from where (origin) and how it failed are interned once, so an
// event is a few integers and seeding 100,000+ events stays well under a
// second. Record JSON is rendered only when LookupEvents serves an event.

// eventKind is what an event records about the call itself.
type eventKind struct {
	source, name, region string
	readOnly             bool
	// params and resources are shared by every event of a periodic call;
	// one-off calls carry theirs in eventDetail.
	params    json.RawMessage
	resources []eventResource
	nameID    uint32
	regionID  uint32
}

type kindKey struct {
	source, name, region string
	readOnly             bool
	spec                 int // periodic call number, or -1 for one-off calls
}

// actor is who made the call, frozen at the time (a user deleted later
// still shows as who it was).
type actor struct {
	kind        string // Root, IAMUser, AssumedRole, AWSService
	principalID string
	arn         string
	account     string
	keyID       string
	userName    string // userIdentity.userName (IAM users)
	lookupUser  string // LookupEvents' Username
	invokedBy   string
	issuer      *sessionIssuer
	sessionAt   time.Time
	keyIDID     uint32 // interned keyID, 0 if none
	userID      uint32 // interned lookupUser, 0 if none
}

type sessionIssuer struct {
	kind                       string // Role (empty), IAMUser, Root
	principalID, arn, userName string
}

type origin struct{ ip, userAgent string }

type failure struct{ code, message string }

type eventResource struct {
	Type string `json:"ResourceType"`
	Name string `json:"ResourceName"`
}

// event is one stored CloudTrail event; its position in trail.events is
// its sequence number, from which eventID and requestID derive.
type event struct {
	at     int64 // Unix milliseconds on the sim clock
	kind   uint32
	actor  uint32
	origin uint32
	fail   uint32 // 0: success
	detail *eventDetail
}

type eventDetail struct {
	params, response json.RawMessage
	resources        []eventResource
	// requestID overrides the derived one so the HTTP reply and the event
	// agree.
	requestID string
}

// Lookup attribute indexes kept per region.
const (
	idxRegion uint8 = iota
	idxAccessKey
	idxUser
	idxName
)

type idxKey struct {
	attr   uint8
	region uint32
	val    uint32
}

type trail struct {
	seed      uint64
	events    []event
	kinds     []eventKind
	kindIDs   map[kindKey]uint32
	actors    []actor
	origins   []origin
	originIDs map[origin]uint32
	fails     []failure
	failIDs   map[failure]uint32
	strs      map[string]uint32
	lists     [][]uint32
	listOf    map[idxKey]int
	// combos caches the four list numbers of a (kind, actor) pair: one map
	// lookup per event instead of four.
	combos map[[2]uint32][4]int32
}

func newTrail(seed uint64) *trail {
	return &trail{
		seed:      seed,
		kindIDs:   map[kindKey]uint32{},
		originIDs: map[origin]uint32{},
		fails:     []failure{{}},
		failIDs:   map[failure]uint32{},
		strs:      map[string]uint32{"": 0},
		listOf:    map[idxKey]int{},
		combos:    map[[2]uint32][4]int32{},
	}
}

func (t *trail) intern(s string) uint32 {
	if id, ok := t.strs[s]; ok {
		return id
	}
	id := uint32(len(t.strs))
	t.strs[s] = id
	return id
}

func (t *trail) kind(k kindKey, params json.RawMessage, res []eventResource) uint32 {
	if id, ok := t.kindIDs[k]; ok {
		return id
	}
	id := uint32(len(t.kinds))
	t.kinds = append(t.kinds, eventKind{source: k.source, name: k.name, region: k.region,
		readOnly: k.readOnly, params: params, resources: res,
		nameID: t.intern(k.name), regionID: t.intern(k.region)})
	t.kindIDs[k] = id
	return id
}

// addActor interns nothing: actors are few (one per principal and key) and
// the caller keeps the number.
func (t *trail) addActor(a actor) uint32 {
	a.keyIDID = 0
	if a.keyID != "" {
		a.keyIDID = t.intern(a.keyID)
	}
	a.userID = 0
	if a.lookupUser != "" {
		a.userID = t.intern(a.lookupUser)
	}
	t.actors = append(t.actors, a)
	return uint32(len(t.actors) - 1)
}

func (t *trail) origin(o origin) uint32 {
	if id, ok := t.originIDs[o]; ok {
		return id
	}
	id := uint32(len(t.origins))
	t.origins = append(t.origins, o)
	t.originIDs[o] = id
	return id
}

func (t *trail) failure(f failure) uint32 {
	if f.code == "" {
		return 0
	}
	if id, ok := t.failIDs[f]; ok {
		return id
	}
	id := uint32(len(t.fails))
	t.fails = append(t.fails, f)
	t.failIDs[f] = id
	return id
}

func (t *trail) list(k idxKey) int32 {
	if i, ok := t.listOf[k]; ok {
		return int32(i)
	}
	t.lists = append(t.lists, nil)
	t.listOf[k] = len(t.lists) - 1
	return int32(len(t.lists) - 1)
}

// add appends events, which must not be older than the newest stored one,
// and indexes them.
func (t *trail) add(evs ...event) {
	for _, ev := range evs {
		pos := uint32(len(t.events))
		t.events = append(t.events, ev)
		combo, ok := t.combos[[2]uint32{ev.kind, ev.actor}]
		if !ok {
			k, a := &t.kinds[ev.kind], &t.actors[ev.actor]
			combo = [4]int32{t.list(idxKey{idxRegion, k.regionID, 0}), -1, -1,
				t.list(idxKey{idxName, k.regionID, k.nameID})}
			if a.keyIDID != 0 {
				combo[1] = t.list(idxKey{idxAccessKey, k.regionID, a.keyIDID})
			}
			if a.userID != 0 {
				combo[2] = t.list(idxKey{idxUser, k.regionID, a.userID})
			}
			t.combos[[2]uint32{ev.kind, ev.actor}] = combo
		}
		for _, l := range combo {
			if l >= 0 {
				t.lists[l] = append(t.lists[l], pos)
			}
		}
	}
}

// mix64 is SplitMix64's finaliser: a cheap, well-spread hash of one word.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const mask48 = 1<<48 - 1

// eventID is a UUID-shaped ID whose last 48 bits encode the event's position
// (masked by the seed), so a lookup by EventId needs no extra index.
func (t *trail) eventID(pos uint32) string {
	h := mix64(t.seed ^ uint64(pos)<<1)
	tail := (uint64(pos) ^ mix64(t.seed)) & mask48
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff,
		0x8000|uint16(h>>48)&0x3fff, tail)
}

// eventPos decodes an eventID back to a position, or reports false.
func (t *trail) eventPos(id string) (uint32, bool) {
	if len(id) != 36 {
		return 0, false
	}
	var tail uint64
	if _, err := fmt.Sscanf(id[24:], "%012x", &tail); err != nil {
		return 0, false
	}
	pos := (tail ^ mix64(t.seed)) & mask48
	if pos >= uint64(len(t.events)) || t.eventID(uint32(pos)) != id {
		return 0, false
	}
	return uint32(pos), true
}

// requestID is the request ID the event's call was answered with.
func (t *trail) requestID(pos uint32) string {
	if d := t.events[pos].detail; d != nil && d.requestID != "" {
		return d.requestID
	}
	return uuidFrom(mix64(t.seed^0x5eed^uint64(pos)<<2), mix64(uint64(pos)+t.seed))
}

func uuidFrom(a, b uint64) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff,
		0x8000|uint16(b>>48)&0x3fff, b&mask48)
}

// searchAfter returns the first index in list whose event is newer than at.
func (t *trail) searchAfter(list []uint32, at int64) int {
	i, _ := slices.BinarySearchFunc(list, at+1, func(pos uint32, target int64) int {
		return compareInt64(t.events[pos].at, target)
	})
	return i
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
