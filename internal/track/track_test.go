package track

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// grp describes one group of a hand-made snapshot.
type grp struct {
	key   string
	state string
	ids   []int64
	wait  int    // runtime wait minutes of every goroutine
	by    string // the creating function, if any
}

// snapshotOf builds a snapshot from hand-made groups.
func snapshotOf(gs ...grp) *stackparse.Snapshot {
	snap := &stackparse.Snapshot{Dumps: 1}
	for _, g := range gs {
		state := g.state
		if state == "" {
			state = "chan receive"
		}
		sg := &stackparse.Group{Key: g.key, State: state, States: map[string]int{state: len(g.ids)}, WaitMin: g.wait, WaitMax: g.wait}
		if g.by != "" {
			sg.CreatedBy = &stackparse.Frame{Func: g.by, File: "/src/main.go", Line: 10}
		}
		for _, id := range g.ids {
			sg.Goroutines = append(sg.Goroutines, stackparse.Goroutine{ID: id, WaitMinutes: g.wait, State: state})
		}
		snap.Groups = append(snap.Groups, sg)
		snap.Total += len(g.ids)
	}
	return snap
}

// TestAccounting follows goroutine IDs through births, exits and moves
// between groups, poll by poll.
func TestAccounting(t *testing.T) {
	type want struct{ count, born, exited, in, out int }
	steps := []struct {
		groups []grp
		want   map[string]want
		totals want
	}{
		{
			groups: []grp{{key: "A", ids: []int64{1, 2, 3}}, {key: "B", ids: []int64{4}}},
			want:   map[string]want{"A": {3, 0, 0, 0, 0}, "B": {1, 0, 0, 0, 0}},
			totals: want{count: 4},
		},
		{ // 5 born in A; 3 moves A → B
			groups: []grp{{key: "A", ids: []int64{1, 2, 5}}, {key: "B", ids: []int64{3, 4}}},
			want:   map[string]want{"A": {3, 1, 0, 0, 1}, "B": {2, 0, 0, 1, 0}},
			totals: want{count: 5, born: 1},
		},
		{ // 2 moves A → C, a new group; 6 born in B
			groups: []grp{{key: "A", ids: []int64{1, 5}}, {key: "B", ids: []int64{3, 4, 6}}, {key: "C", ids: []int64{2}}},
			want:   map[string]want{"A": {2, 0, 0, 0, 1}, "B": {3, 1, 0, 0, 0}, "C": {1, 0, 0, 1, 0}},
			totals: want{count: 6, born: 1},
		},
		{ // 1 exits from A; 3 and 4 exit from B, 6 moves B → C
			groups: []grp{{key: "A", ids: []int64{5}}, {key: "C", ids: []int64{2, 6}}},
			want:   map[string]want{"A": {1, 0, 1, 0, 0}, "B": {0, 0, 2, 0, 1}, "C": {2, 0, 0, 1, 0}},
			totals: want{count: 3, exited: 3},
		},
	}
	tr := New(Options{})
	t0 := simStart
	for i, st := range steps {
		tr.Observe(t0.Add(time.Duration(i)*pollEvery), snapshotOf(st.groups...))
		for key, w := range st.want {
			h := tr.View().Trend(key).History
			p := h[len(h)-1]
			if got := (want{p.Count, p.Born, p.Exited, p.MovedIn, p.MovedOut}); got != w {
				t.Errorf("step %d group %s: got %+v, want %+v", i, key, got, w)
			}
			if i > 0 && key != "C" || i > 2 {
				if prev := h[len(h)-2]; p.Count != prev.Count+p.Born+p.MovedIn-p.Exited-p.MovedOut {
					t.Errorf("step %d group %s: count does not add up: %+v after %+v", i, key, p, prev)
				}
			}
		}
		p := tr.View().Totals()[i]
		if got := (want{count: p.Count, born: p.Born, exited: p.Exited}); got != st.totals {
			t.Errorf("step %d totals: got %+v, want %+v", i, got, st.totals)
		}
	}
	if tr.View().Trend("B").Present || tr.View().Trend("B").Group.Count() != 0 {
		t.Errorf("B: gone, but Present=%v with %d goroutines kept", tr.View().Trend("B").Present, tr.View().Trend("B").Group.Count())
	}
	if p := tr.View().Trend("C").History[1]; p.Survived() != 1 {
		t.Errorf("C at its second poll: survived %d, want 1", p.Survived())
	}
	// Goroutine 6 was born at step 2 and moved at step 3: its first sighting
	// survives the move.
	g, ok := tr.View().Goroutine(6)
	if !ok || g.Key != "C" || !g.FirstSeen.Equal(t0.Add(2*pollEvery)) || !g.InGroupSince.Equal(t0.Add(3*pollEvery)) {
		t.Errorf("goroutine 6: %+v, %v", g, ok)
	}
	if _, ok := tr.View().Goroutine(3); ok {
		t.Errorf("goroutine 3 exited but is still known")
	}
}

// TestAges checks that a goroutine's age is the longer of gorotop's own
// sightings and the runtime's wait minutes, and survives a change of
// group, while its wait is the runtime's alone: a goroutine seen at the
// same line at every poll may have woken a thousand times in between.
func TestAges(t *testing.T) {
	tr := New(Options{})
	t0 := simStart
	for s := 0; s <= 40; s += 2 {
		tr.Observe(t0.Add(time.Duration(s)*time.Second), snapshotOf(
			grp{key: "fresh", ids: []int64{10}},
			grp{key: "old", ids: []int64{11}, wait: 12},
		))
	}
	fresh, old := tr.View().Trend("fresh"), tr.View().Trend("old")
	if fresh.WaitAge != 0 || fresh.OldestAge != 40*time.Second || fresh.WaitAges != [4]int{1, 0, 0, 0} {
		t.Errorf("fresh: wait %v, oldest %v, buckets %v; want 0s (no minutes from the runtime), 40s, [1 0 0 0]", fresh.WaitAge, fresh.OldestAge, fresh.WaitAges)
	}
	if old.WaitAge != 12*time.Minute || old.WaitAges != [4]int{0, 0, 1, 0} {
		t.Errorf("old: wait %v, buckets %v; want 12m (the runtime's), [0 0 1 0]", old.WaitAge, old.WaitAges)
	}
	// Goroutine 10 starts running at 60s.
	tr.Observe(t0.Add(60*time.Second), snapshotOf(grp{key: "running", state: "running", ids: []int64{10}}, grp{key: "old", ids: []int64{11}, wait: 13}))
	run := tr.View().Trend("running")
	if run.OldestAge != 60*time.Second || run.WaitAge != 0 {
		t.Errorf("after the move: oldest %v, wait %v; want 60s (seen since 0s), 0s (running)", run.OldestAge, run.WaitAge)
	}
	if p := run.History[0]; p.Born != 0 || p.MovedIn != 1 {
		t.Errorf("after the move: %+v; want a move, not a birth", p)
	}
	if tot := tr.View().Totals()[len(tr.View().Totals())-1]; tot.Born != 0 || tot.Exited != 0 {
		t.Errorf("a move counted as birth or exit: %+v", tot)
	}
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {59 * time.Second, 0}, {time.Minute, 1}, {5 * time.Minute, 2}, {59 * time.Minute, 2}, {time.Hour, 3}, {100 * time.Hour, 3}} {
		if got := waitBucket(c.d); got != c.want {
			t.Errorf("waitBucket(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

// run plays a sim with its background for dur at 2 s polls, calling tick
// before each snapshot.
func run(s *sim, tr *Tracker, bg *background, dur time.Duration, tick func(s *sim, elapsed time.Duration)) {
	for elapsed := time.Duration(0); elapsed <= dur; elapsed += pollEvery {
		if tr.View().Polls() > 0 {
			s.advance(pollEvery)
			bg.tick(s)
		}
		tick(s, elapsed)
		tr.Observe(s.now, s.snapshot())
	}
}

// TestStuck marks a fixed set of goroutines waiting on a lock as stuck,
// never as a leak; not a set that turns over, not one that has not waited
// long enough, not one waiting in a receive.
func TestStuck(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		age       time.Duration
		turnover  bool
		busy      bool // each wakes between polls and waits again at the same line
		stuck     bool
		stuckFrom time.Duration
	}{
		{name: "deadlocked on a mutex", state: "sync.Mutex.Lock", age: 10 * time.Minute, stuck: true},
		{name: "deadlocked on a wait group, seen from the start", state: "sync.WaitGroup.Wait", stuck: true, stuckFrom: time.Minute},
		{name: "lock waiters that turn over", state: "sync.Mutex.Lock", age: 10 * time.Minute, turnover: true},
		{name: "idle receivers", state: "chan receive", age: 10 * time.Minute},
		// nats-server's writeLoop: flushes every second, always caught
		// waiting on its condition; the runtime prints no wait minutes.
		{name: "condition waiters that wake every second", state: "sync.Cond.Wait", busy: true},
		{name: "a main parked in select {}", state: "select (no cases)", age: 3 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSim()
			bg := newBackground(s)
			s.shape("deadlock", c.state)
			ids := s.spawnAged("deadlock", 3, c.age)
			tr := New(Options{})
			run(s, tr, bg, 5*time.Minute, func(s *sim, elapsed time.Duration) {
				// Slower than StuckAfter: the waits alone do not tell.
				if c.turnover && elapsed > 0 && elapsed%(90*time.Second) == 0 {
					s.exit(ids[0])
					ids = append(ids[1:], s.spawn("deadlock", 1)...)
				}
				if c.busy {
					for _, id := range ids {
						s.live[id].since = s.now.Add(-time.Second / 2)
					}
				}
				d := tr.View().Trend("deadlock")
				if d == nil {
					return
				}
				if d.Suspect {
					t.Fatalf("at %v: suspected: %s", elapsed, d.Reason)
				}
				// The trend is the previous poll's.
				if c.turnover && elapsed <= 90*time.Second+pollEvery {
					return // no change seen yet: it is stuck as far as anyone can tell
				}
				if want := c.stuck && tr.View().Polls() >= 2 && elapsed >= c.stuckFrom+pollEvery; d.Stuck != want {
					t.Fatalf("at %v: stuck=%v, want %v (%s)", elapsed, d.Stuck, want, d.Reason)
				}
			})
			d := tr.View().Trend("deadlock")
			if d.Stuck != c.stuck {
				t.Fatalf("at the end: stuck=%v, want %v", d.Stuck, c.stuck)
			}
			if c.stuck && !regexp.MustCompile(`^same 3 for 5m, each waiting ≥\d+m$`).MatchString(d.Reason) {
				t.Errorf("reason %q", d.Reason)
			}
		})
	}
}

// TestProven marks groups holding goroutines the runtime proved leaked,
// apart from suspicion, and puts them first.
func TestProven(t *testing.T) {
	for _, leaked := range []bool{true, false} {
		s := newSim()
		bg := newBackground(s)
		for _, id := range s.spawnAged("ticker.wait", 3, 20*time.Minute) {
			s.live[id].leaked = leaked
		}
		fast := &flow{key: "fast", perMin: 120}
		tr := New(Options{})
		run(s, tr, bg, 2*time.Minute, func(s *sim, _ time.Duration) { fast.tick(s) })
		p := tr.View().Trend("ticker.wait")
		if p.Proven != leaked || p.Suspect {
			t.Fatalf("leaked=%v: proven=%v suspect=%v", leaked, p.Proven, p.Suspect)
		}
		first := tr.View().Trends()[0].Key
		if leaked && (first != "ticker.wait" || p.Leaked != 3 || p.Reason != "3 proven leaked") {
			t.Errorf("proven group: first %s, leaked %d, reason %q", first, p.Leaked, p.Reason)
		}
		if !leaked && first != "fast" {
			t.Errorf("without proof: %s first", first)
		}
		if s := tr.View().Suspects(); len(s) != 1 || s[0].Key != "fast" {
			t.Errorf("suspects: %d, want only fast (proof is apart from suspicion)", len(s))
		}
	}
}

// TestScoreOrder sorts proven leaks first, then suspects by growth, then
// stuck groups, then the rest by count.
func TestScoreOrder(t *testing.T) {
	s := newSim()
	bg := newBackground(s)
	for _, id := range s.spawnAged("proven", 2, 20*time.Minute) {
		s.live[id].leaked = true
	}
	s.shape("stuck", "sync.RWMutex.Lock")
	s.spawnAged("stuck", 2, 20*time.Minute)
	fast, slow := &flow{key: "fast", perMin: 120}, &flow{key: "slow", perMin: 20}
	tr := New(Options{})
	run(s, tr, bg, 3*time.Minute, func(s *sim, _ time.Duration) { fast.tick(s); slow.tick(s) })
	var keys []string
	var counts []int
	for _, trend := range tr.View().Trends() {
		keys = append(keys, trend.Key)
		if trend.Present {
			counts = append(counts, trend.Count)
		}
	}
	if !slices.Equal(keys[:4], []string{"proven", "fast", "slow", "stuck"}) {
		t.Fatalf("order %v", keys)
	}
	if !slices.IsSortedFunc(counts[4:], func(a, b int) int { return b - a }) {
		t.Errorf("the rest is not by count: %v %v", keys[4:], counts[4:])
	}
	if got := tr.View().Suspects(); len(got) != 2 || got[0].Key != "fast" {
		t.Errorf("%d suspects, want fast, slow", len(got))
	}
}

// TestRestart plays a process with a leak for 5 minutes, restarts it and
// plays the new one for 5 more.
func TestRestart(t *testing.T) {
	for _, leakAgain := range []bool{false, true} {
		s := newSim()
		bg := newBackground(s)
		leak := &flow{key: "leak", perMin: 100}
		leak.prefill(s, 5*time.Minute)
		tr := New(Options{})
		run(s, tr, bg, 5*time.Minute, func(s *sim, _ time.Duration) { leak.tick(s) })
		if !tr.View().Trend("leak").Suspect {
			t.Fatal("the leak is not suspected before the restart")
		}
		s.advance(pollEvery)
		s.restart()
		bg = startBackground(s, 0, 0)
		leak = &flow{key: "leak", perMin: 100}
		at := s.now
		tr.Observe(at, s.snapshot())
		if got := tr.View().Restarts(); !slices.Equal(got, []time.Time{at}) {
			t.Fatalf("restarts %v, want [%v]", got, at)
		}
		tot := tr.View().Totals()[len(tr.View().Totals())-1]
		if !tot.Restart || tot.Exited != 0 || tot.Born != 0 {
			t.Errorf("totals at the restart: %+v; want Restart, no exits, no births", tot)
		}
		for _, trend := range tr.View().Trends() {
			if p := trend.History[len(trend.History)-1]; !p.Restart || p.Exited != 0 || p.MovedOut != 0 || p.Born != 0 {
				t.Errorf("%s at the restart: %+v", trend.Key, p)
			}
			if trend.Suspect {
				t.Errorf("%s suspected right after the restart", trend.Key)
			}
		}
		restarted := s.now
		run(s, tr, bg, 5*time.Minute, func(s *sim, elapsed time.Duration) {
			if leakAgain {
				leak.tick(s)
			}
			l := tr.View().Trend("leak")
			since := s.now.Sub(restarted)
			if l.Suspect && !leakAgain || !l.Suspect && leakAgain && since >= 30*time.Second {
				t.Fatalf("leakAgain=%v, %v after the restart: suspect=%v (%s)", leakAgain, since, l.Suspect, l.Reason)
			}
		})
		if len(tr.View().Restarts()) != 1 {
			t.Errorf("restarts %v", tr.View().Restarts())
		}
		if pool := tr.View().Trend(bgPool); pool.OldestAge > 5*time.Minute+pollEvery {
			t.Errorf("pool ages did not start over: oldest %v", pool.OldestAge)
		}
		if leakAgain && tr.View().Trend("leak").Born == 0 {
			t.Errorf("no births counted after the restart")
		}
	}
}

// TestRestartSameIDs restarts a process whose start-up goroutines get the
// very same IDs: only their wait minutes, back to zero, tell. The same
// snapshot with the wait minutes kept is one process releasing its leaked
// goroutines: exits, no restart.
func TestRestartSameIDs(t *testing.T) {
	startup := make([]int64, 45)
	for i := range startup {
		startup[i] = int64(i + 1)
	}
	leaked := make([]int64, 300)
	for i := range leaked {
		leaked[i] = int64(100 + i)
	}
	for _, restart := range []bool{true, false} {
		tr := New(Options{})
		for i := range 3 {
			tr.Observe(simStart.Add(time.Duration(i)*pollEvery), snapshotOf(
				grp{key: "startup", ids: startup, wait: 10},
				grp{key: "leak", ids: leaked, wait: 3},
			))
		}
		wait := 10
		if restart {
			wait = 0
		}
		tr.Observe(simStart.Add(3*pollEvery), snapshotOf(grp{key: "startup", ids: startup, wait: wait}))
		if got := len(tr.View().Restarts()); got != map[bool]int{true: 1, false: 0}[restart] {
			t.Errorf("restart=%v: %d restarts seen", restart, got)
		}
		tot := tr.View().Totals()[3]
		if want := map[bool]int{true: 0, false: 300}[restart]; tot.Exited != want {
			t.Errorf("restart=%v: %d exits, want %d", restart, tot.Exited, want)
		}
		if st := tr.View().Trend("startup"); restart && st.OldestAge != 0 {
			t.Errorf("ages did not start over: %v", st.OldestAge)
		}
	}
}

// TestNoRestartInOneProcess: a burst that vanishes at once while the rest
// stays, and a churning process that replaces most goroutines at every
// poll, are not restarts.
func TestNoRestartInOneProcess(t *testing.T) {
	s := newSim()
	bg := newBackground(s)
	tr := New(Options{})
	var burst []int64
	run(s, tr, bg, 3*time.Minute, func(s *sim, elapsed time.Duration) {
		switch elapsed {
		case time.Minute:
			burst = s.spawn("burst", 2000)
		case time.Minute + 10*time.Second:
			s.exit(burst...)
		}
	})
	if len(tr.View().Restarts()) != 0 {
		t.Errorf("restarts %v", tr.View().Restarts())
	}
	if b := tr.View().Trend("burst"); b.Exited != 2000 {
		t.Errorf("burst: %d exits counted, want 2000", b.Exited)
	}
}

// ids returns the IDs from lo to hi.
func ids(lo, hi int64) []int64 {
	var out []int64
	for id := lo; id <= hi; id++ {
		out = append(out, id)
	}
	return out
}

// TestRestartDetection reads pairs of snapshots of young processes (no
// wait minutes yet), where only the IDs tell.
func TestRestartDetection(t *testing.T) {
	var leak []int64 // others came and went in between
	for id := int64(1000); id <= 1500; id += 2 {
		leak = append(leak, id)
	}
	before := []grp{{key: "startup", ids: ids(1, 10)}, {key: "leak", ids: leak}}
	cases := []struct {
		name    string
		after   []grp
		restart bool
	}{
		{"new process, IDs start over", []grp{{key: "startup", ids: ids(1, 6)}, {key: "handler", ids: ids(20, 40)}}, true},
		{"new process, nothing in common", []grp{{key: "startup", ids: ids(11, 19)}}, true},
		{"leak released, new goroutines above", []grp{{key: "startup", ids: ids(1, 10)}, {key: "handler", ids: ids(1600, 1620)}}, false},
		{"new process that ran a while", []grp{{key: "startup", ids: ids(1, 6)}, {key: "handler", ids: ids(600, 990)}}, true},
		{"leak released, births from stale ID caches", []grp{{key: "startup", ids: ids(1, 10)}, {key: "handler", ids: []int64{1491, 1493, 1495}}}, false},
		{"stale ID caches, nothing vanished", []grp{{key: "startup", ids: ids(1, 10)}, {key: "leak", ids: leak}, {key: "handler", ids: ids(11, 12)}}, false},
		{"leak released, nothing born", []grp{{key: "startup", ids: ids(1, 10)}}, false},
		// The goroutine net/http starts for the poll's own request, from a
		// P's batch of IDs left over since start-up (seen in a real
		// process: a burst drained, and one newcomer, ID 9, appeared).
		{"leak released, one newcomer from a stale ID batch", []grp{{key: "startup", ids: ids(1, 10)}, {key: "bgread", ids: []int64{12}}}, false},
		{"leak released, newcomers from one stale ID batch", []grp{{key: "startup", ids: ids(1, 10)}, {key: "bgread", ids: []int64{12, 14, 16}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := New(Options{})
			tr.Observe(simStart, snapshotOf(before...))
			tr.Observe(simStart.Add(pollEvery), snapshotOf(c.after...))
			if got := len(tr.View().Restarts()) == 1; got != c.restart {
				t.Errorf("restart=%v, want %v", got, c.restart)
			}
			if tot := tr.View().Totals()[1]; c.restart && (tot.Exited != 0 || tot.Born != 0) {
				t.Errorf("a restart counted as %d exits, %d births", tot.Exited, tot.Born)
			}
		})
	}
}

// TestRestartSeenGone: IDs seen to exit that come back mean a new
// process, even when nothing else tells (the same layout, the IDs in one
// batch); the runtime's finalizer and cleanup goroutines, which show in a
// dump only while they run user code, are no such sign.
func TestRestartSeenGone(t *testing.T) {
	for _, c := range []struct {
		name    string
		key, by string
		restart bool
	}{
		{"handlers back with IDs seen gone", "handler", "main.serve", true},
		{"finalizers running again", "fing", "runtime.createfing", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := New(Options{})
			polls := [][]grp{
				{{key: "startup", ids: ids(1, 10)}, {key: c.key, ids: ids(11, 15), by: c.by}, {key: "leak", ids: ids(100, 140)}},
				{{key: "startup", ids: ids(1, 10)}, {key: "leak", ids: ids(100, 160)}},
				{{key: "startup", ids: ids(1, 10)}, {key: c.key, ids: ids(11, 15), by: c.by}},
			}
			for i, p := range polls {
				tr.Observe(simStart.Add(time.Duration(i)*pollEvery), snapshotOf(p...))
			}
			if got := len(tr.View().Restarts()) == 1; got != c.restart {
				t.Errorf("restart=%v, want %v (restarts %v)", got, c.restart, tr.View().Restarts())
			}
		})
	}
}

// TestRestartOfSmallProcess: a young, small process restarts on the same
// port and hands out the same low IDs to other goroutines. Most old IDs
// are seen again, but under other creation sites, which one process never
// does, however high the new process's IDs have gone since.
func TestRestartOfSmallProcess(t *testing.T) {
	old := []grp{
		{key: "main", ids: []int64{1}},
		{key: "leak", ids: ids(8, 28), by: "main.(*leaky).steady"},
		{key: "churn", ids: []int64{301, 305}, by: "main.(*leaky).churn"},
	}
	renewed := []grp{
		{key: "main", ids: []int64{1}},
		{key: "pool", ids: ids(2, 17), by: "main.(*leaky).pool"},
		{key: "waiters", ids: ids(18, 40), by: "main.(*leaky).waiters"},
	}
	moved := []grp{ // the same process: the leak's goroutines woke up
		{key: "main", ids: []int64{1}},
		{key: "leak-running", state: "runnable", ids: ids(8, 28), by: "main.(*leaky).steady"},
		{key: "late", ids: ids(2, 5), by: "main.(*leaky).pool"},
	}
	// The new process seen only after it handed out IDs above the old
	// one's highest (full dumps far apart): the IDs it reused under other
	// creation sites still tell.
	late := append(slices.Clone(renewed), grp{key: "handler", ids: ids(400, 420), by: "main.(*leaky).churn"})
	grown := append(slices.Clone(moved), grp{key: "handler", ids: ids(400, 420), by: "main.(*leaky).churn"})
	for _, c := range []struct {
		name    string
		after   []grp
		restart bool
	}{{"restart", renewed, true}, {"moves within one process", moved, false},
		{"restart seen late", late, true}, {"moves and births within one process", grown, false}} {
		tr := New(Options{})
		tr.Observe(simStart, snapshotOf(old...))
		tr.Observe(simStart.Add(pollEvery), snapshotOf(c.after...))
		if got := len(tr.View().Restarts()) == 1; got != c.restart {
			t.Errorf("%s: restart=%v, want %v", c.name, got, c.restart)
		}
	}
}

// TestRecentRate: after a group climbs from 22 to 170 over four minutes
// and drops back to 22, its slope over the window still reads the climb
// (positive: the verdicts' figure), while RecentPerMin says where the
// count goes now: down at the drop, flat a minute after it.
func TestRecentRate(t *testing.T) {
	s := newSim()
	tr := New(Options{})
	ids := s.spawn("burst", 22)
	tr.Observe(s.now, s.snapshot())
	for i := 1; i <= 120; i++ {
		s.advance(pollEvery)
		ids = append(ids, s.spawn("burst", 22+148*i/120-len(ids))...)
		tr.Observe(s.now, s.snapshot())
	}
	if got := tr.View().Trend("burst"); got.Count != 170 || got.RecentPerMin < 30 {
		t.Fatalf("climbing: count %d, recent %+.1f/min", got.Count, got.RecentPerMin)
	}
	s.advance(pollEvery)
	s.exit(ids[22:]...)
	tr.Observe(s.now, s.snapshot())
	got := tr.View().Trend("burst")
	if got.Count != 22 || got.GrowthPerMin <= 0 || got.RecentPerMin >= 0 {
		t.Errorf("at the drop to %d: window %+.1f/min, recent %+.1f/min; want the window still positive, recent negative", got.Count, got.GrowthPerMin, got.RecentPerMin)
	}
	for range 30 {
		s.advance(pollEvery)
		tr.Observe(s.now, s.snapshot())
	}
	got = tr.View().Trend("burst")
	if got.RecentPerMin != 0 {
		t.Errorf("a minute flat after the drop: recent %+.1f/min, want 0 (window %+.1f/min)", got.RecentPerMin, got.GrowthPerMin)
	}
}
