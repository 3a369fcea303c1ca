package track

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// sim is a make-believe Go process whose goroutines the tests script: it
// hands out IDs as the runtime does (increasing), remembers when each
// goroutine entered its state (for the runtime's wait minutes) and prints
// snapshots as stackparse would group them.
type sim struct {
	now    time.Time
	next   int64
	live   map[int64]*simG
	shapes map[string]simShape
	rng    *rand.Rand
	born   int // goroutines spawned after the first snapshot
	snaps  int
}

type simShape struct {
	state   string
	line    int
	creator string // the creating function, when not the group's own
}

type simG struct {
	id, parent int64
	key        string
	since      time.Time // entered its current state
	leaked     bool
	labels     []stackparse.Label
}

var simStart = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

func newSim() *sim {
	return &sim{
		now:    simStart,
		next:   1,
		live:   map[int64]*simG{},
		shapes: map[string]simShape{},
		rng:    rand.New(rand.NewPCG(1, 2)),
	}
}

// shape declares the state of a group; keys not declared are "chan
// receive".
func (s *sim) shape(key, state string) {
	s.shapes[key] = simShape{state: state, line: 10 + len(s.shapes)}
}

// createdBy makes groups share one creation site.
func (s *sim) createdBy(site string, keys ...string) {
	for _, key := range keys {
		sh, ok := s.shapes[key]
		if !ok {
			sh = simShape{state: "chan receive", line: 10 + len(s.shapes)}
		}
		sh.creator = site
		s.shapes[key] = sh
	}
}

// creator is the creation site of a group's goroutines.
func (s *sim) creator(key string) string {
	if sh := s.shapes[key]; sh.creator != "" {
		return sh.creator
	}
	return key + ".spawn"
}

func (s *sim) state(key string) string {
	if sh, ok := s.shapes[key]; ok {
		return sh.state
	}
	return "chan receive"
}

// spawnAged starts n goroutines in group key that have waited age already
// (they were there before gorotop looked), oldest first.
func (s *sim) spawnAged(key string, n int, age time.Duration) []int64 {
	ids := make([]int64, n)
	for i := range n {
		ids[i] = s.next
		g := &simG{id: s.next, key: key, since: s.now.Add(-age)}
		s.live[s.next] = g
		s.next++
	}
	if s.snaps > 0 {
		s.born += n
	}
	return ids
}

// spawn starts n goroutines in group key now.
func (s *sim) spawn(key string, n int) []int64 { return s.spawnAged(key, n, 0) }

// spawnBy starts n goroutines in group key, created by parent.
func (s *sim) spawnBy(key string, parent int64, n int) []int64 {
	ids := s.spawn(key, n)
	for _, id := range ids {
		s.live[id].parent = parent
	}
	return ids
}

// skip burns n IDs: goroutines that came and went between two snapshots.
func (s *sim) skip(n int) { s.next += int64(n) }

func (s *sim) exit(ids ...int64) {
	for _, id := range ids {
		delete(s.live, id)
	}
}

// move puts a goroutine in another group (its state changed). Its
// creation site stays: the two groups must share one (createdBy).
func (s *sim) move(id int64, key string) {
	if g := s.live[id]; g != nil && g.key != key {
		if s.creator(g.key) != s.creator(key) {
			panic("sim: " + g.key + " and " + key + " have other creation sites; a goroutine keeps its own")
		}
		g.key, g.since = key, s.now
	}
}

// members returns the IDs of a group, ascending.
func (s *sim) members(key string) []int64 {
	var ids []int64
	for id, g := range s.live {
		if g.key == key {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// restart replaces the process by a new one: every goroutine gone, IDs
// starting over.
func (s *sim) restart() {
	clear(s.live)
	s.next = 1
}

func (s *sim) advance(d time.Duration) { s.now = s.now.Add(d) }

// snapshot prints the process as stackparse groups it.
func (s *sim) snapshot() *stackparse.Snapshot {
	s.snaps++
	byKey := map[string]*stackparse.Group{}
	for _, g := range s.live {
		grp := byKey[g.key]
		if grp == nil {
			sh := s.shapes[g.key]
			fn := "example.com/app." + g.key
			file := "/src/app/" + strings.ReplaceAll(g.key, "/", "_") + ".go"
			creator := &stackparse.Frame{Func: fn + ".spawn", File: file, Line: 5}
			if sh.creator != "" {
				creator = &stackparse.Frame{Func: "example.com/app." + sh.creator, File: "/src/app/start.go", Line: 7}
			}
			grp = &stackparse.Group{
				Key:       g.key,
				State:     s.state(g.key),
				States:    map[string]int{},
				Frames:    []stackparse.Frame{{Func: fn, File: file, Line: sh.line}},
				CreatedBy: creator,
				WaitMin:   1 << 30,
			}
			byKey[g.key] = grp
		}
		state := grp.State
		if g.leaked {
			state += " (leaked)"
			grp.Leaked++
		}
		wait := 0
		if state != "running" && state != "runnable" {
			wait = int(s.now.Sub(g.since) / time.Minute)
		}
		grp.States[state]++
		grp.WaitMin = min(grp.WaitMin, wait)
		grp.WaitMax = max(grp.WaitMax, wait)
		grp.Goroutines = append(grp.Goroutines, stackparse.Goroutine{
			ID: g.id, Parent: g.parent, WaitMinutes: wait, Leaked: g.leaked, State: state, Labels: g.labels,
		})
	}
	snap := &stackparse.Snapshot{Total: len(s.live), Dumps: 1}
	for _, grp := range byKey {
		slices.SortFunc(grp.Goroutines, func(a, b stackparse.Goroutine) int { return cmp.Compare(a.ID, b.ID) })
		snap.Groups = append(snap.Groups, grp)
	}
	slices.SortFunc(snap.Groups, func(a, b *stackparse.Group) int {
		if c := cmp.Compare(b.Count(), a.Count()); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return snap
}

// flow starts goroutines in a group at a steady rate; each lives for life
// (0: forever, a leak).
type flow struct {
	key    string
	perMin float64
	life   time.Duration
	acc    float64
	last   time.Time
	alive  []simBorn
}

type simBorn struct {
	id int64
	at time.Time
}

// prefill puts the goroutines the flow would hold after running for over
// (at most life), as found when gorotop attaches.
func (f *flow) prefill(s *sim, over time.Duration) {
	if f.life > 0 {
		over = min(over, f.life)
	}
	n := int(f.perMin * over.Minutes())
	for i := range n {
		age := over - time.Duration(i)*over/time.Duration(max(n, 1))
		id := s.spawnAged(f.key, 1, age)[0]
		f.alive = append(f.alive, simBorn{id, s.now.Add(-age)})
	}
	f.last = s.now
}

func (f *flow) tick(s *sim) {
	if !f.last.IsZero() {
		f.acc += f.perMin * s.now.Sub(f.last).Minutes()
	}
	f.last = s.now
	n := int(f.acc)
	f.acc -= float64(n)
	for _, id := range s.spawn(f.key, n) {
		f.alive = append(f.alive, simBorn{id, s.now})
	}
	if f.life <= 0 {
		return
	}
	keep := f.alive[:0]
	for _, b := range f.alive {
		if s.now.Sub(b.at) >= f.life {
			s.exit(b.id)
		} else {
			keep = append(keep, b)
		}
	}
	f.alive = keep
}

// background is a healthy service around each shape: a busy fixed worker
// pool whose workers flip between waiting and running, request handlers
// that come and go, and a few goroutines that have waited for hours.
type background struct {
	pool []int64
}

// Background group keys.
const (
	bgPool     = "worker.(*Pool).run"
	bgBusy     = "worker.(*Pool).run.busy"
	bgHandler  = "http.(*conn).serve"
	bgSignal   = "signal.loop"
	bgListener = "http.(*Server).Serve"
)

func newBackground(s *sim) *background {
	return startBackground(s, 5*time.Hour, 3*time.Minute)
}

// startBackground starts the background with its long waiters and pool
// workers having waited for the given times: a service running for hours,
// or (zero) one just started.
func startBackground(s *sim, waiters, pool time.Duration) *background {
	s.shape(bgBusy, "running")
	s.createdBy("worker.(*Pool).Start", bgPool, bgBusy)
	s.shape(bgHandler, "select")
	s.shape(bgListener, "IO wait")
	s.spawnAged(bgSignal, 2, waiters)
	s.spawnAged(bgListener, 1, waiters)
	return &background{pool: s.spawnAged(bgPool, 40, pool)}
}

func (b *background) tick(s *sim) {
	for _, id := range b.pool {
		switch s.live[id].key {
		case bgPool:
			if s.rng.IntN(5) == 0 {
				s.move(id, bgBusy)
			}
		default:
			if s.rng.IntN(2) == 0 {
				s.move(id, bgPool)
			}
		}
	}
	s.exit(s.members(bgHandler)...)
	s.skip(s.rng.IntN(400))
	s.spawn(bgHandler, 80+s.rng.IntN(40))
}
