// Package track follows goroutine groups across snapshots: how many each
// group held at each poll, which goroutines were born, which exited and
// which moved to another group, how long each has been seen waiting, how
// fast each group grows, and whether it looks like a leak, is stuck, or
// holds goroutines the runtime proved leaked.
//
// The package is pure: the time of each snapshot is a parameter.
//
// # Memory
//
// Between polls a Tracker keeps, besides the latest snapshot's groups
// (which it shares with the caller, never copies):
//
//   - 32 bytes per live goroutine: its ID, when gorotop first saw it, when
//     it entered its current group, its group and its last wait minutes,
//     in one slice sorted by ID (no map: no per-entry overhead, and it
//     shrinks when the target does).
//   - per group, its History: one Point (72 bytes) per poll for the last
//     hour, one per minute from an hour to a day old, one per 15 minutes
//     beyond. At 2 s polls that is at most 1 800 + 1 380 points (plus one
//     minute's worth before each compaction) after a day, about 300 KB per
//     group with the slice's slack, and 96 points (7 KB) more per extra
//     day. The totals history is bounded the same way. Groups absent for
//     longer than Options.Forget are dropped.
//
// So a day at 2 s polls on a 100 000-goroutine target in 50 groups keeps
// about 3.2 MB of goroutine state and 15 MB of history.
package track

import (
	"cmp"
	"slices"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Options tune the tracker. The zero value is ready to use.
type Options struct {
	// Window is how far back growth is judged. Zero means 5 minutes. A leak
	// must add MinGrowth goroutines within it to be seen, so the slowest
	// leak found is about MinGrowth/Window (5 per 5 minutes by default).
	Window time.Duration
	// MinGrowth is the smallest net growth over the window, and the
	// smallest number of newcomers still there, that make a leak. Zero
	// means 5: a handful of goroutines made on first use (a connection
	// each to a few peers, helpers started lazily) is growth that stops,
	// and too little to tell from a leak before it does.
	MinGrowth int
	// Sustain is the shortest time between the first and the last arrival
	// of a suspect's newcomers that are still there: growth must be spread
	// over time, not land at once as a burst does. It is never less than
	// two poll intervals. Zero means 10 seconds.
	Sustain time.Duration
	// RiseFor is the shortest climb of a group's count, read at every
	// poll, that marks it rising (see climbOf). Zero means 30 seconds.
	RiseFor time.Duration
	// StuckAfter is how long a group's goroutines must all have waited,
	// unchanged, before it is marked stuck. Zero means 1 minute.
	StuckAfter time.Duration
	// Forget drops a group absent from the snapshots for longer than this.
	// Zero means 15 minutes; it is never less than Window.
	Forget time.Duration
	// MaxGroups bounds the groups tracked: past it, groups absent from
	// the latest snapshot are forgotten at once, those gone longest first
	// (a target whose stacks change at every poll, a name per request,
	// would otherwise pile up a group per stack for Forget). Groups in
	// the latest snapshot are always tracked; a snapshot holds at most
	// stackparse's bound. Zero means 10 000.
	MaxGroups int
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = 5 * time.Minute
	}
	if o.MinGrowth <= 0 {
		o.MinGrowth = 5
	}
	if o.Sustain <= 0 {
		o.Sustain = 10 * time.Second
	}
	if o.RiseFor <= 0 {
		o.RiseFor = 30 * time.Second
	}
	if o.StuckAfter <= 0 {
		o.StuckAfter = time.Minute
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = 10_000
	}
	if o.Forget <= 0 {
		o.Forget = 15 * time.Minute
	}
	o.Forget = max(o.Forget, o.Window)
	return o
}

// Point is one group's state at one poll (or, in the totals, the whole
// target's). Over a minute after the last hour, and over 15 minutes after
// the last day, points are merged: At and Count are those of the last poll
// merged, Born, Exited, MovedIn and MovedOut are summed, and Restart is set
// if any merged poll had it.
//
// From one poll to the next, Count = previous Count + Born + MovedIn −
// Exited − MovedOut.
type Point struct {
	At    time.Time
	Count int
	// Born counts goroutines gorotop had not seen before, in this group.
	// Goroutines found at the first poll, or just after a restart, are not
	// counted as born.
	Born int
	// Exited counts goroutines of this group that are gone from the
	// process. A restart is not counted as exits.
	Exited int
	// MovedIn and MovedOut count goroutines that changed group (their
	// state or stack changed) since the previous poll.
	MovedIn, MovedOut int
	// Restart is set on the first poll of a restarted target.
	Restart bool
	// Full is set when the poll read goroutine IDs (a full dump), so that
	// Born, Exited and the moves are known; a count-only poll leaves them
	// zero.
	Full bool
}

// Survived returns how many goroutines were already in the group at the
// previous poll. It is meaningful on points that were not merged.
func (p Point) Survived() int { return p.Count - p.Born - p.MovedIn }

// WaitBuckets are the upper bounds of the wait-age buckets of
// Trend.WaitAges; the last bucket has no bound.
var WaitBuckets = [3]time.Duration{time.Minute, 5 * time.Minute, time.Hour}

// WaitBucketLabels name the buckets of Trend.WaitAges.
var WaitBucketLabels = [4]string{"<1m", "1–5m", "5–60m", "≥60m"}

// Trend is one group over time.
type Trend struct {
	Key string
	// Group is the group as last seen; when the group is gone from the
	// latest snapshot it is its last appearance without its goroutines,
	// and Count is 0.
	Group *stackparse.Group
	// Count is the group's size in the latest snapshot.
	Count int
	// Present is set when the group is in the latest snapshot.
	Present bool
	// History holds one point per poll since the group was first seen,
	// downsampled as Point says.
	History []Point
	// FirstSeen and LastSeen are when gorotop first and last saw the group.
	FirstSeen, LastSeen time.Time

	// GrowthPerMin is the slope of the count over the window, per minute:
	// the figure suspicion and its reason read.
	GrowthPerMin float64
	// RecentPerMin is the change of the count over the latest minute
	// (RecentSpan), per minute: where the count goes now. After a drop it
	// is negative, while GrowthPerMin may still read the climb before it.
	RecentPerMin float64
	// Net is the change of the count over the window.
	Net int
	// Born, Exited, MovedIn and MovedOut sum the points over the window.
	Born, Exited      int
	MovedIn, MovedOut int
	// Kept counts goroutines that joined the group within the window, have
	// stayed in it for at least two polls, and are still there.
	Kept int

	// OldestAge is how long the oldest goroutine has existed as gorotop saw
	// it (across group moves), or as the runtime's wait minutes say,
	// whichever is longer.
	OldestAge time.Duration
	// WaitAge is the longest a goroutine of the group has been blocked,
	// as the runtime's wait minutes say: the runtime prints them once a
	// goroutine has been blocked for a minute, so zero means under a
	// minute. What gorotop saw itself tells nothing of it: a goroutine
	// that wakes a thousand times a second may be caught at the same line
	// at every poll.
	WaitAge time.Duration
	// WaitAges counts the goroutines by the runtime's wait minutes, in the
	// buckets WaitBuckets bound and WaitBucketLabels name.
	WaitAges [4]int

	// Suspect marks a likely leak; Reason says why in a few words (for a
	// rising, stuck or proven group too).
	Suspect bool
	Reason  string
	// Rising marks a group whose count has climbed steadily across the
	// latest polls (cheap count-only ones included) that full dumps have
	// not yet confirmed as a leak; a rising group is never Suspect.
	// RisingSince is when the climb started.
	Rising      bool
	RisingSince time.Time
	// Stuck marks a group whose goroutines neither come nor go while they
	// keep waiting on a lock, a wait group or a send: a deadlock candidate.
	// A stuck group is never Suspect.
	Stuck bool
	// Proven is set when the runtime proved goroutines of the group leaked
	// (Go 1.26 goroutineleak profile); Leaked counts them.
	Proven bool
	Leaked int
	// doubt is why a group that gained goroutines is not suspected; see
	// NotSuspected.
	doubt doubt
	// Score orders groups: proven leaks first, then suspects by growth,
	// then rising groups by growth, then stuck groups, then the rest by
	// count.
	Score float64
}

// Tracker follows groups across snapshots. It is not safe for concurrent
// use: the Trends and the Point slices it returns are its own and change
// in place at the next Observe, so read them between calls (as a Bubble
// Tea Update and View do), or copy them.
type Tracker struct {
	opts Options

	byKey  map[string]int32
	groups []*groupState // by index; nil when free
	free   []int32

	ids []entry // live goroutines, sorted by ID
	// gone marks the IDs below goneIDs seen to exit since the first poll
	// or the latest restart: one process never hands out an ID twice, so
	// such an ID seen again comes from a new one. Allocated at the first
	// exit; 8 KiB.
	gone     []uint64
	totals   []Point
	restarts []time.Time
	// polled holds the times of the polls, full or not, since the latest
	// restart and within the window, at most maxPolled: what Judged reads.
	polled   []time.Time
	creators map[creatorKey]*creatorState

	polls     int
	evicted   int     // groups forgotten early to stay within MaxGroups
	forgotten []int32 // groups forgotten at this poll, for unhome
	last      time.Time
	baseline  time.Time // the first full poll, or the latest restart
	compacted time.Time
}

// New returns an empty Tracker.
func New(opts Options) *Tracker {
	return &Tracker{
		opts:     opts.withDefaults(),
		byKey:    map[string]int32{},
		creators: map[creatorKey]*creatorState{},
	}
}

// sortTrends orders trends as Trends returns them.
func sortTrends(trends []*Trend) { slices.SortFunc(trends, byScore) }

// byScore orders present trends first, then by Score, count and key.
func byScore(a, b *Trend) int {
	if c := trueFirst(a.Present, b.Present); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// maxPolled bounds Tracker.polled.
const maxPolled = 4096

// notePoll adds a poll's time to those Judged reads.
func (t *Tracker) notePoll(at time.Time, restart bool) {
	if restart {
		t.polled = t.polled[:0]
	}
	from := at.Add(-t.opts.Window)
	i := 0
	for i < len(t.polled) && (t.polled[i].Before(from) || len(t.polled)-i >= maxPolled) {
		i++
	}
	t.polled = append(t.polled[:0], t.polled[i:]...)
	t.polled = append(t.polled, at)
}

// Judged reports whether the polls so far could have shown a leak: the
// goroutine IDs of four full polls or more, those after the first
// spanning Sustain or more (what a suspect needs at least); or, within
// the window, polls of any kind over RiseFor or more, minRisePoints or
// more of them, none more than a third of RiseFor after the one before
// (what a rising group needs at least).
// A tracker that has not judged says nothing by finding no leak.
func (t *Tracker) Judged() bool {
	full := t.totals
	if n := len(t.restarts); n > 0 {
		full = full[searchAt(full, t.restarts[n-1]):]
	}
	if n := len(full); n >= 4 && full[n-1].At.Sub(full[1].At) >= t.opts.Sustain {
		return true
	}
	// Any stretch of the window will do: a slow poll at the end does not
	// undo what the ones before could show.
	start := 0
	for i := 1; i < len(t.polled); i++ {
		if t.polled[i].Sub(t.polled[i-1]) > t.opts.RiseFor/3 {
			start = i
			continue
		}
		if t.polled[i].Sub(t.polled[start]) >= t.opts.RiseFor && i-start+1 >= minRisePoints {
			return true
		}
	}
	return false
}

// trueFirst orders true before false.
func trueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

// group returns the state of a tracked group, or nil.
func (t *Tracker) group(key string) *groupState {
	if i, ok := t.byKey[key]; ok {
		return t.groups[i]
	}
	return nil
}
