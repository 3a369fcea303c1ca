package track

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
)

// window is what a poll is judged over.
type window struct {
	// base is the window's first full poll; keep the time of the full
	// poll two full polls before this one (a newcomer must have arrived
	// by then to count as staying); interval the mean time between full
	// polls in the window.
	base     time.Time
	keep     int64
	interval time.Duration
	// awayGone is the full poll before the latest one (this one, at a
	// full poll), and Sustain before the poll at the latest: a goroutine
	// that stepped out of its group before it has been seen out at two
	// full polls and been away that long, and has left. A long-lived
	// member caught busy at two full dumps a few seconds apart (a
	// different message each time) has not.
	awayGone int64
	// from is where the window starts for counts: Window before the
	// poll, or the latest restart.
	from time.Time
	// full says the poll being judged is a full dump.
	full bool
	// lastFull is the latest full poll, this one or an earlier one;
	// prevFull the full poll before this one, at a full poll.
	lastFull, prevFull time.Time
}

// judge computes a group's window figures and verdicts after the poll
// that ended at the group's last point.
//
// A group is a suspected leak when either the goroutine IDs of three full
// dumps or more show it (A), or two full dumps confirm a climb that the
// counts of the polls between them show (B).
//
// (A) Over the window, all of these hold:
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
//     they gain);
//  5. the growth goes on: the latest of those arrivals is no further
//     from the latest full dump than the first is from the latest (an
//     arrival dated by the count's latest new high when that is earlier
//     than the full dump that first saw it, and later than the one
//     before), or the count is still rising. Steps that stop (clients
//     connecting one after another, helpers made on first use) are growth
//     that ended.
//
// (B) The group is rising (see climbOf), and the latest full dump, with
// two count-only polls or more since the full dump before it, finds that
// MinGrowth goroutines or more joined the group since that dump, making
// up half its growth or more, and that at most half as many left it.
// The verdict holds until the next full dump, unless the count falls back
// below half the growth it confirmed.
//
// A group is stuck when it is neither suspect nor rising, sits in a state
// only another goroutine can end (locks, wait groups, conditions, channel
// sends, nil channels), kept the very same goroutines across the window
// (none came, none left, over two polls or more), and the runtime says
// each of them has been blocked StuckAfter or longer.
func (t *Tracker) judge(gs *groupState, win window) {
	tr := gs.tr
	if !tr.Present && !justGone(tr.History) {
		// Gone a while: no verdict, and its figures stay those of the poll
		// it went at (a target whose stacks change at every poll leaves
		// thousands of these).
		tr.Suspect, tr.Rising, tr.Stuck, tr.Proven = false, false, false, false
		tr.RisingSince, tr.Reason, tr.Score = time.Time{}, "", 0
		gs.confirmed = 0
		return
	}
	o := t.opts
	w := measure(tr.History, win.base, gs.appeared)

	tr.GrowthPerMin = w.slope * 60
	tr.RecentPerMin = recentRate(tr.History, win.from, gs.appeared) * 60
	tr.Net = w.last - w.base
	tr.Born, tr.Exited, tr.MovedIn, tr.MovedOut = w.born, w.exited, w.movedIn, w.movedOut
	tr.Kept = gs.kept

	entered, left := w.born+w.movedIn, w.exited+w.movedOut
	c, rising := climbOf(tr.History, win.from, gs.appeared, o)
	rising = rising && tr.Present && 2*left <= entered
	spread := gs.keptHi - gs.keptLo
	// The growth goes on: the latest newcomer that stays is no further
	// back than the newcomers are spread. A newcomer first seen at a full
	// dump came after the one before it; where full dumps are far apart,
	// the counts between them tell when: no later than the count's latest
	// new high.
	arrived := gs.keptHi
	if high := lastHigh(tr.History, win.from, gs.appeared); high < arrived {
		arrived = max(high, t.fullBefore(gs.keptHi))
	}
	goesOn := win.lastFull.UnixNano()-arrived <= arrived-gs.keptLo
	byIDs := tr.Present &&
		tr.Net >= o.MinGrowth && w.slope > 0 &&
		gs.kept >= o.MinGrowth && 2*gs.kept >= tr.Net &&
		time.Duration(spread) >= max(o.Sustain, 2*win.interval) &&
		2*left <= entered &&
		(goesOn || rising)
	if win.full {
		gs.confirmed = 0
		if rising {
			gs.confirmed = confirms(tr.History, win.prevFull, o)
		}
	}
	tr.Suspect = byIDs || gs.confirmed > 0 && tr.Present && tr.Count >= gs.confirmed
	tr.Rising = rising && !tr.Suspect
	tr.RisingSince = time.Time{}
	if tr.Rising {
		tr.RisingSince = c.from
	}
	tr.Stuck = !tr.Suspect && !tr.Rising && tr.Present &&
		!w.appeared && w.points >= 2 && entered == 0 && left == 0 &&
		time.Duration(gs.minWait) >= o.StuckAfter &&
		tr.Group != nil && deadlockProne(tr.Group.State)
	tr.Proven = tr.Present && tr.Leaked > 0
	tr.doubt = doubt{}
	if tr.Present && !tr.Suspect && entered >= o.MinGrowth {
		tr.doubt = doubt{entered: entered, left: left, net: tr.Net, kept: gs.kept, span: w.span, need: o.MinGrowth}
		switch minSpread := max(o.Sustain, 2*win.interval); {
		case 2*left > entered:
			tr.doubt.rule = turnsOver
		case tr.Net <= 0 || w.slope <= 0:
			tr.doubt.rule = noGrowth
		case tr.Net < o.MinGrowth:
			tr.doubt.rule = littleGrowth
		case gs.kept < o.MinGrowth || 2*gs.kept < tr.Net:
			tr.doubt.rule = notStayed
			tr.doubt.d = time.Duration(max(gs.ceiling, 0))
		case time.Duration(spread) < minSpread:
			tr.doubt.rule = notSpread
			tr.doubt.d, tr.doubt.d2 = time.Duration(spread), minSpread
		case !goesOn:
			tr.doubt.rule = stopped
			tr.doubt.d, tr.doubt.d2 = time.Duration(win.lastFull.UnixNano()-arrived), time.Duration(spread)
		default:
			tr.doubt = doubt{}
		}
	}

	var reason []string
	if tr.Proven {
		reason = append(reason, fmt.Sprintf("%d proven leaked", tr.Leaked))
	}
	switch {
	case tr.Rising && !tr.Proven:
		reason = append(reason, fmt.Sprintf("rising +%s/min for %s, not yet confirmed", human.Rate(c.perMin), human.Age(c.to.Sub(c.from))))
	case tr.Suspect:
		s := fmt.Sprintf("+%s/min (+%d in %s), %d exited", human.Rate(tr.GrowthPerMin), tr.Net, human.Age(w.span), tr.Exited)
		if tr.MovedOut > 0 {
			s += fmt.Sprintf(", %d moved on", tr.MovedOut)
		}
		reason = append(reason, s+", oldest "+human.Age(tr.OldestAge))
	case tr.Stuck:
		reason = append(reason, fmt.Sprintf("same %d for %s, each waiting ≥%s", tr.Count, human.Age(w.span), human.Age(time.Duration(gs.minWait))))
	}
	tr.Reason = strings.Join(reason, "; ")

	const tier = 1e12
	switch {
	case !tr.Present:
		tr.Score = 0
	case tr.Proven:
		tr.Score = 4*tier + math.Min(float64(tr.Leaked), tier-1)
	case tr.Suspect:
		tr.Score = 3*tier + math.Min(tr.GrowthPerMin, tier-1)
	case tr.Rising:
		tr.Score = 2*tier + math.Min(math.Max(c.perMin, 0), tier-1)
	case tr.Stuck:
		tr.Score = tier + float64(tr.Count)
	default:
		tr.Score = float64(tr.Count)
	}
}

// fullBefore is the time of the latest full poll before at, in Unix
// nanoseconds; 0 when there is none.
func (t *Tracker) fullBefore(at int64) int64 {
	i := searchAt(t.totals, time.Unix(0, at))
	if i == 0 {
		return 0
	}
	return t.totals[i-1].At.UnixNano()
}

// lastHigh returns the time, in Unix nanoseconds, of the latest point of
// h from from on whose count was above every count before it in that
// span: when the count last grew to a new high (the span's first point
// when it never did). A group that appeared in the span (appeared, the
// poll before its first, is not before from) held nothing before its
// first point.
func lastHigh(h []Point, from, appeared time.Time) int64 {
	k := searchAt(h, from)
	pts := h[k:]
	if len(pts) == 0 {
		return 0
	}
	high, at := pts[0].Count, pts[0].At
	if k == 0 && !appeared.IsZero() && !appeared.Before(from) {
		high = 0 // its first point is a new high
	} else {
		pts = pts[1:]
	}
	for _, p := range pts {
		if p.Count > high {
			high, at = p.Count, p.At
		}
	}
	return at.UnixNano()
}

// justGone reports whether a group's latest point is the poll it went at:
// goroutines left it then, or it held some the poll before.
func justGone(h []Point) bool {
	n := len(h)
	if n == 0 {
		return false
	}
	p := h[n-1]
	return p.Exited+p.MovedOut > 0 || n >= 2 && h[n-2].Count > 0
}

// confirms reads, at a full dump, whether its goroutine IDs confirm the
// climb of a rising group (rule B of judge): it returns the count below
// which the confirmation lapses, or 0 when they do not confirm it. prev is
// the full dump before this one; a group that appeared after it held no
// goroutine then.
func confirms(h []Point, prev time.Time, o Options) int {
	n := len(h)
	if n == 0 || !h[n-1].Full || prev.IsZero() {
		return 0
	}
	p, was, between := h[n-1], 0, 0
	for i := n - 2; i >= 0 && !h[i].At.Before(prev); i-- {
		if h[i].Full {
			was = h[i].Count
			break
		}
		between++
	}
	growth := p.Count - was
	entered, left := p.Born+p.MovedIn, p.Exited+p.MovedOut
	if between < 2 || entered < o.MinGrowth || 2*entered < growth || 2*left > entered {
		return 0
	}
	return max(p.Count-growth/2, 1)
}

// deadlockStates are the states where waiting for minutes with the same
// goroutines means something is wrong; long waits in a receive, a select,
// I/O or a sleep are what idle servers do, and so is select {}: a main
// that parks for good.
var deadlockStates = []string{
	"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock",
	"semacquire", "sync.WaitGroup.Wait", "sync.Cond.Wait",
	"chan send", "chan send (nil chan)", "chan receive (nil chan)",
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

// RecentSpan is how far back Trend.RecentPerMin looks.
const RecentSpan = time.Minute

// recentRate is the change of the count from the latest point of h at
// least RecentSpan before its last, to its last, in goroutines per
// second: what the count did lately, a drop included, where a fit over
// the window still reads the climb before it. It looks no further back
// than from (the window's start or the latest restart); a group younger
// than that starts from zero at appeared, as in measure, unless it was
// there from the first poll.
func recentRate(h []Point, from, appeared time.Time) float64 {
	n := len(h)
	if n == 0 {
		return 0
	}
	last := h[n-1]
	cut := last.At.Add(-RecentSpan)
	k := n - 1
	for k > 0 && !h[k-1].At.Before(from) && h[k].At.After(cut) {
		k--
	}
	base := h[k]
	if k == 0 && h[0].At.After(cut) && !appeared.IsZero() && appeared.Before(h[0].At) && !appeared.Before(from) {
		base = Point{At: appeared}
	}
	d := last.At.Sub(base.At).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(last.Count-base.Count) / d
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

// doubt records the first condition of rule A (see judge) that a group
// which gained MinGrowth goroutines or more fails, with the figures that
// say so. It is formatted only when asked for: a poll judges every group.
type doubt struct {
	rule                     doubtRule
	entered, left, net, kept int
	need                     int
	span, d, d2              time.Duration
}

type doubtRule int8

const (
	noDoubt      doubtRule = iota
	turnsOver              // as many left as joined
	noGrowth               // the count did not grow
	littleGrowth           // it grew by less than MinGrowth
	notStayed              // too few newcomers have stayed
	notSpread              // the newcomers arrived together
	stopped                // the arrivals stopped
)

// NotSuspected says, in a line, why a group that gained goroutines
// within the window (MinGrowth or more joined it) is not suspected: the
// first rule it fails, with its figures; for a rising group, why the
// full dumps have not confirmed it yet. It is empty for any other group.
func (tr *Trend) NotSuspected() string {
	d := tr.doubt
	switch d.rule {
	case turnsOver:
		return fmt.Sprintf("%d joined and %d left in %s: it turns over, as pools and churn do", d.entered, d.left, human.Age(d.span))
	case noGrowth:
		return fmt.Sprintf("%d joined, but the count did not grow over %s", d.entered, human.Age(d.span))
	case littleGrowth:
		return fmt.Sprintf("grew by %d in %s; a leak must grow by %d or more", d.net, human.Age(d.span), d.need)
	case notStayed:
		s := fmt.Sprintf("%d of the %d that joined have stayed (seen at three full dumps", d.kept, d.entered)
		if d.d > 0 {
			s += ", in the group longer than the longest stay of those that left, " + human.Age(d.d)
		}
		return s + "); a leak keeps half its growth"
	case notSpread:
		return fmt.Sprintf("those that stayed arrived within %s: a step or a burst, until arrivals span %s", human.Age(d.d), human.Age(d.d2))
	case stopped:
		return fmt.Sprintf("growth stopped: the latest arrival that stayed came %s ago, after arrivals over %s", human.Age(d.d), human.Age(d.d2))
	}
	return ""
}
