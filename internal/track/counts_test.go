package track

import (
	"slices"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// countsOnly turns a snapshot into what a ?debug=1 poll yields: the same
// groups and counts, goroutines without IDs.
func countsOnly(snap *stackparse.Snapshot) *stackparse.Snapshot {
	out := &stackparse.Snapshot{Total: snap.Total, Dumps: 1}
	for _, g := range snap.Groups {
		c := *g
		c.Goroutines = make([]stackparse.Goroutine, g.Count())
		for i := range c.Goroutines {
			c.Goroutines[i].State = g.State
		}
		out.Groups = append(out.Groups, &c)
	}
	return out
}

// TestCountsAccounting: count-only polls update counts but no births or
// exits; the next full poll is compared with the last full one.
func TestCountsAccounting(t *testing.T) {
	tr := New(Options{})
	at := simStart
	step := func(full bool, gs ...grp) {
		t.Helper()
		snap := snapshotOf(gs...)
		if full {
			tr.Observe(at, snap)
		} else {
			tr.ObserveCounts(at, countsOnly(snap))
		}
		at = at.Add(pollEvery)
	}
	last := func(key string) Point {
		h := tr.View().Trend(key).History
		return h[len(h)-1]
	}
	step(true, grp{key: "A", ids: ids(1, 10)}, grp{key: "B", ids: ids(11, 12)})
	step(false, grp{key: "A", ids: ids(1, 15)}, grp{key: "B", ids: ids(11, 12)})
	step(false, grp{key: "A", ids: ids(1, 20)})
	if p := last("A"); p.Count != 20 || p.Born != 0 || p.Exited != 0 {
		t.Errorf("A after count polls: %+v, want count 20, nothing born or exited", p)
	}
	if tr.View().Trend("B").Present || tr.View().Trend("B").Count != 0 {
		t.Errorf("B should be absent from the last count poll")
	}
	if n := len(tr.View().Totals()); n != 1 {
		t.Errorf("%d totals, want 1: one per full poll", n)
	}
	if tr.View().Polls() != 3 {
		t.Errorf("polls %d, want 3", tr.View().Polls())
	}
	// Full again: 9 and 10 exited, 100…111 born, B's 11 moved to A, 12
	// exited; compared with the first poll, not with the counts.
	step(true, grp{key: "A", ids: append(append(ids(1, 8), 11), ids(100, 111)...)})
	if p := last("A"); p.Count != 21 || p.Born != 12 || p.Exited != 2 || p.MovedIn != 1 {
		t.Errorf("A at the next full poll: %+v, want count 21, born 12, exited 2, moved in 1", p)
	}
	if p := last("B"); p.Exited != 1 || p.MovedOut != 1 {
		t.Errorf("B at the next full poll: %+v, want exited 1, moved out 1", p)
	}
	if tot := tr.View().Totals()[1]; tot.Born != 12 || tot.Exited != 3 {
		t.Errorf("totals at the next full poll %+v, want born 12, exited 3", tot)
	}
}

// TestCountsFirst: count-only polls before any full one; the first full
// poll is a baseline.
func TestCountsFirst(t *testing.T) {
	tr := New(Options{})
	tr.ObserveCounts(simStart, countsOnly(snapshotOf(grp{key: "A", ids: ids(1, 5)})))
	tr.ObserveCounts(simStart.Add(pollEvery), countsOnly(snapshotOf(grp{key: "A", ids: ids(1, 7)})))
	if tr.View().Polls() != 0 || len(tr.View().Totals()) != 0 || tr.View().Trend("A").Count != 7 {
		t.Fatalf("polls %d, totals %d, count %d; want 0, 0, 7", tr.View().Polls(), len(tr.View().Totals()), tr.View().Trend("A").Count)
	}
	tr.Observe(simStart.Add(2*pollEvery), snapshotOf(grp{key: "A", ids: ids(1, 8)}))
	h := tr.View().Trend("A").History
	if p := h[len(h)-1]; p.Born != 0 || p.Exited != 0 || p.Count != 8 || tr.View().Polls() != 1 {
		t.Errorf("first full poll %+v (polls %d), want a baseline of 8", p, tr.View().Polls())
	}
	tr.ObserveCounts(simStart.Add(3*pollEvery), countsOnly(snapshotOf(grp{key: "A", ids: ids(1, 9)})))
	if tr.View().Polls() != 2 {
		t.Errorf("polls %d, want 2", tr.View().Polls())
	}
}

// TestCountsKeepHeldGroups: a group the last full poll saw is absent from
// count polls for longer than Forget; it is kept until the next full poll
// says where its goroutines went.
func TestCountsKeepHeldGroups(t *testing.T) {
	tr := New(Options{Forget: time.Minute, Window: time.Minute})
	at := simStart
	tr.Observe(at, snapshotOf(grp{key: "A", ids: ids(1, 3)}, grp{key: "B", ids: ids(4, 6)}))
	for range 60 {
		at = at.Add(pollEvery)
		tr.ObserveCounts(at, countsOnly(snapshotOf(grp{key: "A", ids: ids(1, 3)})))
	}
	if tr.View().Trend("B") == nil {
		t.Fatal("B was forgotten while the goroutine table holds its goroutines")
	}
	at = at.Add(pollEvery)
	tr.Observe(at, snapshotOf(grp{key: "A", ids: ids(1, 3)}, grp{key: "C", ids: []int64{5}}))
	// B is forgotten now, its exits counted in the totals.
	tot := tr.View().Totals()[len(tr.View().Totals())-1]
	hc := tr.View().Trend("C").History
	if tot.Exited != 2 || hc[len(hc)-1].MovedIn != 1 || tr.View().Trend("B") != nil {
		t.Errorf("at the full poll: totals %+v, C %+v, B %v; want 2 exited, 1 moved into C, B forgotten", tot, hc[len(hc)-1], tr.View().Trend("B"))
	}
}

// TestCountsStuck: a group with the same goroutines and count stays
// stuck through count polls; one whose count moves between full polls is
// not.
func TestCountsStuck(t *testing.T) {
	tr := New(Options{})
	at := simStart
	lock := func(n int64) grp { return grp{key: "L", state: "sync.Mutex.Lock", ids: ids(1, n), wait: 5} }
	for i := range 60 {
		if i%15 == 0 {
			tr.Observe(at, snapshotOf(lock(4)))
		} else {
			tr.ObserveCounts(at, countsOnly(snapshotOf(lock(4))))
		}
		at = at.Add(pollEvery)
	}
	if tr := tr.View().Trend("L"); !tr.Stuck || tr.Reason == "" {
		t.Fatalf("steady lock waiters should be stuck: %+v", tr)
	}
	tr.ObserveCounts(at, countsOnly(snapshotOf(lock(5))))
	if tr := tr.View().Trend("L"); tr.Stuck || tr.Reason != "" || tr.Score != 5 {
		t.Errorf("a count that moved: stuck %v, reason %q, score %v", tr.Stuck, tr.Reason, tr.Score)
	}
}

// playMixed plays a shape case the way gorotop polls a big target: a full
// dump every fullEvery, count-only polls every 2 s in between. Leaks must
// be suspected from by on, nothing healthy ever, nothing stuck.
func playMixed(t *testing.T, c shapeCase, fullEvery time.Duration) time.Duration {
	t.Helper()
	s := newSim()
	bg := newBackground(s)
	tick := c.setup(s)
	tr := New(c.opts)
	first := time.Duration(-1)
	var lastFull time.Duration
	for elapsed := time.Duration(0); elapsed <= c.dur; elapsed += pollEvery {
		if elapsed > 0 {
			s.advance(pollEvery)
			bg.tick(s)
		}
		tick(s, elapsed)
		snap := s.snapshot()
		if elapsed == 0 || elapsed-lastFull >= fullEvery {
			tr.Observe(s.now, snap)
			lastFull = elapsed
		} else {
			tr.ObserveCounts(s.now, countsOnly(snap))
		}
		for _, trend := range tr.View().Trends() {
			leak := slices.Contains(c.leaks, trend.Key)
			switch {
			case trend.Suspect && !leak:
				t.Fatalf("at %v: healthy group %s suspected: %s (net %d, kept %d, born %d, exited %d)",
					elapsed, trend.Key, trend.Reason, trend.Net, trend.Kept, trend.Born, trend.Exited)
			case trend.Suspect && first < 0:
				first = elapsed
			case !trend.Suspect && leak && elapsed >= c.by:
				t.Fatalf("at %v: leak %s not suspected (count %d, net %d, kept %d, born %d, exited %d, growth %.1f/min)",
					elapsed, trend.Key, trend.Count, trend.Net, trend.Kept, trend.Born, trend.Exited, trend.GrowthPerMin)
			case trend.Stuck:
				t.Fatalf("at %v: group %s marked stuck: %s", elapsed, trend.Key, trend.Reason)
			}
		}
	}
	return first
}

// mixedCases are the shapes of TestShapes for TestShapesCounts, made
// afresh on each call: shapeCases share their flows' state with
// TestShapes. Each
// leak's deadline is its deadline with full polls only plus three full
// polls and one poll: newcomers must have been seen at three full polls,
// and their arrivals, known only to a full poll, must be two full polls
// apart.
func mixedCases(fullEvery time.Duration) []shapeCase {
	later := 3*fullEvery + pollEvery
	return []shapeCase{
		{name: "steady leak 310/min (stopped ticker)", dur: 3 * time.Minute,
			setup: prefilled(12*time.Minute, &flow{key: "queue.flush", perMin: 310}),
			leaks: []string{"queue.flush"}, by: 20*time.Second + later},
		{name: "senders blocked on a channel nobody reads", dur: 4 * time.Minute,
			setup: withState("rpc.send", "chan send", steady(&flow{key: "rpc.send", perMin: 60})),
			leaks: []string{"rpc.send"}, by: 30*time.Second + later},
		{name: "step leak: 40 every 45s", dur: 6 * time.Minute,
			setup: batches("batch.fanOut", 40, 45*time.Second, 0, false),
			leaks: []string{"batch.fanOut"}, by: 96*time.Second + later},
		{name: "pile-up of keep-alive connections behind a lock", dur: 4 * time.Minute,
			setup: keepAlivePileUp(6*time.Second, 0),
			leaks: []string{"store.(*DB).Get"}, by: 40*time.Second + later},
		{name: "net/http bodies never closed", dur: 4 * time.Minute,
			setup: persistConns(12, 0),
			leaks: []string{"http.(*persistConn).readLoop", "http.(*persistConn).writeLoop"}, by: time.Minute + later},

		{name: "fixed pool, handlers and long waiters only", dur: 10 * time.Minute, setup: steady()},
		{name: "churn under rising load", dur: 10 * time.Minute,
			setup: churn("api.handle", func(e time.Duration) int { return 50 + int(45*e.Minutes()) })},
		{name: "burst of 1000 draining over 40s", dur: 5 * time.Minute,
			setup: burst("report.render", 1000, []time.Duration{time.Minute}, 10*time.Second, 50)},
		{name: "burst landing across two polls", dur: 5 * time.Minute,
			setup: burst("report.render", 500, []time.Duration{time.Minute, time.Minute + pollEvery}, 30*time.Second, 100)},
		{name: "overlapping bursts (40 every 30s, gone after 46s)", dur: 6 * time.Minute,
			setup: batches("batch.fanOut", 40, 30*time.Second, 46*time.Second, true)},
		{name: "worker pool going quiet", dur: 10 * time.Minute, setup: quietingPool(3 * time.Minute)},
		{name: "slow requests living 30s at 60/min", dur: 6 * time.Minute,
			setup: prefilled(time.Minute, &flow{key: "cache.refresh", perMin: 60, life: 30 * time.Second})},
		{name: "lock contention: waiters leave after 3s", dur: 4 * time.Minute,
			setup: withState("store.(*DB).Get", "sync.Mutex.Lock", prefilled(time.Minute, &flow{key: "store.(*DB).Get", perMin: 20, life: 3 * time.Second}))},
		{name: "net/http bodies closed, connections gone after 5s", dur: 4 * time.Minute,
			setup: persistConns(12, 5*time.Second)},
	}
}

// TestShapesCounts plays the shapes of TestShapes with a full dump every
// 20 s (a target whose dump stalls it 0.2 s) and count-only polls
// between: the leaks are still found, a little later, and nothing healthy
// is flagged.
func TestShapesCounts(t *testing.T) {
	const fullEvery = 20 * time.Second
	for _, c := range mixedCases(fullEvery) {
		t.Run(c.name, func(t *testing.T) {
			first := playMixed(t, c, fullEvery)
			if len(c.leaks) > 0 {
				t.Logf("flagged after %v", first)
			}
		})
	}
}

// TestStoryCounts: a stopped-ticker leak at 310/min on a target whose
// full dump stalls it 0.75 s, so full dumps come every 76 s: it is
// flagged once newcomers seen at three full dumps after the first are
// kept (just after the fifth full dump, about 5 minutes in), while churn
// beside it never is; the window widened to six full-poll intervals.
func TestStoryCounts(t *testing.T) {
	leak := "queue.(*MemQueue).scheduleFlush.func1"
	c := shapeCase{
		dur: 8 * time.Minute,
		setup: func(s *sim) func(*sim, time.Duration) {
			tickLeak := prefilled(12*time.Minute, &flow{key: leak, perMin: 310})(s)
			tickChurn := churn("api.handle", func(time.Duration) int { return 240 })(s)
			return func(s *sim, e time.Duration) { tickLeak(s, e); tickChurn(s, e) }
		},
		leaks: []string{leak},
		by:    5 * 76 * time.Second,
	}
	first := playMixed(t, c, 76*time.Second)
	t.Logf("flagged after %v", first)
	// playMixed's tracker is gone; the widening is checked on its own.
	tr := New(Options{})
	for i := range 5 {
		at := simStart.Add(time.Duration(i) * 76 * time.Second)
		tr.Observe(at, snapshotOf(grp{key: "A", ids: ids(1, 3)}))
		tr.ObserveCounts(at.Add(pollEvery), countsOnly(snapshotOf(grp{key: "A", ids: ids(1, 3)})))
	}
	if o := tr.View().Options(); o.Window != 6*76*time.Second || o.Forget != 15*time.Minute {
		t.Errorf("window %v, forget %v; want 7m36s, 15m", o.Window, o.Forget)
	}
}
