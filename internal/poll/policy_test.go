package poll

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

// poll is one poll of a simulated run.
type poll struct {
	at   time.Duration
	kind Kind
}

// simulate drives a Policy with a fake clock for span: every full dump
// waits fullWait, every cheap poll countsWait; canCount says the target
// serves a cheap profile. It checks that, between two full dumps (after
// the first), what was charged stays within the budget.
func simulate(t *testing.T, p *Policy, fullWait, countsWait time.Duration, canCount bool, span time.Duration) []poll {
	t.Helper()
	var polls []poll
	var gapStall time.Duration
	var lastFull time.Duration = -1
	for at := time.Duration(0); at < span; {
		now := t0.Add(at)
		kind := p.Plan(now, canCount && lastFull >= 0)
		wait := fullWait
		if kind == Counts {
			wait = countsWait
		}
		c := NewCost(kind, now, wait, wait, 1000)
		if kind == Full {
			// The first gap is left out: its first cheap poll comes before
			// any cheap poll's cost is known.
			if lastFull > 0 && !p.Off() {
				if share := float64(gapStall) / float64(at-lastFull); share > p.MaxShare*1.0001 {
					t.Errorf("at %v: %.3f%% stalled since the full dump at %v", at, 100*share, lastFull)
				}
			}
			lastFull, gapStall = at, 0
		}
		gapStall += c.Stall
		p.Record(c)
		polls = append(polls, poll{at, kind})
		at += p.Wait(now, canCount)
	}
	return polls
}

// gaps returns the times between polls of kind, and the longest and
// shortest time between any two polls after the second (the first cheap
// poll's cost is not known before it).
func gaps(polls []poll, kind Kind) (between []time.Duration, lo, hi time.Duration) {
	last := time.Duration(-1)
	lo = time.Hour
	for i, p := range polls {
		if i > 1 {
			d := p.at - polls[i-1].at
			lo, hi = min(lo, d), max(hi, d)
		}
		if p.kind == kind {
			if last >= 0 {
				between = append(between, p.at-last)
			}
			last = p.at
		}
	}
	return between, lo, hi
}

// TestPolicyBigTarget: a dump that stalls the target 0.75 s comes at
// least 75 s after the last (84 s: cheap polls take a little of the
// budget); cheap polls fill the time between at the interval.
func TestPolicyBigTarget(t *testing.T) {
	p := NewPolicy(2*time.Second, DefaultMaxShare)
	polls := simulate(t, p, 750*time.Millisecond, 20*time.Millisecond, true, 10*time.Minute)
	full, lo, hi := gaps(polls, Full)
	if len(full) < 5 {
		t.Fatalf("%d full dumps in 10 minutes", len(full)+1)
	}
	for _, d := range full {
		// 0.75 s over the 0.9 % left by cheap polls (2 ms every 2 s).
		if d < 83*time.Second || d > 85*time.Second {
			t.Errorf("full dumps %v apart, want 84 s", d)
		}
	}
	if lo != 2*time.Second || hi != 2*time.Second {
		t.Errorf("polls %v to %v apart, want every 2s", lo, hi)
	}
	if share := p.Share(true); share > DefaultMaxShare+1e-9 || share < 0.009 {
		t.Errorf("share %.4f, want just under 0.01", share)
	}
	if polls[0].kind != Full || polls[1].kind != Counts {
		t.Errorf("first polls %v, %v; want full then counts", polls[0].kind, polls[1].kind)
	}
}

// TestPolicySmallTarget: a cheap dump keeps full dumps at the interval.
func TestPolicySmallTarget(t *testing.T) {
	p := NewPolicy(2*time.Second, DefaultMaxShare)
	polls := simulate(t, p, 15*time.Millisecond, time.Millisecond, true, time.Minute)
	for _, pl := range polls {
		if pl.kind != Full {
			t.Fatalf("at %v: a %v poll; a small target needs no cheap ones", pl.at, pl.kind)
		}
	}
	if _, lo, hi := gaps(polls, Full); lo != 2*time.Second || hi != 2*time.Second || len(polls) != 30 || polls[1].at != 2*time.Second {
		t.Errorf("%d polls %v to %v apart, want 30 every 2s", len(polls), lo, hi)
	}
}

// TestPolicyDearCounts: cheap polls that cost much are spaced too, and
// leave full dumps half the budget.
func TestPolicyDearCounts(t *testing.T) {
	p := NewPolicy(2*time.Second, DefaultMaxShare)
	polls := simulate(t, p, 750*time.Millisecond, time.Second, true, 20*time.Minute)
	full, _, _ := gaps(polls, Full)
	cheap, _, _ := gaps(polls, Counts)
	for _, d := range cheap[1:] {
		if d < 20*time.Second {
			t.Errorf("cheap polls %v apart, want ≥ 20s (0.1 s charged, half of 1%%)", d)
		}
	}
	for _, d := range full {
		if d < 150*time.Second {
			t.Errorf("full dumps %v apart, want ≥ 150s", d)
		}
	}
}

// TestPolicyNoCounts: without a cheap profile the interval stretches to
// stall / budget.
func TestPolicyNoCounts(t *testing.T) {
	p := NewPolicy(2*time.Second, DefaultMaxShare)
	polls := simulate(t, p, 750*time.Millisecond, 0, false, 10*time.Minute)
	full, _, _ := gaps(polls, Full)
	for _, d := range full {
		if d != 75*time.Second {
			t.Errorf("full dumps %v apart, want 75s", d)
		}
	}
	if w := p.Wait(t0, false); w != 75*time.Second {
		t.Errorf("wait %v, want 75s", w)
	}
}

// TestPolicyOff: with the budget off every poll is a full dump at the
// interval, and the share says what that costs.
func TestPolicyOff(t *testing.T) {
	p := NewPolicy(2*time.Second, 0)
	polls := simulate(t, p, 750*time.Millisecond, 0, true, time.Minute)
	if _, lo, hi := gaps(polls, Full); lo != 2*time.Second || hi != 2*time.Second {
		t.Errorf("polls %v to %v apart, want 2s", lo, hi)
	}
	for _, pl := range polls {
		if pl.kind != Full {
			t.Fatalf("a %v poll with the budget off", pl.kind)
		}
	}
	if s := p.Share(true); s != 0.375 {
		t.Errorf("share %v, want 0.375", s)
	}
}

func TestWalks(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want int
	}{
		{0, 1}, {1<<20 - 1, 1}, {1 << 20, 2}, {1<<20 + 1, 2}, {2 << 20, 3},
		{27_300_000, 6}, {64<<20 - 1, 7}, {64 << 20, 7}, {1 << 30, 7},
	} {
		if got := Walks(c.n); got != c.want {
			t.Errorf("Walks(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestCost(t *testing.T) {
	c := NewCost(Counts, t0, time.Second, 2*time.Second, 10)
	if c.Stall != 100*time.Millisecond || c.Walks != 0 {
		t.Errorf("counts cost %+v", c)
	}
	c = NewCost(Full, t0, time.Second, 2*time.Second, 27_300_000)
	if c.Stall != time.Second || c.Walks != 6 || fmt.Sprint(c.Kind) != "full" {
		t.Errorf("full cost %+v", c)
	}
}

// TestPolicySpike: one slow cheap poll among quick ones does not space
// the next ones out.
func TestPolicySpike(t *testing.T) {
	p := NewPolicy(2*time.Second, DefaultMaxShare)
	p.Record(NewCost(Full, t0, 750*time.Millisecond, time.Second, 1<<20))
	for i, w := range []time.Duration{20, 20, 3000, 20, 20} {
		now := t0.Add(time.Duration(i+1) * 2 * time.Second)
		p.Record(NewCost(Counts, now, w*time.Millisecond, w*time.Millisecond, 1000))
		if e := p.CountsEvery(); e != 2*time.Second {
			t.Errorf("after a %dms cheap poll: every %v, want 2s", w, e)
		}
	}
	for range 3 {
		p.Record(NewCost(Counts, t0, 3*time.Second, 3*time.Second, 1000))
	}
	if e := p.CountsEvery(); e != time.Minute {
		t.Errorf("after three slow cheap polls: every %v, want 1m", e)
	}
}

// TestPolicyRoundTrip: waits are charged net of the network's round trip,
// the smallest of the latest probes, so that a small target behind a
// slow tunnel keeps its pace; never less than a quarter of the wait.
func TestPolicyRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	bare := NewPolicy(2*time.Second, DefaultMaxShare)
	bare.Record(NewCost(Full, at, 60*time.Millisecond, 70*time.Millisecond, 4096))
	if e := bare.FullEvery(false); e != 6*time.Second {
		t.Errorf("no round trip known: full dumps every %v, want 6s (60 ms at 1 %%)", e)
	}

	p := NewPolicy(2*time.Second, DefaultMaxShare)
	for _, rt := range []time.Duration{80, 50, 90} {
		p.RecordRoundTrip(rt * time.Millisecond)
	}
	if rt := p.RoundTrip(); rt != 50*time.Millisecond {
		t.Errorf("round trip %v, want the smallest, 50ms", rt)
	}
	if c := p.Record(NewCost(Full, at, 100*time.Millisecond, 110*time.Millisecond, 4096)); c.Stall != 50*time.Millisecond {
		t.Errorf("full dump charged %v, want 50ms (100 ms less the round trip)", c.Stall)
	}
	if c := p.Record(NewCost(Full, at, 60*time.Millisecond, 70*time.Millisecond, 4096)); c.Stall != 15*time.Millisecond {
		t.Errorf("full dump charged %v, want 15ms (60 ms less the round trip is 10, under a quarter of 60)", c.Stall)
	}
	if e := p.FullEvery(false); e != 2*time.Second {
		t.Errorf("full dumps every %v, want the interval, 2s", e)
	}
	if c := p.Record(NewCost(Counts, at, 70*time.Millisecond, 70*time.Millisecond, 512)); c.Stall != 2*time.Millisecond {
		t.Errorf("cheap poll charged %v, want 2ms (a tenth of 20 ms)", c.Stall)
	}
	if c := p.Record(NewCost(Full, at, 40*time.Millisecond, 40*time.Millisecond, 4096)); c.Stall != 10*time.Millisecond {
		t.Errorf("a wait under the round trip charged %v, want a quarter of it, 10ms", c.Stall)
	}
	for range keepTrips {
		p.RecordRoundTrip(200 * time.Millisecond) // the 50 ms probe ages out
	}
	if rt := p.RoundTrip(); rt != 200*time.Millisecond {
		t.Errorf("round trip %v after %d probes of 200ms, want 200ms", rt, keepTrips)
	}
}

// TestPolicyConfirm: asked to confirm a rising group, the policy brings
// the next full dump forward, three cheap polls after the last, when the
// horizon affords it; the full dump after it waits until the horizon pays
// it back, so the stall share over the horizon stays within the budget.
func TestPolicyConfirm(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := NewPolicy(2*time.Second, 0.01)
	full := func(at time.Time) {
		p.Record(NewCost(Full, at, time.Second, time.Second, 20<<20))
	}
	full(t0)
	// Cheap polls charged 20 ms: every 4 s, half the budget.
	for i := 1; i <= 5; i++ {
		p.Record(NewCost(Counts, t0.Add(time.Duration(i)*4*time.Second), 200*time.Millisecond, 200*time.Millisecond, 4<<10))
	}
	if got := p.FullEvery(true); got != 200*time.Second {
		t.Fatalf("full dumps every %v, want 200s", got)
	}
	if got := p.NextFull().Sub(t0); got != 200*time.Second {
		t.Errorf("unasked, the next full dump comes %v after the last, want 200s", got)
	}
	p.Confirm(true)
	if got := p.NextFull().Sub(t0); got != 12*time.Second {
		t.Errorf("confirming, the next full dump comes %v after the last, want 12s (three cheap polls)", got)
	}
	if k := p.Plan(t0.Add(12*time.Second), true); k != Full {
		t.Errorf("plan at 12s: %v, want a full dump", k)
	}
	t1 := t0.Add(12 * time.Second)
	full(t1)
	p.Confirm(false)
	// The horizon is 400 s, its budget for full dumps 2 s: the dump after
	// the one brought forward waits until the first leaves it.
	t2 := p.NextFull()
	if got := t2.Sub(t0); got != 400*time.Second {
		t.Errorf("after a dump brought forward, the next comes %v after the first, want 400s", got)
	}
	if k := p.Plan(t2.Add(-time.Second), true); k != Counts {
		t.Errorf("plan before it: %v, want a cheap poll", k)
	}
	full(t2)
	if got := p.NextFull().Sub(t2); got != 200*time.Second {
		t.Errorf("paid back, the pace is %v again, want 200s", got)
	}
	// Asked again, one more may come forward: the one brought forward
	// before has left the horizon.
	p.Confirm(true)
	if got := p.NextFull().Sub(t2); got != 12*time.Second {
		t.Errorf("confirming again: %v, want 12s", got)
	}
}
