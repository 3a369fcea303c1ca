package track

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gorotop/gorotop/stackparse"
)

// lean makes cheap snapshots for long sessions: a fixed pool, handlers
// that churn, a goroutine leaking every leakEvery, and two goroutines
// flipping between two groups.
type lean struct {
	next      int64
	pool      []int64
	leak      []int64
	polls     int
	born      int // after the first poll
	leakEvery int // polls
	restarted bool
}

func newLean(leakEvery int) *lean {
	l := &lean{next: 1, leakEvery: leakEvery}
	l.start()
	l.restarted = false
	return l
}

// start begins a process: IDs from 1.
func (l *lean) start() {
	l.pool = ids(1, 8)
	l.leak = nil
	l.next = 11 // 9 and 10 flip
	l.restarted = true
}

func (l *lean) snapshot() []grp {
	births := 0
	if l.polls%l.leakEvery == l.leakEvery-1 {
		l.leak = append(l.leak, l.next)
		l.next++
		births++
	}
	handlers := ids(l.next, l.next+4)
	l.next += 5 + 50
	births += 5
	if l.polls > 0 && !l.restarted {
		l.born += births // the tracker counts no birth at a restart
	}
	l.restarted = false
	l.polls++
	a, b := "flip.a", "flip.b"
	if l.polls%2 == 0 {
		a, b = b, a
	}
	return []grp{
		{key: "pool", ids: l.pool, wait: 3},
		{key: "handler", state: "running", ids: handlers},
		{key: "leak", ids: l.leak},
		{key: a, ids: []int64{9}},
		{key: b, ids: []int64{10}},
	}
}

// checkTiers checks the downsampling of one history at time now, with
// polls every step.
func checkTiers(t *testing.T, name string, h []Point, now time.Time, step time.Duration) {
	t.Helper()
	if !h[len(h)-1].At.Equal(now) {
		t.Errorf("%s: last point at %v, want %v", name, h[len(h)-1].At, now)
	}
	seen := map[[2]int64]bool{}
	for i, p := range h {
		age := now.Sub(p.At)
		if i > 0 && !p.At.After(h[i-1].At) {
			t.Fatalf("%s: points out of order at %d", name, i)
		}
		switch {
		case age < fullResolution:
			if i > 0 && h[i-1].At.After(now.Add(-fullResolution)) && p.At.Sub(h[i-1].At) != step {
				t.Fatalf("%s: last hour not at full resolution: %v after %v", name, p.At, h[i-1].At)
			}
		default:
			tier, b := bucketOf(p.At.Unix(), now.Unix())
			// Compaction runs once a minute: allow the points of the last
			// minute past each tier boundary.
			if seen[[2]int64{tier, b}] && age > fullResolution+compactEvery && (tier == 1 || age > minuteTier+compactEvery) {
				t.Fatalf("%s: two points in bucket %d/%d (age %v)", name, tier, b, age)
			}
			seen[[2]int64{tier, b}] = true
		}
	}
}

// TestDownsampleDay plays a day at 2 s polls, with a restart after three
// hours: the last hour stays at full resolution, the rest at one point a
// minute, births and the restart mark survive the merging, and every
// history stays within its bound.
func TestDownsampleDay(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a day of polls: not with -short or -race")
	}
	const polls = 24 * 60 * 60 / 2
	l := newLean(300) // a leak every 10 minutes
	tr := New(Options{})
	var now time.Time
	var restartAt time.Time
	for i := range polls {
		now = simStart.Add(time.Duration(i) * pollEvery)
		if i == 3*1800 {
			l.start()
			restartAt = now
		}
		tr.Observe(now, snapshotOf(l.snapshot()...))
	}
	if got := tr.View().Restarts(); len(got) != 1 || !got[0].Equal(restartAt) {
		t.Errorf("restarts %v, want [%v]", got, restartAt)
	}
	bound := int(fullResolution/pollEvery) + int((minuteTier-fullResolution)/time.Minute) + 2*int(compactEvery/pollEvery)
	totalBorn, restarts := 0, 0
	for _, p := range tr.View().Totals() {
		totalBorn += p.Born
		if p.Restart {
			restarts++
		}
	}
	if totalBorn != l.born || restarts != 1 {
		t.Errorf("totals: %d born, want %d; %d restart marks, want 1", totalBorn, l.born, restarts)
	}
	checkTiers(t, "totals", tr.View().Totals(), now, pollEvery)
	var bytes int
	for _, trend := range tr.View().Trends() {
		h := trend.History
		checkTiers(t, trend.Key, h, now, pollEvery)
		if len(h) > bound {
			t.Errorf("%s: %d points, bound %d", trend.Key, len(h), bound)
		}
		bytes += cap(h) * int(unsafe.Sizeof(Point{}))
	}
	if leak := tr.View().Trend("leak"); leak.Count != len(l.leak) || leak.FirstSeen != simStart {
		t.Errorf("leak: count %d, want %d", leak.Count, len(l.leak))
	}
	t.Logf("a day at 2 s: %d points per group at most (bound %d), %d bytes a point, %.0f KB of history per group",
		len(tr.View().Totals()), bound, unsafe.Sizeof(Point{}), float64(bytes)/float64(len(tr.View().Trends()))/1024)
}

// TestDownsampleDays plays three days at one poll a minute: points older
// than a day are merged to one per 15 minutes.
func TestDownsampleDays(t *testing.T) {
	l := newLean(10)
	tr := New(Options{})
	var now time.Time
	for i := range 3 * 24 * 60 {
		now = simStart.Add(time.Duration(i) * time.Minute)
		tr.Observe(now, snapshotOf(l.snapshot()...))
	}
	h := tr.View().Totals()
	checkTiers(t, "totals", h, now, time.Minute)
	want := 60 + 23*60 + 2*24*4
	if len(h) < want-5 || len(h) > want+5+int(compactEvery/time.Minute) {
		t.Errorf("%d points after three days, want about %d", len(h), want)
	}
	born := 0
	for _, p := range h {
		born += p.Born
	}
	if born != l.born {
		t.Errorf("%d born in the history, want %d", born, l.born)
	}
}

// TestForget drops groups gone for longer than Options.Forget, and keeps
// the goroutines of a gone group out of memory.
func TestForget(t *testing.T) {
	tr := New(Options{Forget: 10 * time.Minute})
	tr.Observe(simStart, snapshotOf(grp{key: "stay", ids: ids(1, 2)}, grp{key: "gone", ids: ids(3, 100)}))
	for i := 1; i <= 10*30+1; i++ {
		tr.Observe(simStart.Add(time.Duration(i)*pollEvery), snapshotOf(grp{key: "stay", ids: ids(1, 2)}))
		gone := tr.View().Trend("gone")
		switch {
		case i <= 300 && (gone == nil || gone.Group.Goroutines != nil || gone.Group.Key != "gone"):
			t.Fatalf("poll %d: gone group %+v", i, gone)
		case i > 300 && gone != nil:
			t.Fatalf("poll %d: gone group kept after 10 minutes", i)
		}
	}
	tr.Observe(simStart.Add(time.Hour), snapshotOf(grp{key: "gone", ids: ids(200, 201)}))
	if g := tr.View().Trend("gone"); g == nil || len(g.History) != 1 || g.Count != 2 {
		t.Errorf("a forgotten group back: %+v", g)
	}
}

// bigSnapshots makes n snapshots of about 100 000 goroutines: 60 000
// long-lived connections, 1 000 pool workers of which 100 move between
// two groups, 20 000 handlers replaced at every poll, and a leak growing
// by 1 000 a poll.
func bigSnapshots(n int) [][]grp {
	conns := ids(1, 60000)
	pool := ids(60001, 61000)
	leak := ids(61001, 75000)
	next := int64(75001)
	var out [][]grp
	for i := range n {
		handlers := ids(next, next+19999)
		next += 20000
		leak = append(leak, ids(next, next+999)...)
		next += 1000
		idle, busy := pool[:900+i%2*100], pool[900+i%2*100:]
		out = append(out, []grp{
			{key: "conn", state: "IO wait", ids: conns, wait: 30},
			{key: "pool.idle", ids: idle, wait: 2},
			{key: "pool.busy", state: "running", ids: busy},
			{key: "handler", state: "running", ids: handlers},
			{key: "leak", ids: slices.Clone(leak), wait: 5},
		})
	}
	return out
}

// TestMemoryPerGoroutine measures what a Tracker keeps between polls on a
// 100 000-goroutine target, beyond the snapshots themselves.
//
//	go test -run TestMemoryPerGoroutine -v ./internal/track
func TestMemoryPerGoroutine(t *testing.T) {
	var snaps []*stackparse.Snapshot
	for _, gs := range bigSnapshots(6) {
		snaps = append(snaps, snapshotOf(gs...))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := New(Options{})
	for i, s := range snaps {
		tr.Observe(simStart.Add(time.Duration(i)*pollEvery), s)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	live := snaps[len(snaps)-1].Total
	perG := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(live)
	t.Logf("%d goroutines: the tracker keeps %.1f bytes per goroutine between polls", live, perG)
	if perG > 100 {
		t.Errorf("%.1f bytes per goroutine, want ≤ 100", perG)
	}
	if !tr.View().Trend("leak").Present || tr.View().Trend("handler").Born != 5*20000 {
		t.Errorf("the sequence was not tracked: %+v", tr.View().Trend("handler"))
	}
	runtime.KeepAlive(snaps)
	runtime.KeepAlive(tr)
}

// BenchmarkObserve100k observes 100 000-goroutine snapshots, each against
// the one before (going from the last back to the first reads as a
// restart).
func BenchmarkObserve100k(b *testing.B) {
	var snaps []*stackparse.Snapshot
	for _, gs := range bigSnapshots(8) {
		snaps = append(snaps, snapshotOf(gs...))
	}
	tr := New(Options{})
	b.ResetTimer()
	for i := range b.N {
		tr.Observe(simStart.Add(time.Duration(i)*pollEvery), snaps[i%len(snaps)])
	}
}

// TestMaxGroups: a target whose stacks change at every poll (a function
// name per request) makes a group per stack; past MaxGroups the tracker
// forgets those gone from the dumps at once, longest gone first, keeps
// every group of the latest snapshot and its goroutines' accounting, and
// says that it forgot.
func TestMaxGroups(t *testing.T) {
	tr := New(Options{MaxGroups: 500})
	at := simStart
	next := int64(1)
	for poll := range 50 {
		var gs []grp
		for i := range 100 {
			gs = append(gs, grp{key: fmt.Sprintf("req%d.%d", poll, i), ids: []int64{next}})
			next++
		}
		gs = append(gs, grp{key: "pool", ids: ids(1_000_000, 1_000_009)})
		if poll%2 == 0 {
			tr.Observe(at, snapshotOf(gs...))
		} else {
			tr.ObserveCounts(at, countsOnly(snapshotOf(gs...)))
		}
		at = at.Add(pollEvery)
		if n := len(tr.View().Trends()); n > 500+101 {
			t.Fatalf("poll %d: %d groups tracked, want at most 500 and the latest snapshot's 101", poll, n)
		}
	}
	v := tr.View()
	if p := v.Trend("pool"); p == nil || p.Count != 10 || p.FirstSeen != simStart {
		t.Errorf("the pool lost its history: %+v", p)
	}
	if v.Trend("req49.0") == nil || v.Trend("req0.0") != nil {
		t.Error("the latest groups are not kept, or the oldest are")
	}
	if w := v.Warning(); !strings.Contains(w, "forgotten early, to track at most 500") {
		t.Errorf("warning %q", w)
	}
	if w := New(Options{}).View().Warning(); w != "" {
		t.Errorf("a tracker within its bound warns %q", w)
	}
}

// BenchmarkObserveManyGroups measures one poll, and the View that
// follows it, of a target with some 3 000 groups of which 30 are new at
// every poll (a stack per request).
func BenchmarkObserveManyGroups(b *testing.B) {
	tr := New(Options{})
	at := simStart
	next := int64(1)
	snap := func(poll int) *stackparse.Snapshot {
		var gs []grp
		for i := range 3000 {
			key := fmt.Sprintf("g%d", i)
			if i < 30 {
				key = fmt.Sprintf("req%d.%d", poll, i)
			}
			gs = append(gs, grp{key: key, ids: []int64{next + int64(i)}})
		}
		next += 30
		return snapshotOf(gs...)
	}
	for poll := range 200 {
		tr.Observe(at, snap(poll))
		at = at.Add(pollEvery)
	}
	s := snap(200)
	b.ReportAllocs()
	for b.Loop() {
		tr.Observe(at, s)
		_ = tr.View()
		at = at.Add(pollEvery)
	}
}
