package poll

import (
	"slices"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Sample is one poll's result: the snapshot, what the fetch was and cost,
// the pace that follows, and what the trackers knew once they observed it.
// It is the one type every part of gorotop reads a poll from.
type Sample struct {
	// Snap is the snapshot under the loop's main grouping: a full dump,
	// a cheap profile's counts on the last full dump's groups, or a dump
	// cut at 64 MiB completed from a cheap profile. Snap.CountOnly says
	// whether its goroutine IDs are to be accounted.
	Snap *stackparse.Snapshot
	// Meta is the fetch the snapshot is dated by: the cheap profile's, or
	// the full dump's (also when completed).
	Meta source.Meta
	// Cost is what the poll cost the target; only Kind, At and Bytes are
	// set for a source that is not polled live.
	Cost Cost
	// Pace is what comes next; zero for a source not polled live.
	Pace Pace
	// Completed says Snap is a dump cut at 64 MiB completed from a cheap
	// profile fetched right after it.
	Completed bool

	// snaps and views are, per grouping of the loop (the main first), the
	// snapshot and what its tracker knew after observing it.
	snaps []*stackparse.Snapshot
	views []*track.View
	gs    []stackparse.Grouping
}

// For returns the snapshot under grouping g and what its tracker knew
// after observing it; nils when the loop does not group that way.
func (s Sample) For(g stackparse.Grouping) (*stackparse.Snapshot, *track.View) {
	for i, sg := range s.gs {
		if sg == g {
			var v *track.View
			if i < len(s.views) {
				v = s.views[i]
			}
			return s.snaps[i], v
		}
	}
	return nil, nil
}

// View returns what the main grouping's tracker knew after observing the
// sample; nil before it is observed.
func (s Sample) View() *track.View {
	if len(s.views) == 0 {
		return nil
	}
	return s.views[0]
}

// Pace says when the next poll comes and what the target's stall share is
// at that pace.
type Pace struct {
	// Wait is how long after this poll's start the next should start;
	// Stretched says it is longer than the Policy's Interval, to spare
	// the target.
	Wait      time.Duration
	Stretched bool
	// FullEvery is the time between full dumps at the current pace;
	// CountsEvery that between cheap polls, zero when there are none.
	FullEvery, CountsEvery time.Duration
	// NextFull is when the next full dump is due.
	NextFull time.Time
	// Confirming names the group (its function) whose rise the next full
	// dump is brought forward to confirm; empty when none is.
	Confirming string
	// Share is the share of wall time the target spends stalled by polls
	// at the current pace (Policy.Share).
	Share float64
}

// With returns the sample carrying, under grouping g, snap and what a
// tracker knew after observing it: for a caller that files samples with
// trackers of its own rather than through a Loop.
func (s Sample) With(g stackparse.Grouping, snap *stackparse.Snapshot, v *track.View) Sample {
	if n := len(s.gs) - len(s.views); n > 0 {
		s.views = append(slices.Clone(s.views), make([]*track.View, n)...)
	}
	for i, sg := range s.gs {
		if sg == g {
			s.snaps = slices.Clone(s.snaps)
			s.views = slices.Clone(s.views)
			s.snaps[i], s.views[i] = snap, v
			return s
		}
	}
	s.gs = append(slices.Clone(s.gs), g)
	s.snaps = append(slices.Clone(s.snaps), snap)
	s.views = append(slices.Clone(s.views), v)
	if len(s.gs) == 1 {
		s.Snap = snap
	}
	return s
}

// Groupings returns the groupings the sample carries, the main first.
func (s Sample) Groupings() []stackparse.Grouping { return s.gs }
