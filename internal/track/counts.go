package track

import (
	"fmt"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// ObserveCounts adds a count-only snapshot taken at time at: one whose
// groups say how many goroutines they hold but not which, such as a
// ?debug=1 profile mapped onto the groups of the last full dump
// (stackparse.Profile.Estimate) or a dump cut at 64 MiB and completed
// from one (stackparse.Profile.Complete). The goroutines' IDs, if any,
// are not read. A nil snapshot is ignored; times go forward as in
// Observe.
//
// What it updates:
//
//   - each group's count, history and growth, as Observe does;
//   - not the totals: Totals keeps one point per full snapshot, because
//     the tracker judges windows and poll intervals from it, and those
//     must be the full snapshots' (a goroutine's arrival is known only to
//     the full poll that first saw it, so a suspect's newcomers must have
//     arrived at least two full polls apart, Options.Sustain aside);
//   - born, exited and moved are not known: the poll's points hold zero
//     for them, and the goroutine table keeps the IDs of the last full
//     snapshot, so that the next one is compared with those (goroutines
//     that came and went in between are never seen; those that came and
//     stayed are born at the next full snapshot, those that left exit
//     there). A group that holds goroutines of that table is not
//     forgotten until a full snapshot says where they went;
//   - ages, wait ages and the newcomers that stay (Trend.Kept) are
//     computed from the goroutines of the last full snapshot, aged to at;
//     the wait-age buckets count those goroutines, not the new count;
//   - Leaked is the snapshot's (Estimate carries it over);
//   - suspicion is judged as after Observe, with the counts of every poll
//     and the IDs of the full ones; a group whose count changed within the
//     window is not stuck, since goroutines came or went.
//
// When full snapshots come further apart than a sixth of Options.Window,
// ObserveCounts widens the window (and Forget with it) to six full-poll
// intervals, which Options then reports: a suspect's newcomers must have
// been seen at three full polls and have arrived two full polls apart, and
// must make up half the growth over the window, so a window of a few full
// polls could never hold a leak. It is never narrowed again.
//
// Until a full snapshot has been observed, count-only ones do not count
// in Polls: the first full snapshot is then the baseline of goroutine IDs
// (nothing born), as the first poll always is.
func (t *Tracker) ObserveCounts(at time.Time, snap *stackparse.Snapshot) {
	if snap == nil {
		return
	}
	first := t.last.IsZero()
	if !first && at.Before(t.last) {
		at = t.last
	}
	for _, gs := range t.groups {
		if gs != nil {
			gs.reset()
		}
	}
	for _, g := range snap.Groups {
		gs := t.group(g.Key)
		if gs == nil {
			gs = t.intern(g, at)
			if !first {
				gs.appeared = t.last
			}
		}
		if !gs.present {
			gs.present, gs.group = true, g
		}
		gs.poll.Count += g.Count()
		gs.leaked += g.Leaked
	}

	t.widen()
	now := at.UnixNano()
	held := make([]bool, len(t.groups))
	aged := make([]int, len(t.groups))
	for i := range t.ids {
		e := &t.ids[i]
		held[e.group] = true
		if gs := t.groups[e.group]; gs.present {
			aged[e.group]++
			gs.age(e, now, aged[e.group] == 1)
		}
	}
	win := t.windowAt(at, false, false)
	t.countKept(now, win.base.UnixNano(), win.keep, win.awayGone)

	for _, gs := range t.groups {
		if gs != nil && !t.record(gs, at, false, false) && !held[gs.idx] {
			t.forget(gs)
		}
	}
	t.bound(held)
	t.unhome()
	if t.polls > 0 {
		t.polls++
	}
	t.notePoll(at, false)
	t.last = at
	for _, gs := range t.groups {
		if gs != nil {
			t.judge(gs, win)
			if gs.tr.Stuck && !steadyCount(gs.tr.History, win.base) {
				unstick(gs.tr)
			}
		}
	}
	t.tallyCreators()
	t.compact(at)
}

// age adds a goroutine of the goroutine table, last seen at a full
// snapshot, to the ages of its group as if it were still there at now;
// first says it is the group's first. Its wait is the runtime's, as that
// snapshot printed it: what it waited since is not known.
func (gs *groupState) age(e *entry, now int64, first bool) {
	wait := int64(e.wait) * int64(time.Minute)
	gs.maxAge = max(gs.maxAge, now-e.first, wait)
	gs.maxWait = max(gs.maxWait, wait)
	if first || wait < gs.minWait {
		gs.minWait = wait
	}
	gs.waitAges[waitBucket(time.Duration(wait))]++
}

// steadyCount reports whether the count stayed the same at every point of
// h from base on.
func steadyCount(h []Point, base time.Time) bool {
	if len(h) == 0 {
		return true
	}
	last := h[len(h)-1].Count
	for _, p := range h[searchAt(h, base):] {
		if p.Count != last {
			return false
		}
	}
	return true
}

// unstick clears a stuck verdict that counts contradict, with its reason
// and score (judge's tiers: a proven group keeps its own).
func unstick(tr *Trend) {
	tr.Stuck = false
	tr.Reason = ""
	if tr.Proven {
		tr.Reason = fmt.Sprintf("%d proven leaked", tr.Leaked)
		return
	}
	tr.Score = float64(tr.Count)
}

// fullPollsPerWindow is how many full-poll intervals the window spans at
// least once count-only snapshots come between full ones.
const fullPollsPerWindow = 6

// widen makes the window span fullPollsPerWindow of the recent intervals
// between full snapshots (the totals hold one point per full snapshot).
func (t *Tracker) widen() {
	n := len(t.totals)
	if n < 2 {
		return
	}
	k := min(n, 4)
	gap := t.totals[n-1].At.Sub(t.totals[n-k].At) / time.Duration(k-1)
	if need := fullPollsPerWindow * gap; need > t.opts.Window {
		t.opts.Window = need
		t.opts.Forget = max(t.opts.Forget, need)
	}
}
