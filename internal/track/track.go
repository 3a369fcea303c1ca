// Package track follows goroutine groups across snapshots: how many each
// group held at each poll, which goroutines were born and which exited,
// how fast the group grows, and whether it looks like a leak.
//
// The package is pure: the time of each snapshot is a parameter.
package track

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Options tune the tracker.
type Options struct {
	// Window is how far back growth is measured. Zero means 5 minutes.
	Window time.Duration
}

// Point is one group's state at one poll.
type Point struct {
	At     time.Time
	Count  int
	Born   int // goroutines new since the previous poll
	Exited int // goroutines gone since the previous poll
}

// Trend is one group over time.
type Trend struct {
	Key string
	// Group is the group as last seen; when the group is gone from the
	// latest snapshot it is its last appearance and Count is 0.
	Group *stackparse.Group
	// Count is the group's size in the latest snapshot.
	Count int
	// History holds one point per poll since the group was first seen.
	History []Point
	// FirstSeen is when gorotop first saw the group.
	FirstSeen time.Time
	// GrowthPerMin is the group's growth over the window, per minute.
	GrowthPerMin float64
	// Born and Exited count goroutines over the window.
	Born, Exited int
	// OldestAge is how long the oldest goroutine has existed as gorotop saw
	// it, or as the runtime's wait minutes say, whichever is longer.
	OldestAge time.Duration
	// Suspect marks a likely leak; Reason says why in a few words.
	Suspect bool
	Reason  string
	// Stuck marks a group whose goroutines neither come nor go while they
	// keep waiting: a deadlock candidate.
	Stuck bool
	// Score orders groups by suspicion, highest first.
	Score float64
}

// Tracker follows groups across snapshots. It is not safe for concurrent
// use.
type Tracker struct {
	opts   Options
	trends map[string]*Trend
	seen   map[string]map[int64]time.Time // per group: goroutine ID → first seen
	totals []Point
	last   time.Time
}

// New returns an empty Tracker.
func New(opts Options) *Tracker {
	if opts.Window <= 0 {
		opts.Window = 5 * time.Minute
	}
	return &Tracker{opts: opts, trends: map[string]*Trend{}, seen: map[string]map[int64]time.Time{}}
}

// Observe adds a snapshot taken at time at.
func (t *Tracker) Observe(at time.Time, snap *stackparse.Snapshot) {
	t.last = at
	present := map[string]bool{}
	for _, g := range snap.Groups {
		present[g.Key] = true
		tr := t.trends[g.Key]
		if tr == nil {
			tr = &Trend{Key: g.Key, FirstSeen: at}
			t.trends[g.Key] = tr
		}
		tr.Group = g
		tr.Count = g.Count()
		ids := t.seen[g.Key]
		if ids == nil {
			ids = map[int64]time.Time{}
			t.seen[g.Key] = ids
		}
		p := Point{At: at, Count: g.Count()}
		now := make(map[int64]time.Time, len(g.Goroutines))
		oldest := at
		for _, gr := range g.Goroutines {
			first, ok := ids[gr.ID]
			if !ok {
				first = at
				if len(tr.History) > 0 {
					p.Born++
				}
			}
			// The runtime's wait minutes say it is at least that old.
			if w := at.Add(-time.Duration(gr.WaitMinutes) * time.Minute); w.Before(first) {
				first = w
			}
			now[gr.ID] = first
			if first.Before(oldest) {
				oldest = first
			}
		}
		p.Exited = len(ids) - (len(now) - p.Born)
		if len(tr.History) == 0 {
			p.Exited = 0
		}
		t.seen[g.Key] = now
		tr.OldestAge = at.Sub(oldest)
		tr.History = append(tr.History, p)
	}
	for key, tr := range t.trends {
		if present[key] {
			continue
		}
		ids := t.seen[key]
		tr.Count = 0
		tr.History = append(tr.History, Point{At: at, Exited: len(ids)})
		delete(t.seen, key)
	}
	t.totals = append(t.totals, Point{At: at, Count: snap.Total})
	for _, tr := range t.trends {
		t.judge(tr, at)
	}
}

// judge computes a trend's growth and suspicion at time now.
func (t *Tracker) judge(tr *Trend, now time.Time) {
	from := now.Add(-t.opts.Window)
	var window []Point
	for _, p := range tr.History {
		if !p.At.Before(from) {
			window = append(window, p)
		}
	}
	tr.Born, tr.Exited = 0, 0
	for i, p := range window {
		if i == 0 {
			continue
		}
		tr.Born += p.Born
		tr.Exited += p.Exited
	}
	tr.GrowthPerMin = slope(window) * 60
	tr.Suspect, tr.Stuck, tr.Reason = false, false, ""
	net := 0
	if len(window) > 1 {
		net = window[len(window)-1].Count - window[0].Count
	}
	span := 0 * time.Second
	if len(window) > 1 {
		span = window[len(window)-1].At.Sub(window[0].At)
	}
	if len(window) >= 3 && net >= 3 && tr.GrowthPerMin > 0 && tr.Exited*10 <= tr.Born && span >= 2*time.Second {
		tr.Suspect = true
		tr.Reason = fmt.Sprintf("+%s/min, %d exited, oldest %s", formatRate(tr.GrowthPerMin), tr.Exited, formatAge(tr.OldestAge))
	}
	tr.Score = 0
	if tr.Suspect {
		tr.Score = 1e6 + tr.GrowthPerMin
	} else {
		tr.Score = float64(tr.Count) / 1e6
	}
}

// slope fits count against seconds by least squares.
func slope(ps []Point) float64 {
	if len(ps) < 2 {
		return 0
	}
	t0 := ps[0].At
	var sx, sy, sxx, sxy float64
	for _, p := range ps {
		x := p.At.Sub(t0).Seconds()
		y := float64(p.Count)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	n := float64(len(ps))
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// Trends returns every group seen, present ones first, by suspicion.
func (t *Tracker) Trends() []*Trend {
	out := make([]*Trend, 0, len(t.trends))
	for _, tr := range t.trends {
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b *Trend) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// Trend returns the trend of one group, or nil.
func (t *Tracker) Trend(key string) *Trend { return t.trends[key] }

// Totals returns the total goroutine count at each poll.
func (t *Tracker) Totals() []Point { return t.totals }

// Suspects returns the suspected leaks, most suspicious first.
func (t *Tracker) Suspects() []*Trend {
	var out []*Trend
	for _, tr := range t.Trends() {
		if tr.Suspect {
			out = append(out, tr)
		}
	}
	return out
}

func formatRate(r float64) string {
	if r >= 10 || r == math.Trunc(r) {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// formatAge prints a duration the way the reason line shows it: 40s, 12m,
// 3h.
func formatAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
}
