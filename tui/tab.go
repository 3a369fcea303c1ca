package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// dataset is what one grouping of one target has gathered: the last
// sample, what its tracker knew then, and the frames kept for stepping
// back. Every sample fills every grouping's, so switching grouping keeps
// each one's history.
type dataset struct {
	sample poll.Sample // the last sample
	// snap is the last sample's snapshot under this grouping, latest what
	// its tracker knew after it.
	snap   *stackparse.Snapshot
	latest *track.View
	gotAt  time.Time // when it arrived
	// fullAt is when the latest full dump was taken: verdicts on
	// goroutine IDs wait for the next, which the header says.
	fullAt time.Time
	polls  int
	hist   history
	// view indexes hist.frames at the frame on screen; -1 is the latest.
	view int
	mark *mark
}

// frame returns the frame on screen, or nil before the first poll.
func (ds *dataset) frame() *frame {
	if ds.view >= 0 && ds.view < len(ds.hist.frames) {
		return ds.hist.frames[ds.view]
	}
	return ds.hist.latest()
}

// pos is the index of the frame on screen.
func (ds *dataset) pos() int {
	if ds.view >= 0 {
		return ds.view
	}
	return len(ds.hist.frames) - 1
}

// stepped reports whether an older frame than the latest is on screen.
func (ds *dataset) stepped() bool { return ds.view >= 0 }

// rows returns the table rows of the frame on screen, before filter and
// sort: a row per group, or per creation site, with the difference from
// the mark when diff is set.
func (ds *dataset) rows(creator, diff bool) []*row {
	f := ds.frame()
	if f == nil {
		return nil
	}
	var until time.Time
	if ds.stepped() {
		until = f.at
	}
	rows := make([]*row, 0, len(f.rows))
	for i := range f.rows {
		rows = append(rows, f.rows[i].row(ds.latest, until))
	}
	if diff && ds.mark != nil {
		rows = diffRows(rows, ds.mark)
	}
	if creator {
		rows = creatorRows(rows, ds.latest.Creators())
	}
	return rows
}

// diffRows sets each row's change since the mark, and adds a row of no
// goroutines for each group gone since.
func diffRows(rows []*row, mk *mark) []*row {
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		r.diff, r.delta = true, r.count-mk.counts[r.key]
		seen[r.key] = true
	}
	for k, n := range mk.counts {
		if !seen[k] && n > 0 {
			g := mk.groups[k]
			rows = append(rows, &row{key: k, group: g, gstate: g.State, diff: true, delta: -n})
		}
	}
	return rows
}

// selection is where the table's cursor was on a tab that is not on
// screen.
type selection struct {
	cursor, offset int
	selKey         string
	follow         bool
}

// tab is one target: its poll loop, its data, and where the table's
// cursor was when another tab went on screen.
type tab struct {
	cfg  TargetConfig
	name string
	// id names the tab in messages: it stays the same while tabs come,
	// go and move.
	id int

	// Polling. gen changes on pause, resume, speed change and regroup;
	// timers and fetches of an older generation are dropped when they
	// come back. seq numbers fetches, for the spinner.
	gen        int
	fetch      Fetch
	cancel     context.CancelFunc // of the fetch in flight
	fetching   bool
	seq        int
	fetchStart time.Time
	slow       bool
	ended      bool
	interval   time.Duration

	failures int
	lastErr  string
	retryAt  time.Time
	// problem is what went wrong with the target besides its fetches
	// (Change.Problem), until its next poll succeeds.
	problem string
	// gone says the target is gone (Change.Gone): the tab polls no more
	// and keeps what it gathered.
	gone   bool
	goneAt time.Time

	sets map[stackparse.Grouping]*dataset

	exporting bool

	sel selection
}

// newTab returns the tab of one target.
func newTab(cfg TargetConfig, interval time.Duration, id int) *tab {
	name := cfg.Name
	if name == "" {
		name = tabName(cfg.Target)
	}
	return &tab{cfg: cfg, name: clean(name), id: id, fetch: cfg.Fetch, interval: interval, sets: map[stackparse.Grouping]*dataset{}}
}

// tabName shortens a target for a tab: no scheme, no default dump path,
// only the base name of a file.
func tabName(target string) string {
	t := shortTarget(target)
	if s, ok := strings.CutPrefix(t, "http://"); ok {
		t = s
	} else if s, ok := strings.CutPrefix(t, "https://"); ok {
		t = s
	} else if strings.ContainsAny(t, `/\`) {
		t = filepath.Base(t)
	}
	t = strings.TrimSuffix(t, "/")
	if t == "" {
		return "target"
	}
	return t
}

// groupings returns the groupings the tab's samples carry, the one shown
// first first: fallback alone when its config names none.
func (t *tab) groupings(fallback stackparse.Grouping) []stackparse.Grouping {
	if len(t.cfg.Groupings) == 0 {
		return []stackparse.Grouping{fallback}
	}
	return t.cfg.Groupings
}

// data returns the dataset of a grouping, made on first use.
func (t *tab) data(g stackparse.Grouping) *dataset {
	ds := t.sets[g]
	if ds == nil {
		ds = &dataset{view: -1}
		ds.hist.maxRows = keepRows / max(len(t.cfg.Groupings), 1)
		t.sets[g] = ds
	}
	return ds
}

// trouble is what is wrong with the target, in one line: a problem
// besides its fetches (a port-forward that ended says more than the
// fetch that failed through it), else its last failed fetch.
func (t *tab) trouble() string {
	if t.problem != "" {
		return t.problem
	}
	return t.lastErr
}

// stopFetch cancels the fetch in flight, if any.
func (t *tab) stopFetch() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.fetching, t.slow = false, false
}

// label is the tab's text in the tab bar: its number, name and marks.
func (t *tab) label(i int, g stackparse.Grouping) string {
	s := fmt.Sprintf("%d %s", i+1, t.name)
	switch {
	case t.gone:
		s += " ○"
	case t.lastErr != "" || t.problem != "":
		s += " ✗"
	case t.ended:
		s += " ■"
	}
	if ds := t.sets[g]; ds != nil {
		if f := ds.frame(); f != nil && f.suspects > 0 {
			s += " !" + human.Count(f.suspects)
		} else if f != nil && f.rising > 0 {
			s += " ↑" + human.Count(f.rising)
		}
	}
	return s
}

// tabItem is one item of the tab bar: the tab it shows (len(tabs) for
// the combined view, -1 for a mark of tabs cut off) and its text.
type tabItem struct {
	tab  int
	text string
}

// minLabel is the fewest cells a tab's label is cut to; when the labels
// do not fit so, the tab bar shows those around the active one.
const minLabel = 10

// tabItems are the tab bar's items as plain text within w cells: the
// active one in brackets, each label cut to share the width; when they
// do not fit, a window of them around the active one, with ‹ and › where
// tabs are cut off.
func (m Model) tabItems(w int) []tabItem {
	labels := make([]string, 0, len(m.tabs)+1)
	for i, t := range m.tabs {
		labels = append(labels, t.label(i, m.grouping))
	}
	all := fmt.Sprintf("%d all", len(m.tabs)+1)
	if m.combined() && m.table.suspects > 0 {
		all += " !" + human.Count(m.table.suspects)
	}
	labels = append(labels, all)
	share := max(w/len(labels)-3, minLabel)
	items := make([]tabItem, len(labels))
	for i, l := range labels {
		if ansi.StringWidth(l) > share {
			l = cutMiddle(l, share)
		}
		if i == m.active {
			items[i] = tabItem{i, "[" + l + "]"}
		} else {
			items[i] = tabItem{i, " " + l + " "}
		}
	}
	width := func(lo, hi int) int {
		n := hi - lo - 1
		for _, it := range items[lo:hi] {
			n += ansi.StringWidth(it.text)
		}
		if lo > 0 {
			n += 2
		}
		if hi < len(items) {
			n += 2
		}
		return n
	}
	if width(0, len(items)) <= w {
		return items
	}
	lo, hi := min(m.active, len(items)-1), min(m.active, len(items)-1)+1
	for grew := true; grew; {
		grew = false
		if hi < len(items) && width(lo, hi+1) <= w {
			hi++
			grew = true
		}
		if lo > 0 && width(lo-1, hi) <= w {
			lo--
			grew = true
		}
	}
	var out []tabItem
	if lo > 0 {
		out = append(out, tabItem{-1, "‹"})
	}
	out = append(out, items[lo:hi]...)
	if hi < len(items) {
		out = append(out, tabItem{-1, "›"})
	}
	return out
}

// tabBar draws the tabs, the one on screen highlighted.
func (m Model) tabBar(w int) string {
	var b strings.Builder
	for i, it := range m.tabItems(w) {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case it.tab < 0:
			b.WriteString(m.styles.Dim.Render(it.text))
		case it.tab == m.active:
			b.WriteString(m.styles.TabActive.Render(it.text))
		default:
			b.WriteString(m.styles.Tab.Render(it.text))
		}
	}
	return truncate(b.String(), w)
}
