package track

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// A big target is polled as gorotop polls one by default: a full dump
// first and then every few minutes, as the stall budget allows, and cheap
// count-only polls every few seconds between.
const (
	countsEvery  = 3 * time.Second
	bigFullEvery = 4 * time.Minute
)

// bigCase is a shape played on a big target.
type bigCase struct {
	name string
	dur  time.Duration
	// setup starts the shape and returns what it does at each poll.
	setup func(s *sim) func(s *sim, elapsed time.Duration)
	// leaks must be marked (rising or suspect) at every poll from markBy
	// on, and suspected at every poll from confirmBy on (when set); no
	// other group may ever be marked.
	leaks     []string
	markBy    time.Duration
	confirmBy time.Duration
	// firstOnly names a healthy group that may be marked rising during
	// its first climb only, before time until: a pile-up that nothing
	// tells from a leak until it is released.
	firstOnly string
	until     time.Duration
	// fullAt, when set, takes full dumps at these times instead of every
	// bigFullEvery: a confirming dump brought forward.
	fullAt []time.Duration
}

// playBig runs a big case and returns when each leak was first marked and
// first suspected.
func playBig(t *testing.T, c bigCase) (marked, confirmed map[string]time.Duration) {
	t.Helper()
	s := newSim()
	s.spawnAged("main.park", 5_000, 2*time.Hour)
	bg := newBackground(s)
	tick := c.setup(s)
	tr := New(Options{})
	marked, confirmed = map[string]time.Duration{}, map[string]time.Duration{}
	nextFull := time.Duration(0)
	var last *stackparse.Snapshot // the latest full snapshot
	names := map[string]string{}  // counted keys, and the keys of the groups they stand for
	for elapsed := time.Duration(0); elapsed <= c.dur; elapsed += countsEvery {
		if elapsed > 0 {
			s.advance(countsEvery)
			bg.tick(s)
		}
		tick(s, elapsed)
		full := elapsed >= nextFull
		if c.fullAt != nil {
			full = elapsed == 0 || slices.Contains(c.fullAt, elapsed)
		}
		if full {
			last = s.snapshot()
			tr.Observe(s.now, last)
			nextFull = elapsed + bigFullEvery
		} else {
			tr.ObserveCounts(s.now, estimated(s.snapshot(), last, names))
		}
		for _, trend := range tr.View().Trends() {
			key := trend.Key
			if k, ok := names[key]; ok {
				key = k // counted before a full dump saw it
			}
			leak := slices.Contains(c.leaks, key)
			if trend.Rising && trend.Suspect {
				t.Fatalf("at %v: %s both rising and suspect", elapsed, trend.Key)
			}
			isMarked := trend.Rising || trend.Suspect
			if isMarked {
				if _, ok := marked[key]; !ok {
					marked[key] = elapsed
				}
			}
			if trend.Suspect {
				if _, ok := confirmed[key]; !ok {
					confirmed[key] = elapsed
				}
			}
			switch {
			case leak && !isMarked && elapsed >= c.markBy:
				t.Fatalf("at %v: leak %s not marked (counts %v)", elapsed, trend.Key, counts(trend.History))
			case leak && !trend.Suspect && c.confirmBy > 0 && elapsed >= c.confirmBy:
				t.Fatalf("at %v: leak %s not confirmed: %s (born %d, exited %d)", elapsed, trend.Key, trend.Reason, trend.Born, trend.Exited)
			case !leak && trend.Suspect:
				t.Fatalf("at %v: healthy group %s suspected: %s (counts %v)", elapsed, trend.Key, trend.Reason, counts(trend.History))
			case !leak && trend.Rising && (key != c.firstOnly || elapsed >= c.until):
				t.Fatalf("at %v: healthy group %s marked rising: %s (counts %v)", elapsed, trend.Key, trend.Reason, counts(trend.History))
			}
			if trend.Stuck {
				t.Fatalf("at %v: group %s marked stuck: %s", elapsed, trend.Key, trend.Reason)
			}
		}
	}
	return marked, confirmed
}

// estimated is what a cheap poll yields of a snapshot, as
// stackparse.Profile.Estimate maps it onto the latest full snapshot: the
// same counts, goroutines without IDs; a stack the full snapshot did not
// hold is in a group of its own, not seen yet, under the key
// stackparse.CountedKey gives it.
// names maps each counted key to the group's own key.
func estimated(snap, last *stackparse.Snapshot, names map[string]string) *stackparse.Snapshot {
	out := countsOnly(snap)
	known := map[string]bool{}
	for _, g := range last.Groups {
		known[g.Key] = true
	}
	for i, g := range out.Groups {
		if known[g.Key] {
			continue
		}
		c := *g
		c.Key, c.State, c.CreatedBy = stackparse.CountedKey(g), stackparse.NotKnownState, nil
		names[c.Key] = g.Key
		out.Groups[i] = &c
	}
	return out
}

// sawtooth piles waiters up at perSec a second for pile, then releases
// them all at once, again and again.
func sawtooth(key string, perSec float64, pile, gap time.Duration) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		s.shape(key, "sync.WaitGroup.Wait")
		var acc float64
		var ids []int64
		return func(s *sim, elapsed time.Duration) {
			if elapsed%(pile+gap) < pile {
				acc += perSec * countsEvery.Seconds()
				n := int(acc)
				acc -= float64(n)
				ids = append(ids, s.spawn(key, n)...)
				return
			}
			s.exit(ids...)
			ids = nil
		}
	}
}

// warmUp adds n workers to a pool over d, one at a time, which then wait
// for work forever.
func warmUp(key string, n int, d time.Duration) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		s.shape(key, "select")
		started := 0
		return func(s *sim, elapsed time.Duration) {
			want := min(n, int(float64(n)*elapsed.Seconds()/d.Seconds()))
			s.spawn(key, want-started)
			started = want
		}
	}
}

// backlog holds n queued tasks at the start, each waiting its turn, and
// finishes perSec of them a second, oldest first.
func backlog(key string, n int, perSec float64) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		s.shape(key, "sync.Mutex.Lock")
		ids := s.spawnAged(key, n, time.Minute)
		var acc float64
		return func(s *sim, elapsed time.Duration) {
			if elapsed == 0 {
				return
			}
			acc += perSec * countsEvery.Seconds()
			k := min(int(acc), len(ids))
			acc -= float64(k)
			s.exit(ids[:k]...)
			ids = ids[k:]
		}
	}
}

// bursts starts n goroutines every period, each gone after life; a poll
// sees those of the latest burst still alive.
func bursts(key string, n int, period, life time.Duration) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		var alive []simBorn
		next := period
		return func(s *sim, elapsed time.Duration) {
			for ; next <= elapsed; next += period {
				at := s.now.Add(next - elapsed)
				if s.now.Sub(at) < life {
					for _, id := range s.spawn(key, n) {
						alive = append(alive, simBorn{id, at})
					}
				} else {
					s.skip(n)
				}
			}
			alive = slices.DeleteFunc(alive, func(b simBorn) bool {
				if s.now.Sub(b.at) >= life {
					s.exit(b.id)
					return true
				}
				return false
			})
		}
	}
}

// flowsAt runs flows at every poll (at whatever pace the case polls).
func flowsAt(fs ...*flow) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		return func(s *sim, elapsed time.Duration) {
			for _, f := range fs {
				f.tick(s)
			}
		}
	}
}

// with runs several setups side by side.
func with(setups ...func(s *sim) func(*sim, time.Duration)) func(s *sim) func(*sim, time.Duration) {
	return func(s *sim) func(*sim, time.Duration) {
		ticks := make([]func(*sim, time.Duration), len(setups))
		for i, setup := range setups {
			ticks[i] = setup(s)
		}
		return func(s *sim, elapsed time.Duration) {
			for _, tick := range ticks {
				tick(s, elapsed)
			}
		}
	}
}

const storyLeak = "queue.(*MemQueue).scheduleFlush.func1"

var bigCases = []bigCase{
	{
		name:      "story leak 2 900/min, attached late",
		dur:       9 * time.Minute,
		setup:     prefilled(3*time.Minute, &flow{key: storyLeak, perMin: 2900}),
		leaks:     []string{storyLeak},
		markBy:    45 * time.Second,
		confirmBy: bigFullEvery + countsEvery,
	},
	{
		name:      "steady leak 300/min from the start",
		dur:       9 * time.Minute,
		setup:     flowsAt(&flow{key: "cache.(*Client).refresh.func2", perMin: 300}),
		leaks:     []string{"cache.(*Client).refresh.func2"},
		markBy:    45 * time.Second,
		confirmBy: bigFullEvery + countsEvery,
	},
	{
		name:      "leak confirmed by a full dump brought forward",
		dur:       3 * time.Minute,
		setup:     flowsAt(&flow{key: storyLeak, perMin: 300}),
		leaks:     []string{storyLeak},
		markBy:    45 * time.Second,
		fullAt:    []time.Duration{60 * time.Second},
		confirmBy: 60 * time.Second,
	},
	{
		name:  "fixed pool, handlers, long waiters",
		dur:   10 * time.Minute,
		setup: flowsAt(),
	},
	{
		name:  "churn at 300/s, flat count",
		dur:   10 * time.Minute,
		setup: churn("api.handle", func(time.Duration) int { return 240 }),
	},
	{
		// Counts alone cannot tell this from a leak with noise; the full
		// dump after the first sees every goroutine leave.
		name:      "churn under rising load",
		dur:       10 * time.Minute,
		setup:     churn("api.handle", func(e time.Duration) int { return 50 + int(45*e.Minutes()) }),
		firstOnly: "api.handle",
		until:     bigFullEvery,
	},
	{
		name:  "bursts of 200 every 5s, gone within 1.5s",
		dur:   6 * time.Minute,
		setup: bursts("report.render.func1", 200, 5*time.Second, 1500*time.Millisecond),
	},
	{
		name:  "a pool that warms up over 20s and holds",
		dur:   6 * time.Minute,
		setup: warmUp("db.(*Pool).conn", 60, 20*time.Second),
	},
	{
		name:  "waiters piling up for 20s, released together, again and again",
		dur:   8 * time.Minute,
		setup: sawtooth("batch.(*Barrier).Wait", 10, 20*time.Second, 10*time.Second),
	},
	{
		name:      "waiters piling up for 90s, released together, again and again",
		dur:       10 * time.Minute,
		setup:     sawtooth("batch.(*Barrier).Wait", 5, 90*time.Second, 15*time.Second),
		firstOnly: "batch.(*Barrier).Wait",
		until:     90 * time.Second,
	},
	{
		name:  "a backlog that drains",
		dur:   5 * time.Minute,
		setup: backlog("jobs.(*Queue).wait", 2000, 10),
	},
	{
		name:      "a leak beside every healthy shape",
		dur:       9 * time.Minute,
		setup:     with(flowsAt(&flow{key: storyLeak, perMin: 300}), churn("api.handle", func(time.Duration) int { return 240 }), warmUp("db.(*Pool).conn", 60, 20*time.Second), sawtooth("batch.(*Barrier).Wait", 10, 20*time.Second, 10*time.Second), backlog("jobs.(*Queue).wait", 2000, 10)),
		leaks:     []string{storyLeak},
		markBy:    45 * time.Second,
		confirmBy: bigFullEvery + countsEvery,
	},
}

// TestBigShapes plays leaks and healthy shapes on a target of 100 000
// goroutines polled as a big target is: leaks are marked rising from the
// counts within a minute and confirmed at a full dump; no healthy shape is
// ever marked.
func TestBigShapes(t *testing.T) {
	var summary []string
	for _, c := range bigCases {
		t.Run(c.name, func(t *testing.T) {
			marked, confirmed := playBig(t, c)
			verdict := "not marked"
			if len(c.leaks) > 0 {
				verdict = fmt.Sprintf("rising after %v, confirmed after %v", marked[c.leaks[0]], confirmed[c.leaks[0]])
			}
			summary = append(summary, fmt.Sprintf("%-70s %s", c.name, verdict))
		})
	}
	for _, line := range summary {
		t.Log(line)
	}
}

// TestJudged: a tracker has judged once its polls could have shown a
// suspect (full dumps) or a rising group (polls of any kind, close
// enough together), and not before.
func TestJudged(t *testing.T) {
	snap := snapshotOf(grp{key: "A", ids: ids(1, 10)})
	cases := []struct {
		name  string
		every time.Duration
		polls int
		full  bool // every poll full; else the first only
		want  bool
	}{
		{"three full dumps", 2 * time.Second, 3, true, false},
		{"six full dumps over 10s", 2 * time.Second, 6, true, false},
		{"seven full dumps over 12s", 2 * time.Second, 7, true, true},
		{"counts for 27s", 3 * time.Second, 10, false, false},
		{"counts for 30s", 3 * time.Second, 11, false, true},
		{"counts 11s apart for 2m", 11 * time.Second, 12, false, false},
		{"full dumps 4m apart, four of them", 4 * time.Minute, 4, true, true},
		{"full dumps 4m apart, three of them", 4 * time.Minute, 3, true, false},
	}
	for _, c := range cases {
		tr := New(Options{})
		at := simStart
		for i := range c.polls {
			if i == 0 || c.full {
				tr.Observe(at, snap)
			} else {
				tr.ObserveCounts(at, countsOnly(snap))
			}
			at = at.Add(c.every)
		}
		if got := tr.Judged(); got != c.want {
			t.Errorf("%s: judged %v, want %v", c.name, got, c.want)
		}
	}
}

// TestStallEarlyInClimb replays the counts a tracker polling beside
// `gorotop check` saw of a real steady leak of 300/min (testdata/leaky
// -mode park,queue -queue-rate 40: 100 000 parked goroutines, so one full
// dump at the start and cheap count-only polls after it) in
// TestCheckShapes. Two full dumps of the target at the start stalled it
// for about 8 s, so the leak added 2 goroutines in the first 9 s, and the
// first count-only polls came 8 s apart. The climb is read from the
// window's first point, and its first third holds the stall: whenever
// that third ends just before a poll that came late, the third adds less
// than a sixth of the rise (rule 3: 6·(42−1) < 255−1 at 59.7 s), so the
// leak, marked at 53.4 s, is dropped at 59.7 s and stays so for polls
// after, until the third's end has moved past the gap.
func TestStallEarlyInClimb(t *testing.T) {
	type seen struct {
		at    float64 // seconds
		count int
	}
	polls := []seen{{0, 1}, {9.2, 3}, {17.2, 42}, {25.2, 82}, {29.3, 103}, {33.3, 123}, {36.0, 136},
		{38.6, 150}, {41.3, 163}, {44.2, 178}, {48.8, 200}, {53.4, 223}, {56.5, 239}, {59.7, 255},
		{62.9, 270}, {66.1, 286}, {69.3, 301}, {73.4, 322}}
	const leak, parked = "queue.(*MemQueue).scheduleFlush.func1", "main.parked"
	tr := New(Options{})
	marked := -1.0
	for i, p := range polls {
		at := simStart.Add(time.Duration(p.at * float64(time.Second)))
		snap := snapshotOf(grp{key: parked, ids: ids(1, 1000)}, grp{key: leak, ids: ids(2001, 2000+int64(p.count))})
		if i == 0 {
			tr.Observe(at, snap)
		} else {
			tr.ObserveCounts(at, countsOnly(snap))
		}
		trend := tr.View().Trend(leak)
		switch {
		case trend.Rising && marked < 0:
			marked = p.at
		case marked >= 0 && !trend.Rising:
			t.Fatalf("at %.1fs: the leak, marked rising at %.1fs, dropped (counts %v)", p.at, marked, counts(trend.History))
		}
	}
	if marked < 0 {
		t.Fatal("the leak was never marked")
	}
}

// TestJudgedLateGap: a check of a big target whose cheap polls came every
// 4 s for two minutes, the last one 13 s after the one before (the target
// answered slower at the end): those two minutes could have shown a
// rising group, yet Judged reads the gaps back from the latest poll and
// gives up at the first one over RiseFor/3, so the check exits 3, "could
// not judge". Seen end to end: `gorotop check --for 150s` of testdata/leaky
// -mode park,pool,churn,burst,warmup,sawtooth,backlog (100 000 parked
// goroutines and the healthy shapes) on this project's machine at a load
// of 7: 32 polls (1 full, 31 cheap) in 138 s, 4.3 s apart on average,
// exit 3, "cheap polls every 13s … run it --for 1m0s or more" (the pace
// at the end; the gaps before it are not known).
func TestJudgedLateGap(t *testing.T) {
	snap := snapshotOf(grp{key: "A", ids: ids(1, 10)})
	tr := New(Options{})
	at := simStart
	tr.Observe(at, snap)
	for range 30 {
		at = at.Add(4 * time.Second)
		tr.ObserveCounts(at, countsOnly(snap))
	}
	tr.ObserveCounts(at.Add(13*time.Second), countsOnly(snap))
	if !tr.Judged() {
		t.Error("two minutes of counts 4 s apart, then one 13 s later: not judged")
	}
}

// TestChurnDriftNotRising replays what a UI beside a CI run under the race
// detector saw of a healthy churning group (testdata/leaky -mode churn,
// beside 100 000 parked goroutines): one full dump at the start, then
// count-only polls about 5 s apart, while the machine grew busier and the
// tasks, each meant to live 20 ms, lived longer, so the count drifted
// from 1 to 6 over 36 s. Counts alone cannot tell that from a leak, so
// they must rise further than a handful before they mark a group rising.
func TestChurnDriftNotRising(t *testing.T) {
	polls := []struct {
		at    float64 // seconds
		count int
	}{{0, 1}, {5, 2}, {10, 3}, {15, 2}, {20, 5}, {25, 5}, {31, 5}, {36, 6}}
	const churn, parked = "main.churnTask", "main.fixedWaiter"
	tr := New(Options{})
	for i, p := range polls {
		at := simStart.Add(time.Duration(p.at * float64(time.Second)))
		snap := snapshotOf(grp{key: parked, ids: ids(1, 1000)}, grp{key: churn, ids: ids(5001+int64(10*i), 5000+int64(10*i+p.count))})
		if i == 0 {
			tr.Observe(at, snap)
		} else {
			tr.ObserveCounts(at, countsOnly(snap))
		}
		if trend := tr.View().Trend(churn); trend.Rising {
			t.Fatalf("at %.0fs: the churning group is marked rising: %s (counts %v)", p.at, trend.Reason, counts(trend.History))
		}
	}
}
