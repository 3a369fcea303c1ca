package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// row is one line of the table: a group, in the creator view every group
// started at one site, in the combined view one group across targets.
type row struct {
	key   string
	group *stackparse.Group // in the creator view, the largest member
	trend *track.Trend      // nil in the creator and combined views
	// until, when set, cuts the trend's history: the row is of a snapshot
	// older than the latest.
	until time.Time
	// members are the groups of a creator-view row, largest first;
	// stat is what the tracker counted at its creation site.
	members []*row
	stat    *track.CreatorStat
	// per holds, in the combined view, the row of each target (nil where
	// the group is not); tab is the target whose row is the most
	// suspicious.
	per []*row
	tab int

	gstate  string // the group's state in this snapshot
	count   int
	growth  float64
	age     time.Duration // the longest wait, as gorotop or the runtime saw it
	oldest  time.Duration // the oldest goroutine's age
	born    int           // in the tracker's window
	exited  int
	suspect bool
	rising  bool
	stuck   bool
	leaked  int
	reason  string
	score   float64
	// diff is set when the table shows the change since a mark: delta.
	diff  bool
	delta int
	// history is the count at each poll, oldest first; for group rows it is
	// read from trend when drawn.
	history []int
}

// counts returns the row's count at each poll, oldest first.
func (r *row) counts() []int {
	if r.trend == nil {
		return r.history
	}
	h := r.trend.History
	if !r.until.IsZero() {
		n := len(h)
		for n > 0 && h[n-1].At.After(r.until) {
			n--
		}
		h = h[:n]
	}
	out := make([]int, len(h))
	for i, p := range h {
		out[i] = p.Count
	}
	return out
}

// fn is the function that names the row: where its goroutines wait, or in
// the creator view the function that started them.
func (r *row) fn() string {
	if r.members != nil {
		if r.group.CreatedBy == nil {
			return "(no creator: runtime and main)"
		}
		return r.group.CreatedBy.Func
	}
	return r.group.Top().Func
}

// site is where the row's goroutines wait, or were started.
func (r *row) site() string {
	if r.members != nil {
		if r.group.CreatedBy == nil {
			return "-"
		}
		return r.group.CreatedBy.Site()
	}
	return r.group.Top().Site()
}

// creator is who started the row's goroutines.
func (r *row) creator() string {
	if r.members != nil {
		return plural(len(r.members), "group")
	}
	if r.group.CreatedBy == nil {
		return ""
	}
	return "← " + stackparse.ShortFunc(r.group.CreatedBy.Func)
}

// writerState stands for the state of the goroutines that wrote the dump
// on screen: the request that fetched it, gorotop's own for a live
// target. They run; they do not wait.
const writerState = "(this dump)"

// state is the row's wait state, "(leaked)" added when the runtime proved
// some of its goroutines leaked.
func (r *row) state() string {
	s := r.gstate
	if r.members == nil && r.group != nil && r.group.WritesDump() {
		s = writerState
	}
	if r.members != nil {
		for _, m := range r.members {
			if m.gstate != s {
				s = "mixed"
				break
			}
		}
	}
	if r.leaked > 0 {
		s += " (leaked)"
	}
	return s
}

// mark is the one-character flag that tells a row apart without colour.
func (r *row) mark() string {
	switch {
	case r.leaked > 0:
		return "L"
	case r.suspect:
		return "!"
	case r.rising:
		return "↑"
	case r.stuck:
		return "s"
	}
	return " "
}

// height is how many lines the row takes: suspects carry a reason line.
func (r *row) height() int {
	if r.reason != "" {
		return 2
	}
	return 1
}

// groupRow makes the row of one group as the tracker sees it now.
func groupRow(g *stackparse.Group, tr *track.Trend) *row {
	r := &row{key: g.Key, group: g, trend: tr, gstate: g.State, count: g.Count(), leaked: g.Leaked}
	if tr != nil {
		r.growth, r.age, r.oldest, r.score = tr.RecentPerMin, tr.WaitAge, tr.OldestAge, tr.Score
		r.born, r.exited = tr.Born, tr.Exited
		r.suspect, r.rising, r.stuck = tr.Suspect, tr.Rising, tr.Stuck
		r.leaked = max(r.leaked, tr.Leaked)
		if tr.Suspect || tr.Rising || tr.Stuck || tr.Proven {
			r.reason = tr.Reason
		}
	}
	return r
}

// creatorRows folds group rows into one row per creation site, with the
// tracker's counts for each site.
func creatorRows(groups []*row, stats []track.CreatorStat) []*row {
	bySite := make(map[stackparse.Frame]*track.CreatorStat, len(stats))
	for i := range stats {
		bySite[stats[i].Site] = &stats[i]
	}
	by := map[string]*row{}
	var out []*row
	for _, g := range groups {
		k := "creator:"
		if c := g.group.CreatedBy; c != nil {
			k += c.Func + " " + c.Site()
		}
		r := by[k]
		if r == nil {
			r = &row{key: k, group: g.group, gstate: g.gstate, diff: g.diff}
			if c := g.group.CreatedBy; c != nil {
				r.stat = bySite[*c]
			}
			by[k] = r
			out = append(out, r)
		}
		r.members = append(r.members, g)
		r.absorb(g)
		r.score = max(r.score, g.score)
	}
	for _, r := range out {
		slices.SortFunc(r.members, sortCount.compare)
		r.group, r.gstate = r.members[0].group, r.members[0].gstate
		sus := 0
		for _, m := range r.members {
			if m.suspect || m.leaked > 0 {
				sus++
				if r.reason == "" {
					r.reason = m.reason
				}
			}
		}
		r.suspect = sus > 0
		for _, m := range r.members {
			if !r.suspect && m.rising {
				r.rising = true
				if r.reason == "" {
					r.reason = m.reason
				}
			}
		}
		if sus > 1 {
			r.reason = fmt.Sprintf("%s suspect groups; largest: %s", human.Count(sus), r.reason)
		}
		r.history = sumHistories(r.members)
	}
	return out
}

// absorb adds the counts of another row to r's: a member of a creation
// site, or a target's row in the combined view.
func (r *row) absorb(o *row) {
	r.count += o.count
	r.growth += o.growth
	r.age = max(r.age, o.age)
	r.oldest = max(r.oldest, o.oldest)
	r.born += o.born
	r.exited += o.exited
	r.leaked += o.leaked
	r.delta += o.delta
}

// sumHistories adds the members' counts poll by poll.
func sumHistories(members []*row) []int {
	at := map[time.Time]int{}
	for _, m := range members {
		if m.trend == nil {
			continue
		}
		for _, p := range m.trend.History {
			if !m.until.IsZero() && p.At.After(m.until) {
				break
			}
			at[p.At] += p.Count
		}
	}
	times := make([]time.Time, 0, len(at))
	for t := range at {
		times = append(times, t)
	}
	slices.SortFunc(times, time.Time.Compare)
	out := make([]int, len(times))
	for i, t := range times {
		out[i] = at[t]
	}
	return out
}

// matches reports whether every filter term is in the row's text.
func (t *table) matches(r *row, terms []string) bool {
	var hay string
	if r.members != nil {
		parts := make([]string, 0, len(r.members))
		for _, m := range r.members {
			parts = append(parts, t.haystack(m))
		}
		hay = strings.Join(parts, "\n")
	} else {
		hay = t.haystack(r)
	}
	for _, term := range terms {
		if !strings.Contains(hay, term) {
			return false
		}
	}
	return true
}

// haystack is what the filter searches in a group: its state, every
// frame's function and file, and the creator.
func (t *table) haystack(r *row) string {
	if h, ok := t.hay[r.key]; ok {
		return h
	}
	g := r.group
	var b strings.Builder
	b.WriteString(g.State)
	if g.WritesDump() {
		b.WriteString("\n" + writerState)
	}
	for st := range g.States {
		b.WriteString("\n" + st)
	}
	frames := g.Frames
	if g.CreatedBy != nil {
		frames = append(frames[:len(frames):len(frames)], *g.CreatedBy)
	}
	for _, f := range frames {
		fmt.Fprintf(&b, "\n%s %s:%d", f.Func, f.File, f.Line)
	}
	h := strings.ToLower(b.String())
	t.hay[r.key] = h
	return h
}

// compare orders two rows under the sort mode.
func (s sortMode) compare(a, b *row) int {
	var c int
	switch s {
	case sortSuspicion:
		c = cmp.Compare(b.score, a.score)
	case sortGrowth:
		c = cmp.Compare(b.growth, a.growth)
	case sortWait:
		c = cmp.Compare(b.age, a.age)
	case sortName:
		c = strings.Compare(stackparse.ShortFunc(a.fn()), stackparse.ShortFunc(b.fn()))
	case sortDelta:
		c = cmp.Compare(abs(b.delta), abs(a.delta))
		if c == 0 {
			c = cmp.Compare(b.delta, a.delta)
		}
	}
	if c != 0 {
		return c
	}
	if c := cmp.Compare(b.count, a.count); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// abs is |n|.
func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
