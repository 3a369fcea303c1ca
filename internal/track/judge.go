package track

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// judge computes a group's window figures and verdicts after the poll
// that ended at the group's last point. base is the window's first poll;
// interval the mean poll interval in the window.
//
// A group is a suspected leak when, over the window, all of these hold:
//
//  1. it grew: the count rose by at least MinGrowth and its fitted slope
//     is positive;
//  2. the growth stays: at least MinGrowth goroutines, and at least half
//     the net growth, joined the group within the window, have been seen
//     in it at three polls or more, and have stayed longer than any
//     goroutine seen leaving the group within the window (a churning or
//     periodic group turns its goroutines over; its newcomers are not
//     evidence until they outlive the ones that left);
//  3. the growth is spread out: the first and last arrivals of those
//     goroutines are at least Sustain (and two poll intervals) apart, so a
//     burst that lands at one or two polls never qualifies, nor does a
//     step until the next step comes;
//  4. goroutines do not leave: at most half as many left the group
//     (exited or moved on) as joined it (pools and churn lose as many as
//     they gain).
//
// A group is stuck when it is not suspect, sits in a state only another
// goroutine can end (locks, wait groups, conditions, channel sends, nil
// channels), kept the very same goroutines across the window (none came,
// none left, over two polls or more), and each of them has waited at
// least StuckAfter.
func (t *Tracker) judge(gs *groupState, base time.Time, interval time.Duration) {
	tr := gs.tr
	o := t.opts
	w := measure(tr.History, base, gs.appeared)

	tr.GrowthPerMin = w.slope * 60
	tr.Net = w.last - w.base
	tr.Born, tr.Exited, tr.MovedIn, tr.MovedOut = w.born, w.exited, w.movedIn, w.movedOut
	tr.Kept = gs.kept

	entered, left := w.born+w.movedIn, w.exited+w.movedOut
	tr.Suspect = tr.Present &&
		tr.Net >= o.MinGrowth && w.slope > 0 &&
		gs.kept >= o.MinGrowth && 2*gs.kept >= tr.Net &&
		time.Duration(gs.keptHi-gs.keptLo) >= max(o.Sustain, 2*interval) &&
		2*left <= entered
	tr.Stuck = !tr.Suspect && tr.Present &&
		!w.appeared && w.points >= 2 && entered == 0 && left == 0 &&
		time.Duration(gs.minWait) >= o.StuckAfter &&
		tr.Group != nil && deadlockProne(tr.Group.State)
	tr.Proven = tr.Present && tr.Leaked > 0

	var reason []string
	if tr.Proven {
		reason = append(reason, fmt.Sprintf("%d proven leaked", tr.Leaked))
	}
	switch {
	case tr.Suspect:
		s := fmt.Sprintf("+%s/min (+%d in %s), %d exited", formatRate(tr.GrowthPerMin), tr.Net, FormatAge(w.span), tr.Exited)
		if tr.MovedOut > 0 {
			s += fmt.Sprintf(", %d moved on", tr.MovedOut)
		}
		reason = append(reason, s+", oldest "+FormatAge(tr.OldestAge))
	case tr.Stuck:
		reason = append(reason, fmt.Sprintf("same %d for %s, each waiting ≥%s", tr.Count, FormatAge(w.span), FormatAge(time.Duration(gs.minWait))))
	}
	tr.Reason = strings.Join(reason, "; ")

	const tier = 1e12
	switch {
	case !tr.Present:
		tr.Score = 0
	case tr.Proven:
		tr.Score = 3*tier + math.Min(float64(tr.Leaked), tier-1)
	case tr.Suspect:
		tr.Score = 2*tier + math.Min(tr.GrowthPerMin, tier-1)
	case tr.Stuck:
		tr.Score = tier + float64(tr.Count)
	default:
		tr.Score = float64(tr.Count)
	}
}

// deadlockStates are the states where waiting for minutes with the same
// goroutines means something is wrong; long waits in a receive, a select,
// I/O or a sleep are what idle servers do.
var deadlockStates = []string{
	"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock",
	"semacquire", "sync.WaitGroup.Wait", "sync.Cond.Wait",
	"chan send", "chan send (nil chan)", "chan receive (nil chan)",
	"select (no cases)",
}

func deadlockProne(state string) bool { return slices.Contains(deadlockStates, state) }

// windowStats are a group's figures over the window.
type windowStats struct {
	base, last                      int // counts
	born, exited, movedIn, movedOut int
	slope                           float64 // goroutines per second
	span                            time.Duration
	points                          int
	// appeared is set when the group first showed up inside the window;
	// it then starts from a count of zero at the poll before.
	appeared bool
}

// measure reads the points of h from base on. When the group appeared
// after base, a zero point at the poll before its first one (appeared)
// starts the window.
func measure(h []Point, base, appeared time.Time) windowStats {
	k := searchAt(h, base)
	pts := h[k:]
	var w windowStats
	if len(pts) == 0 {
		return w
	}
	t0 := pts[0].At
	var fit fitter
	if k == 0 && !appeared.IsZero() && pts[0].At.After(base) {
		w.appeared = true
		t0 = appeared
		fit.add(0, 0)
	} else {
		w.base = pts[0].Count
		fit.add(0, float64(w.base))
		pts = pts[1:]
	}
	w.last = w.base
	for _, p := range pts {
		w.born += p.Born
		w.exited += p.Exited
		w.movedIn += p.MovedIn
		w.movedOut += p.MovedOut
		w.last = p.Count
		fit.add(p.At.Sub(t0).Seconds(), float64(p.Count))
	}
	w.points = fit.n
	w.slope = fit.slope()
	w.span = h[len(h)-1].At.Sub(t0)
	return w
}

// fitter fits y against x by least squares.
type fitter struct {
	n                int
	sx, sy, sxx, sxy float64
}

func (f *fitter) add(x, y float64) {
	f.n++
	f.sx += x
	f.sy += y
	f.sxx += x * x
	f.sxy += x * y
}

func (f *fitter) slope() float64 {
	n := float64(f.n)
	d := n*f.sxx - f.sx*f.sx
	if f.n < 2 || d == 0 {
		return 0
	}
	return (n*f.sxy - f.sx*f.sy) / d
}

// formatRate prints a rate per minute: 310, 12, 2.5, 0.2.
func formatRate(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f", r)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", r), ".0")
}

// FormatAge prints a duration the way reasons show it: 40s, 12m, 3h, 2d.
func FormatAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
