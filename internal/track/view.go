package track

import (
	"fmt"
	"time"
)

// View is what a Tracker knew after one poll, frozen: every group's Trend
// (copies), the totals, restarts and creation sites, and the goroutine
// table, for the queries a screen or a report makes. A View never changes,
// so other goroutines may read it while the Tracker observes the next
// poll (the Tracker copies what Views share before it changes it).
type View struct {
	opts           Options
	polls          int
	last, baseline time.Time
	trends         []*Trend // by score, as Tracker.Trends
	byKey          map[string]*Trend
	totals         []Point
	restarts       []time.Time
	creators       []CreatorStat
	ids            []entry  // the goroutine table, shared with the Tracker
	keys           []string // Tracker.groups' keys by index, for ids
	judged         bool
	evicted        int
}

// View freezes what the tracker knows now. It costs a copy of every
// group's Trend (not of their histories, which the View shares).
func (t *Tracker) View() *View {
	v := &View{
		opts:     t.opts,
		polls:    t.polls,
		last:     t.last,
		baseline: t.baseline,
		trends:   make([]*Trend, 0, len(t.byKey)),
		byKey:    make(map[string]*Trend, len(t.byKey)),
		totals:   t.totals[:len(t.totals):len(t.totals)],
		restarts: t.restarts[:len(t.restarts):len(t.restarts)],
		creators: t.Creators(),
		ids:      t.ids,
		keys:     make([]string, len(t.groups)),
		judged:   t.Judged(),
		evicted:  t.evicted,
	}
	for i, gs := range t.groups {
		if gs == nil {
			continue
		}
		tr := *gs.tr
		tr.History = tr.History[:len(tr.History):len(tr.History)]
		v.trends = append(v.trends, &tr)
		v.byKey[tr.Key] = &tr
		v.keys[i] = tr.Key
	}
	sortTrends(v.trends)
	return v
}

// Options returns the tracker's options, defaults filled in and the window
// as widened by then.
func (v *View) Options() Options { return v.opts }

// Polls returns how many snapshots the tracker had observed.
func (v *View) Polls() int { return v.polls }

// Last returns the time of the latest snapshot.
func (v *View) Last() time.Time { return v.last }

// Trends returns every group tracked, present ones first, by Score.
func (v *View) Trends() []*Trend { return v.trends }

// Trend returns the trend of one group, or nil.
func (v *View) Trend(key string) *Trend { return v.byKey[key] }

// Totals returns the whole target's goroutine count at each full poll.
func (v *View) Totals() []Point { return v.totals }

// Restarts returns when the target was seen to restart, oldest first.
func (v *View) Restarts() []time.Time { return v.restarts }

// Creators returns the creation sites seen: suspects first, then by
// goroutines alive.
func (v *View) Creators() []CreatorStat { return v.creators }

// Judged reports whether the polls could have shown a leak (see
// Tracker.Judged).
func (v *View) Judged() bool { return v.judged }

// Warning says, in one line, when the tracker forgot groups early to stay
// within Options.MaxGroups; "" when it did not.
func (v *View) Warning() string {
	if v.evicted == 0 {
		return ""
	}
	return fmt.Sprintf("%d groups gone from the dumps were forgotten early, to track at most %d: stacks that change at every poll (a function per request?) make a group each", v.evicted, v.opts.MaxGroups)
}

// Suspects returns the suspected leaks (Trend.Suspect), most suspicious
// first. Groups the runtime proved leaked without being suspected are not
// in it; Trends puts them first.
func (v *View) Suspects() []*Trend { return v.filter(func(tr *Trend) bool { return tr.Suspect }) }

// Rises returns the rising groups (Trend.Rising), steepest first.
func (v *View) Rises() []*Trend { return v.filter(func(tr *Trend) bool { return tr.Rising }) }

func (v *View) filter(keep func(*Trend) bool) []*Trend {
	var out []*Trend
	for _, tr := range v.trends {
		if keep(tr) {
			out = append(out, tr)
		}
	}
	return out
}

// Verdict is what a tracker concludes of the target as a whole.
type Verdict string

// The verdicts, most serious first.
const (
	// Leak: a group is suspected of leaking, or holds goroutines the
	// runtime proved leaked.
	Leak Verdict = "leak"
	// Rising: no group is suspected yet, but one rises (Trend.Rising):
	// full dumps have not confirmed it.
	Rising Verdict = "rising"
	// NotJudged: nothing is flagged, but the polls so far could not have
	// shown a leak (Tracker.Judged).
	NotJudged Verdict = "not-judged"
	// Clean: nothing is flagged, and the polls could have shown it.
	Clean Verdict = "clean"
)

// Verdict returns the verdict on the latest poll.
func (v *View) Verdict() Verdict {
	rising := false
	for _, tr := range v.trends {
		if !tr.Present {
			continue
		}
		if tr.Suspect || tr.Proven {
			return Leak
		}
		rising = rising || tr.Rising
	}
	switch {
	case rising:
		return Rising
	case !v.judged:
		return NotJudged
	}
	return Clean
}

// Sighting is what the tracker knows of one live goroutine.
type Sighting struct {
	ID int64
	// Key is the group it was in at the latest full poll.
	Key string
	// FirstSeen is when gorotop first saw it, in any group.
	FirstSeen time.Time
	// InGroupSince is when gorotop saw it enter its current group.
	InGroupSince time.Time
}

// Goroutine returns what the tracker knew of a goroutine of the latest
// full snapshot.
func (v *View) Goroutine(id int64) (Sighting, bool) {
	e, ok := lookup(v.ids, id)
	if !ok {
		return Sighting{}, false
	}
	return Sighting{
		ID:           id,
		Key:          v.keys[e.group],
		FirstSeen:    time.Unix(0, e.first),
		InGroupSince: time.Unix(0, e.since),
	}, true
}
