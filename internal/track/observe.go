package track

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// entry is one live goroutine as the tracker keeps it between polls; the
// Tracker's slice of them, sorted by ID, is its main memory cost (56 bytes
// a goroutine). Times are Unix nanoseconds.
type entry struct {
	id    int64
	first int64 // when gorotop first saw it, in any group
	since int64 // when it entered its current group
	// homeSince and leftAt are, while the goroutine is away from its
	// group (home), when it entered it and when it left: a goroutine that
	// steps out of its group (caught running, say) and comes back has
	// not left it.
	homeSince, leftAt int64
	group             int32 // index into Tracker.groups
	wait              int32 // the runtime's wait minutes at the latest poll
	home              int32 // index into Tracker.groups, or noHome
}

// noHome is entry.home of a goroutine in its own group.
const noHome = -1

// sighting is one goroutine of the snapshot being observed.
type sighting struct {
	id int64
	si int32 // index of its group in the snapshot
	mi int32 // index of the goroutine in that group
}

// groupState is one tracked group: its Trend, and what the poll being
// observed found of it.
type groupState struct {
	tr      *Trend
	idx     int32
	creator *creatorState
	// appeared is the poll before the one where the group first showed up,
	// when that was not a baseline poll (the first, or a restart): the
	// group held no goroutine then.
	appeared time.Time

	// Filled by each Observe.
	present         bool
	group           *stackparse.Group
	poll            Point
	maxAge, maxWait int64 // nanoseconds
	minWait         int64
	waitAges        [4]int
	kept            int
	keptLo, keptHi  int64 // arrival times of the kept goroutines
	ceiling         int64 // the stay a newcomer must outlive to count as kept; -1: none
	left            int64 // longest stay among the goroutines that left at this poll; -1: none
	leaked          int

	// confirmed is the count below which rule B's verdict, given at the
	// latest full dump, lapses; 0 when it gave none.
	confirmed int

	// stays holds, for the polls in the window where goroutines left the
	// group, the longest stay among them, kept as a monotonic queue: the
	// front is the longest stay in the window.
	stays []stay
}

func (gs *groupState) reset() {
	gs.present, gs.group = false, nil
	gs.poll = Point{}
	gs.maxAge, gs.maxWait, gs.minWait = 0, 0, 0
	gs.waitAges = [4]int{}
	gs.kept, gs.keptLo, gs.keptHi = 0, 0, 0
	gs.left = -1
	gs.leaked = 0
}

// stay is how long goroutines that left a group had been in it.
type stay struct {
	at, d int64 // nanoseconds
}

// leave notes that a goroutine that entered the group at since, and had
// waited wait minutes, left it at this poll; it was last seen in it at
// prev.
func (gs *groupState) leave(since int64, wait int32, prev int64) {
	gs.left = max(gs.left, prev-since, int64(wait)*int64(time.Minute))
}

// longestStay returns the longest stay in the group of a goroutine that
// left it at a poll from base on, or -1 if none left.
func (gs *groupState) longestStay(now, base int64) int64 {
	if gs.left >= 0 {
		for n := len(gs.stays); n > 0 && gs.stays[n-1].d <= gs.left; n-- {
			gs.stays = gs.stays[:n-1]
		}
		gs.stays = append(gs.stays, stay{at: now, d: gs.left})
	}
	i := 0
	for i < len(gs.stays) && gs.stays[i].at < base {
		i++
	}
	gs.stays = gs.stays[i:]
	if len(gs.stays) == 0 {
		gs.stays = nil
		return -1
	}
	return gs.stays[0].d
}

// see adds one goroutine of the group to the poll's figures.
func (gs *groupState) see(e *entry, gr *stackparse.Goroutine, now int64) {
	gs.poll.Count++
	wait := int64(gr.WaitMinutes) * int64(time.Minute)
	gs.maxAge = max(gs.maxAge, now-e.first, wait)
	gs.maxWait = max(gs.maxWait, wait)
	if gs.poll.Count == 1 || wait < gs.minWait {
		gs.minWait = wait
	}
	gs.waitAges[waitBucket(time.Duration(wait))]++
	if gr.Leaked {
		gs.leaked++
	}
}

func waitBucket(d time.Duration) int {
	for i, bound := range WaitBuckets {
		if d < bound {
			return i
		}
	}
	return len(WaitBuckets)
}

// Observe adds a snapshot taken at time at. Times should not go backwards;
// an earlier time is taken as the previous snapshot's. A nil snapshot is
// ignored.
func (t *Tracker) Observe(at time.Time, snap *stackparse.Snapshot) {
	if snap == nil {
		return
	}
	if t.polls > 0 && at.Before(t.last) {
		at = t.last
	}
	for _, gs := range t.groups {
		if gs != nil {
			gs.reset()
		}
	}
	idx := make([]int32, len(snap.Groups))
	seen := make([]sighting, 0, snap.Total)
	for si, g := range snap.Groups {
		t.adopt(g)
		gs := t.intern(g, at)
		idx[si] = gs.idx
		if !gs.present {
			gs.present, gs.group = true, g
		}
		for mi, gr := range g.Goroutines {
			seen = append(seen, sighting{id: gr.ID, si: int32(si), mi: int32(mi)})
		}
	}
	slices.SortFunc(seen, func(a, b sighting) int { return cmp.Compare(a.id, b.id) })
	// One ID twice (an input holding several dumps): the first counts.
	seen = slices.CompactFunc(seen, func(a, b sighting) bool { return a.id == b.id })

	restart := t.polls > 0 && t.restarted(seen, idx, snap)
	if restart {
		clear(t.gone) // the old process's exits
	}
	baseline := t.polls == 0 || restart
	if baseline {
		t.baseline = at
		for _, gs := range t.groups {
			if gs != nil && gs.tr.FirstSeen.Equal(at) {
				gs.appeared = time.Time{}
			}
		}
	}
	win := t.windowAt(at, restart, true)
	t.merge(seen, idx, snap, at.UnixNano(), baseline)
	t.countKept(at.UnixNano(), win.base.UnixNano(), win.keep, win.awayGone)

	total := Point{At: at, Count: snap.Total, Restart: restart, Full: true}
	for _, gs := range t.groups {
		if gs == nil {
			continue
		}
		total.Born += gs.poll.Born
		total.Exited += gs.poll.Exited
		if !t.record(gs, at, restart, true) {
			t.forget(gs)
		}
	}
	t.bound(nil)
	t.unhome()
	t.totals = append(t.totals, total)
	if restart {
		t.restarts = append(t.restarts, at)
	}
	t.notePoll(at, restart)
	t.polls++
	t.last = at
	for _, gs := range t.groups {
		if gs != nil {
			t.judge(gs, win)
		}
	}
	t.tallyCreators()
	t.compact(at)
}

// adopt gives a group of a full snapshot, new to the tracker, the history
// of the group a cheap poll counted the same stack in before any full dump
// saw it: the same goroutines, now seen, their climb not started over.
func (t *Tracker) adopt(g *stackparse.Group) {
	if _, ok := t.byKey[g.Key]; ok {
		return
	}
	counted := stackparse.CountedKey(g)
	i, ok := t.byKey[counted]
	if !ok || counted == g.Key {
		return
	}
	delete(t.byKey, counted)
	t.byKey[g.Key] = i
	t.groups[i].tr.Key = g.Key
}

// intern returns the state of the snapshot group's key, adding it when new.
func (t *Tracker) intern(g *stackparse.Group, at time.Time) *groupState {
	if gs := t.group(g.Key); gs != nil {
		return gs
	}
	var i int32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		i = int32(len(t.groups))
		t.groups = append(t.groups, nil)
	}
	gs := &groupState{
		tr:      &Trend{Key: g.Key, FirstSeen: at},
		idx:     i,
		creator: t.creator(g.CreatedBy),
	}
	if t.polls > 0 {
		gs.appeared = t.last
	}
	t.groups[i] = gs
	t.byKey[g.Key] = i
	return gs
}

// forget drops a group long gone. Goroutines away from it stop
// remembering it once the poll's groups are all forgotten (unhome).
func (t *Tracker) forget(gs *groupState) {
	delete(t.byKey, gs.tr.Key)
	t.groups[gs.idx] = nil
	t.free = append(t.free, gs.idx)
	t.forgotten = append(t.forgotten, gs.idx)
}

// unhome makes the goroutines away from a group forgotten at this poll
// forget it too, in one walk of the goroutine table, copied before it
// changes (Views share it).
func (t *Tracker) unhome() {
	if len(t.forgotten) == 0 {
		return
	}
	gone := make([]bool, len(t.groups))
	for _, i := range t.forgotten {
		gone[i] = true
	}
	t.forgotten = t.forgotten[:0]
	cloned := false
	for i := range t.ids {
		if h := t.ids[i].home; h != noHome && gone[h] {
			if !cloned {
				t.ids, cloned = slices.Clone(t.ids), true
			}
			t.ids[i].home = noHome
		}
	}
}

// bound forgets groups absent from the latest snapshot, longest gone
// first, however recently, while the tracker holds more than MaxGroups;
// held says which hold goroutines of the table (nil: none do).
func (t *Tracker) bound(held []bool) {
	over := len(t.byKey) - t.opts.MaxGroups
	if over <= 0 {
		return
	}
	var absent []*groupState
	for _, gs := range t.groups {
		if gs != nil && !gs.tr.Present && (held == nil || !held[gs.idx]) {
			absent = append(absent, gs)
		}
	}
	slices.SortFunc(absent, func(a, b *groupState) int {
		if c := a.tr.LastSeen.Compare(b.tr.LastSeen); c != 0 {
			return c
		}
		return cmp.Compare(a.tr.Key, b.tr.Key)
	})
	for _, gs := range absent[:min(over, len(absent))] {
		t.forget(gs)
		t.evicted++
	}
}

// windowAt returns the window that judges the poll at time at, a full
// dump or not; the totals hold the full polls before it. The window never
// reaches back across a restart.
func (t *Tracker) windowAt(at time.Time, restart, full bool) window {
	w := window{keep: math.MinInt64, awayGone: math.MinInt64, base: at, from: at, full: full, lastFull: at}
	if !full {
		w.lastFull = time.Time{}
		if n := len(t.totals); n > 0 {
			w.lastFull = t.totals[n-1].At
		}
	}
	if restart {
		return w
	}
	w.from = at.Add(-t.opts.Window)
	if n := len(t.restarts); n > 0 && t.restarts[n-1].After(w.from) {
		w.from = t.restarts[n-1]
	}
	if len(t.totals) == 0 {
		// Counts alone so far (a series of profiles): their growth is
		// measured over the window all the same.
		w.base = w.from
		return w
	}
	if n := len(t.totals); full {
		w.prevFull = t.totals[n-1].At
		w.awayGone = w.prevFull.UnixNano()
	} else if n >= 2 {
		w.awayGone = t.totals[n-2].At.UnixNano()
	}
	w.awayGone = min(w.awayGone, at.Add(-t.opts.Sustain).UnixNano())
	i := searchAt(t.totals, w.from)
	if i < len(t.totals) {
		w.base = t.totals[i].At
		w.interval = at.Sub(w.base) / time.Duration(len(t.totals)-i)
	}
	if n := len(t.totals); n >= 2 {
		w.keep = t.totals[n-2].At.UnixNano()
	}
	return w
}

// merge walks the live goroutines and the snapshot's, both sorted by ID:
// an ID in both survived (and may have moved group), one only in the
// snapshot was born, one only in the table exited. After a restart the old
// table is dropped without counting exits, and at a baseline poll nothing
// counts as born.
func (t *Tracker) merge(seen []sighting, idx []int32, snap *stackparse.Snapshot, now int64, baseline bool) {
	prev, last := t.ids, t.last.UnixNano()
	if baseline {
		prev = nil
	}
	next := make([]entry, 0, len(seen))
	i := 0
	for _, s := range seen {
		for ; i < len(prev) && prev[i].id < s.id; i++ {
			t.exit(prev[i], last)
		}
		gi := idx[s.si]
		gr := &snap.Groups[s.si].Goroutines[s.mi]
		var e entry
		if i < len(prev) && prev[i].id == s.id {
			e = prev[i]
			i++
			if e.group != gi {
				t.groups[e.group].poll.MovedOut++
				t.groups[gi].poll.MovedIn++
				switch e.home {
				case gi: // back in its group: it never left
					e.since, e.home = e.homeSince, noHome
				case noHome: // leaves its group, which remembers it a while
					e.home, e.homeSince, e.leftAt = e.group, e.since, last
					e.since = now
				default:
					e.since = now
				}
				e.group = gi
			}
		} else {
			e = entry{id: s.id, first: now, since: now, group: gi, home: noHome}
			if !baseline {
				t.groups[gi].poll.Born++
			}
		}
		e.wait = int32(min(gr.WaitMinutes, math.MaxInt32))
		next = append(next, e)
		t.groups[gi].see(&e, gr, now)
	}
	for ; i < len(prev); i++ {
		t.exit(prev[i], last)
	}
	t.ids = next
}

func (t *Tracker) exit(e entry, last int64) {
	gs := t.groups[e.group]
	gs.poll.Exited++
	gs.leave(e.since, e.wait, last)
	if e.home != noHome {
		t.groups[e.home].leave(e.homeSince, 0, e.leftAt) // it left its group for good
	}
	t.markGone(e.id)
}

// countKept counts, per group, the newcomers that stay: goroutines that
// entered the group after base, by keep (so they have been seen at three
// polls or more), and have been in it longer than any goroutine that left
// it within the window. Goroutines of a group that turns over, even
// slowly, are not counted until they outlive the ones seen leaving. A
// goroutine that stepped out of the group counts as having left once it
// exited, or was seen out of it at two full polls and for Sustain: it
// left before awayGone.
func (t *Tracker) countKept(now, base, keep, awayGone int64) {
	ceiling := make([]int64, len(t.groups))
	for i, gs := range t.groups {
		if gs != nil {
			ceiling[i] = gs.longestStay(now, base)
		}
	}
	for i := range t.ids {
		if e := &t.ids[i]; e.home != noHome && e.leftAt > base && e.leftAt < awayGone {
			ceiling[e.home] = max(ceiling[e.home], e.leftAt-e.homeSince)
		}
	}
	for i, gs := range t.groups {
		if gs != nil {
			gs.ceiling = ceiling[i]
		}
	}
	for i := range t.ids {
		e := &t.ids[i]
		if e.since <= base || e.since > keep || now-e.since <= ceiling[e.group] {
			continue
		}
		gs := t.groups[e.group]
		if gs.kept == 0 || e.since < gs.keptLo {
			gs.keptLo = e.since
		}
		gs.keptHi = max(gs.keptHi, e.since)
		gs.kept++
	}
}

// record appends the poll's point to a group's history and refreshes what
// the Trend says of the latest snapshot. It returns false when the group
// has been gone long enough to forget.
func (t *Tracker) record(gs *groupState, at time.Time, restart, full bool) bool {
	tr := gs.tr
	p := gs.poll
	p.At, p.Restart, p.Full = at, restart, full
	if gs.present {
		tr.Group = gs.group
		tr.Present = true
		tr.LastSeen = at
		tr.OldestAge = time.Duration(gs.maxAge)
		tr.WaitAge = time.Duration(gs.maxWait)
		tr.WaitAges = gs.waitAges
		tr.Leaked = gs.leaked
	} else {
		if at.Sub(tr.LastSeen) > t.opts.Forget {
			return false
		}
		if tr.Present && tr.Group != nil {
			g := *tr.Group
			g.Goroutines = nil
			tr.Group = &g
		}
		tr.Present = false
		tr.OldestAge, tr.WaitAge, tr.WaitAges, tr.Leaked = 0, 0, [4]int{}, 0
	}
	tr.Count = p.Count
	tr.History = append(tr.History, p)
	return true
}

// lookup finds a live goroutine by ID in a goroutine table.
func lookup(ids []entry, id int64) (entry, bool) {
	i, ok := slices.BinarySearchFunc(ids, id, func(e entry, id int64) int { return cmp.Compare(e.id, id) })
	if !ok {
		return entry{}, false
	}
	return ids[i], true
}

// goneIDs bounds the IDs Tracker.gone remembers: a restarted process
// hands out IDs from 1 again, so the low ones tell.
const goneIDs = 1 << 16

// markGone notes that the goroutine id exited (Tracker.gone).
func (t *Tracker) markGone(id int64) {
	if id <= 0 || id >= goneIDs {
		return
	}
	if t.gone == nil {
		t.gone = make([]uint64, goneIDs/64)
	}
	t.gone[id/64] |= 1 << (id % 64)
}

// seenGone reports whether id was seen to exit (markGone).
func (t *Tracker) seenGone(id int64) bool {
	return t.gone != nil && id > 0 && id < goneIDs && t.gone[id/64]&(1<<(id%64)) != 0
}

// restarted tells whether the snapshot comes from a new process. Either
// two goroutines or more
//
//   - came back: their IDs were seen to exit at an earlier poll, and one
//     process never hands out an ID twice (runtime goroutines aside: the
//     finalizer and cleanup goroutines show in a dump only while they
//     run user code); or
//   - kept their ID but not their creation site, which no goroutine of
//     one process does (the new process's goroutines took the old one's
//     IDs: a young process restarted, seen however long after);
//
// or most goroutines seen before are gone and the highest ID went down,
// and then either
//
//   - the ID counter went backwards: goroutines gorotop had not seen have
//     IDs below half the previous highest, from two batches of 16 IDs or
//     more. One process hands out IDs in increasing order, but from
//     per-P batches of 16 ([16k+1, 16k+16]), so a P that made no goroutine
//     for a while hands out a newcomer far below the highest ID: the
//     goroutine net/http starts for each request (the poll's own) often
//     gets one, and a burst that drained leaves no other sign. Two Ps
//     doing so between two polls is rarer; or
//   - the goroutines that kept their ID and group lost the wait minutes
//     they had: a new process whose start-up goroutines got the same IDs
//     as the old one's, found before it made any new goroutine.
func (t *Tracker) restarted(seen []sighting, idx []int32, snap *stackparse.Snapshot) bool {
	prev := t.ids
	if len(prev) < 2 || len(seen) == 0 {
		return false
	}
	prevMax := prev[len(prev)-1].id
	var survivors, waited, reset, reborn, back int
	low, lowBatch := 0, int64(-1) // batches of newcomers far below prevMax
	i := 0
	for _, s := range seen {
		for i < len(prev) && prev[i].id < s.id {
			i++
		}
		if i < len(prev) && prev[i].id == s.id {
			survivors++
			// A goroutine never changes who created it: an ID now
			// under another creation site belongs to a new process.
			if e := prev[i]; e.group != idx[s.si] && !sameCreator(t.groups[e.group], snap.Groups[s.si]) {
				reborn++
			}
			if e := prev[i]; e.group == idx[s.si] && e.wait >= 2 {
				waited++
				if int(e.wait) > snap.Groups[s.si].Goroutines[s.mi].WaitMinutes {
					reset++
				}
			}
			continue
		}
		if t.seenGone(s.id) && !runtimeCreated(snap.Groups[s.si]) {
			back++
		}
		if b := (s.id - 1) / 16; s.id < prevMax/2 && b != lowBatch {
			low, lowBatch = low+1, b
		}
	}
	if reborn >= 2 || back >= 2 {
		return true
	}
	if seen[len(seen)-1].id >= prevMax {
		return false
	}
	if vanished := len(prev) - survivors; 2*vanished < len(prev) {
		return false
	}
	waitsReset := reset >= 2 && 2*reset >= waited
	return low >= 2 || waitsReset
}

// runtimeCreated reports whether the group's goroutines were started by
// the runtime itself.
func runtimeCreated(g *stackparse.Group) bool {
	return g.CreatedBy != nil && strings.HasPrefix(g.CreatedBy.Func, "runtime.")
}

// sameCreator reports whether a tracked group and a group of the new
// snapshot may have been created at the same site: unless both name one,
// and not the same.
func sameCreator(gs *groupState, g *stackparse.Group) bool {
	if gs == nil || gs.tr.Group == nil {
		return true
	}
	a, b := gs.tr.Group.CreatedBy, g.CreatedBy
	if a == nil || b == nil {
		return true // main, or a stack read without its last lines
	}
	return a.Func == b.Func && a.File == b.File && a.Line == b.Line
}
