package track

import (
	"time"
)

// A group is rising when its count, read at every poll (full dumps and
// cheap count-only polls alike), has climbed steadily for a while. Counts
// come every few seconds even where full dumps are spaced minutes apart
// to spare a big target, so a leak is marked within a minute; the full
// dumps that follow then confirm it (the goroutines that joined stay) or
// clear it (they come and go). The climb is read from the group's latest
// low point in the window on; it must
//
//  1. rise by twice MinGrowth or more (counts alone tell less than
//     goroutine IDs: a small group whose load grows, a few dozen
//     goroutines a second living longer on a starved machine, drifts by
//     a handful), to a new high: above every count of the
//     window before the low point by a quarter of the rise at least;
//  2. last: RiseFor or longer, over minRisePoints polls or more;
//  3. keep on: each third of its time adds to the count, the last a
//     sixth of the rise or more, judged on the polls in that third (the
//     first third may add little: a leak slowed at first, by the target
//     stalled or busy, is still a climb);
//  4. be steady: the counts that fell on the way add up to a quarter of
//     the rise at most;
//
// and no full dump may contradict it: within the window, at most half
// as many goroutines left the group (exited or moved on) as joined it.
//
// Why the healthy shapes pass:
//
//   - a fixed pool, or goroutines that wait for hours: the count does not
//     rise (1);
//   - churn, many goroutines a second that come and go: the count jumps
//     up and down around a mean, so what fell on the way is as much as
//     what rose (4), and a full dump sees them leave;
//   - a burst that drains: it lands within one poll or two, so the thirds
//     of the climb after it add nothing (3); once it drains, its low point
//     is after the peak (1);
//   - a pool that warms up and then holds: a warm-up shorter than RiseFor
//     is never marked (2), and once it holds, the last third soon adds
//     too little (3);
//   - waiters that pile up and are released together, again and again:
//     after a release the low point is the release, and the next pile-up
//     must climb a quarter above the peak before it to count (1); the
//     first pile-up gorotop sees, if it outlasts RiseFor, is marked until
//     the full dump after its release clears it;
//   - a backlog that drains: the count falls (1).
//
// A leak that turns over, its goroutines leaving about as fast as new
// ones come, is no leak of goroutines but load that grows: full dumps
// clear it.

// minRisePoints is the fewest polls a climb is read from.
const minRisePoints = 5

// climb is a group's latest steady climb, when it has one.
type climb struct {
	from   time.Time // the low point it starts from
	to     time.Time // the latest poll
	rise   int       // the count's rise since the low point
	perMin float64   // the fitted slope of the count, per minute
}

// climbOf reads the climb of the points of h from the window's start on;
// appeared, when not zero, is the poll before the group's first, where
// it held nothing. ok is false when the counts do not climb as the rule
// above says.
func climbOf(h []Point, from, appeared time.Time, o Options) (c climb, ok bool) {
	k := searchAt(h, from)
	pts := h[k:]
	zero := k == 0 && !appeared.IsZero() && !appeared.Before(from)
	n := len(pts)
	if zero {
		n++
	}
	if n < minRisePoints {
		return climb{}, false
	}
	at := func(i int) Point {
		if zero {
			if i == 0 {
				return Point{At: appeared}
			}
			return pts[i-1]
		}
		return pts[i]
	}
	// The latest low point, and the highest count before it.
	low, highBefore := 0, -1
	for i := 1; i < n; i++ {
		if at(i).Count <= at(low).Count {
			low = i
		}
	}
	for i := range low {
		highBefore = max(highBefore, at(i).Count)
	}
	first, last := at(low), at(n-1)
	c = climb{from: first.At, to: last.At, rise: last.Count - first.Count}
	span := last.At.Sub(first.At)
	if c.rise < 2*o.MinGrowth || n-low < minRisePoints || span < o.RiseFor {
		return c, false
	}
	if highBefore >= 0 && last.Count < highBefore+max(o.MinGrowth, c.rise/4) {
		return c, false
	}
	// Each third of the climb adds to the count; what fell on the way is
	// a quarter of the rise at most.
	fell := 0
	var fit fitter
	third, reached := 1, first.Count
	for i := low; i < n; i++ {
		p := at(i)
		if i > low {
			fell += max(at(i-1).Count-p.Count, 0)
		}
		fit.add(p.At.Sub(first.At).Seconds(), float64(p.Count))
		// p closes the thirds whose end it reaches or passes: the count
		// at each such end is the last count before it.
		for third < 3 && p.At.Sub(first.At) > time.Duration(third)*span/3 {
			prev := at(i - 1).Count
			if prev <= reached {
				return c, false
			}
			reached = prev
			third++
		}
	}
	if 6*(last.Count-reached) < c.rise || 4*fell > c.rise {
		return c, false
	}
	c.perMin = fit.slope() * 60
	return c, c.perMin > 0
}
