package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// The table is drawn here rather than with bubbles/table: rows need their
// own styles (suspects, the proven leaked), a reason line under suspects,
// columns that drop by priority as the terminal narrows, and cells built
// only for the rows on screen, which bubbles/table cannot do for 10 000
// groups.

// sortMode is the order of the table's rows.
type sortMode int

const (
	sortSuspicion sortMode = iota
	sortCount
	sortGrowth
	sortWait
	sortName
	sortModes
)

func (s sortMode) String() string {
	return [...]string{"suspicion", "count", "growth", "wait", "name"}[s]
}

// row is one line of the table: a group, or in the creator view every
// group started at one site.
type row struct {
	key   string
	group *stackparse.Group // in the creator view, the largest member
	trend *track.Trend      // nil in the creator view
	// members are the groups of a creator-view row, largest first;
	// stat is what the tracker counted at its creation site.
	members []*row
	stat    *track.CreatorStat

	count   int
	growth  float64
	age     time.Duration // the longest wait, as gorotop or the runtime saw it
	suspect bool
	stuck   bool
	leaked  int
	reason  string
	score   float64
	// history is the count at each poll, oldest first; for group rows it is
	// read from trend when drawn.
	history []int
}

// counts returns the row's count at each poll, oldest first.
func (r *row) counts() []int {
	if r.trend == nil {
		return r.history
	}
	out := make([]int, len(r.trend.History))
	for i, p := range r.trend.History {
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

// state is the row's wait state, "(leaked)" added when the runtime proved
// some of its goroutines leaked.
func (r *row) state() string {
	s := r.group.State
	if r.members != nil {
		for _, m := range r.members {
			if m.group.State != s {
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

// table is the main screen: the rows after filter and sort, the cursor and
// the scroll position. The cursor follows the selected group's key across
// polls.
type table struct {
	rows   []*row
	total  int // rows before the filter
	cursor int
	offset int
	selKey string

	sort   sortMode
	filter string

	// hay caches each group's filter text by key; a key names the same
	// code in every poll.
	hay map[string]string
	// maxCount sizes the count column; suspects counts suspected and
	// proven leaks.
	maxCount int
	suspects int
}

// build fills the table from a snapshot and its tracker.
func (t *table) build(snap *stackparse.Snapshot, tr *track.Tracker, creator bool) {
	if t.hay == nil {
		t.hay = map[string]string{}
	}
	t.rows = nil
	t.maxCount, t.suspects = 0, 0
	if snap == nil {
		t.total = 0
		t.place()
		return
	}
	rows := make([]*row, 0, len(snap.Groups))
	for _, g := range snap.Groups {
		rows = append(rows, groupRow(g, tr.Trend(g.Key)))
	}
	if creator {
		rows = creatorRows(rows, tr.Creators())
	}
	t.total = len(rows)
	terms := strings.Fields(strings.ToLower(t.filter))
	for _, r := range rows {
		if len(terms) > 0 && !t.matches(r, terms) {
			continue
		}
		t.rows = append(t.rows, r)
		t.maxCount = max(t.maxCount, r.count)
		if r.suspect || r.leaked > 0 {
			t.suspects++
		}
	}
	slices.SortFunc(t.rows, t.sort.compare)
	t.place()
}

// groupRow makes the row of one group.
func groupRow(g *stackparse.Group, tr *track.Trend) *row {
	r := &row{key: g.Key, group: g, trend: tr, count: g.Count(), leaked: g.Leaked}
	if tr != nil {
		r.growth, r.age, r.score = tr.GrowthPerMin, tr.WaitAge, tr.Score
		r.suspect, r.stuck = tr.Suspect, tr.Stuck
		r.leaked = max(r.leaked, tr.Leaked)
		if tr.Suspect || tr.Stuck || tr.Proven {
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
			r = &row{key: k, group: g.group}
			if c := g.group.CreatedBy; c != nil {
				r.stat = bySite[*c]
			}
			by[k] = r
			out = append(out, r)
		}
		r.members = append(r.members, g)
		r.count += g.count
		r.growth += g.growth
		r.age = max(r.age, g.age)
		r.leaked += g.leaked
		r.score = max(r.score, g.score)
		if g.count > r.group.Count() {
			r.group = g.group
		}
	}
	for _, r := range out {
		slices.SortFunc(r.members, sortCount.compare)
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
		if sus > 1 {
			r.reason = fmt.Sprintf("%d suspect groups; largest: %s", sus, r.reason)
		}
		r.history = sumHistories(r.members)
	}
	return out
}

// sumHistories adds the members' counts poll by poll.
func sumHistories(members []*row) []int {
	at := map[time.Time]int{}
	for _, m := range members {
		if m.trend == nil {
			continue
		}
		for _, p := range m.trend.History {
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
	}
	if c != 0 {
		return c
	}
	if c := cmp.Compare(b.count, a.count); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// place puts the cursor back on the selected key, or keeps its index.
func (t *table) place() {
	if t.selKey != "" {
		for i, r := range t.rows {
			if r.key == t.selKey {
				t.cursor = i
				return
			}
		}
	}
	t.cursor = min(max(t.cursor, 0), max(len(t.rows)-1, 0))
	t.offset = min(t.offset, t.cursor)
	t.remember()
}

// remember records the selected row's key.
func (t *table) remember() {
	if t.cursor < len(t.rows) {
		t.selKey = t.rows[t.cursor].key
	}
}

// selected returns the row under the cursor, or nil.
func (t *table) selected() *row {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return nil
	}
	return t.rows[t.cursor]
}

// move moves the cursor by delta rows, within bounds.
func (t *table) move(delta int) {
	if len(t.rows) == 0 {
		return
	}
	t.cursor = min(max(t.cursor+delta, 0), len(t.rows)-1)
	t.remember()
}

// pageRows is how many rows fit on one screen of height lines from the
// current offset.
func (t *table) pageRows(height int) int {
	n, h := 0, 0
	for i := t.offset; i < len(t.rows); i++ {
		h += t.rows[i].height()
		if h > height {
			break
		}
		n++
	}
	return max(n, 1)
}

// scroll moves the offset so that the cursor row is on a screen of height
// lines. It looks at no more rows than fit on the screen.
func (t *table) scroll(height int) {
	if t.cursor >= len(t.rows) || height <= 0 {
		t.offset = 0
		return
	}
	if t.cursor < t.offset {
		t.offset = t.cursor
		return
	}
	first, h := t.cursor, t.rows[t.cursor].height()
	for first > t.offset && h+t.rows[first-1].height() <= height {
		first--
		h += t.rows[first].height()
	}
	t.offset = max(t.offset, first)
	if t.offset > t.cursor {
		t.offset = t.cursor
	}
}

// column is one column of the table.
type column struct {
	title string
	min   int
	right bool
	// prio orders dropping as the terminal narrows: lowest first.
	prio int
}

// Columns, in screen order.
const (
	colCount = iota
	colTrend
	colRate
	colState
	colWait
	colSite
	colFunc
	colCreator
	numColumns
)

var columns = [numColumns]column{
	colCount:   {title: "COUNT", min: 5, right: true, prio: 100},
	colTrend:   {title: "TREND", min: 8, prio: 40},
	colRate:    {title: "/MIN", min: 6, right: true, prio: 80},
	colState:   {title: "STATE", min: 12, prio: 70},
	colWait:    {title: "WAIT", min: 5, right: true, prio: 50},
	colSite:    {title: "SITE", min: 10, prio: 60},
	colFunc:    {title: "FUNCTION", min: 16, prio: 90},
	colCreator: {title: "CREATOR", min: 14, prio: 30},
}

// grow says in which order spare width widens columns, and how far.
var grow = []struct{ col, to int }{
	{colSite, 14}, {colFunc, 32}, {colTrend, 16},
	{colCreator, 30}, {colState, 16}, {colSite, 20}, {colFunc, 50},
	{colCreator, 50}, {colFunc, 80}, {colCreator, 80},
}

// gutter is the selection and mark characters before the first column.
const gutter = 2

// layout returns each column's width for a terminal width; 0 means the
// column is dropped.
func (t *table) layout(width int) [numColumns]int {
	var w [numColumns]int
	for i, c := range columns {
		w[i] = c.min
	}
	w[colCount] = max(w[colCount], len(count(t.maxCount)))
	used := func() int {
		n := gutter
		for _, x := range w {
			if x > 0 {
				n += x + 1
			}
		}
		return n
	}
	for used() > width {
		drop, prio := -1, 1<<30
		for i, c := range columns {
			if w[i] > 0 && i != colCount && i != colFunc && c.prio < prio {
				drop, prio = i, c.prio
			}
		}
		if drop < 0 {
			break
		}
		w[drop] = 0
	}
	if n := used(); n > width {
		w[colFunc] = max(w[colFunc]-(n-width), 4)
	}
	spare := width - used()
	for _, g := range grow {
		if spare <= 0 {
			break
		}
		if w[g.col] == 0 || w[g.col] >= g.to {
			continue
		}
		add := min(spare, g.to-w[g.col])
		w[g.col] += add
		spare -= add
	}
	return w
}

// cells returns a row's cells, plain text cut or padded to the widths.
func (r *row) cells(w [numColumns]int) [numColumns]string {
	var c [numColumns]string
	for i, width := range w {
		if width == 0 {
			continue
		}
		var s string
		switch i {
		case colCount:
			s = count(r.count)
		case colTrend:
			c[i] = sparkline(r.counts(), width)
			continue
		case colRate:
			s = rate(r.growth)
		case colState:
			s = clean(r.state())
		case colWait:
			s = "-"
			if r.age >= time.Second {
				s = "≥" + track.FormatAge(r.age)
			}
		case colSite:
			c[i] = fitLeft(clean(r.site()), width)
			continue
		case colFunc:
			c[i] = fitLeft(clean(stackparse.ShortFunc(r.fn())), width)
			continue
		case colCreator:
			s = clean(r.creator())
		}
		if columns[i].right {
			c[i] = fitRight(s, width)
		} else {
			c[i] = fit(s, width)
		}
	}
	return c
}

// titles returns the column titles, the sorted column marked.
func (t *table) titles(w [numColumns]int) [numColumns]string {
	sorted := map[sortMode]int{sortCount: colCount, sortGrowth: colRate, sortWait: colWait, sortName: colFunc}
	var c [numColumns]string
	for i, width := range w {
		if width == 0 {
			continue
		}
		s := columns[i].title
		if col, ok := sorted[t.sort]; ok && col == i {
			if t.sort == sortName {
				s += "▲"
			} else {
				s += "▼"
			}
		}
		if columns[i].right {
			c[i] = fitRight(s, width)
		} else {
			c[i] = fit(s, width)
		}
	}
	return c
}

// join lays cells out with one space between columns.
// style, if not nil, styles the cells it has a style for.
func join(gutterText string, c [numColumns]string, w [numColumns]int, style func(i int) *lipgloss.Style) string {
	var b strings.Builder
	b.WriteString(gutterText)
	for i, s := range c {
		if w[i] == 0 {
			continue
		}
		b.WriteByte(' ')
		if style != nil {
			if st := style(i); st != nil {
				s = st.Render(s)
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// view draws the rows that fit in height lines, width cells wide, plus
// the column titles. It formats only the rows on screen.
func (t *table) view(width, height int, st *Styles) []string {
	w := t.layout(width)
	lines := make([]string, 0, height)
	lines = append(lines, st.Column.Render(truncate(join("  ", t.titles(w), w, nil), width)))
	height--
	if height <= 0 {
		return lines
	}
	t.scroll(height)
	for i := t.offset; i < len(t.rows) && len(lines) < height+1; i++ {
		r := t.rows[i]
		selected := i == t.cursor
		sel := " "
		if selected {
			sel = ">"
		}
		cells := r.cells(w)
		var line string
		switch {
		case selected && (r.suspect || r.leaked > 0):
			line = st.CursorSuspect.Render(fit(join(sel+r.mark(), cells, w, nil), width))
		case selected:
			line = st.Cursor.Render(fit(join(sel+r.mark(), cells, w, nil), width))
		case r.leaked > 0:
			line = st.Leaked.Render(join(sel+r.mark(), cells, w, nil))
		case r.suspect:
			line = st.Suspect.Render(join(sel+r.mark(), cells, w, nil))
		default:
			line = join(sel+r.mark(), cells, w, func(i int) *lipgloss.Style {
				switch i {
				case colTrend:
					return &st.Spark
				case colCreator, colWait:
					return &st.Dim
				}
				return nil
			})
		}
		lines = append(lines, truncate(line, width))
		if r.reason != "" && len(lines) < height+1 {
			reason := "   ↳ " + clean(r.reason)
			if w[colCreator] == 0 && r.members == nil && r.group.CreatedBy != nil {
				reason += "  " + clean(r.creator())
			}
			lines = append(lines, st.Reason.Render(truncate(reason, width)))
		}
	}
	return lines
}

// fitLeft is fit, but cuts from the left: the end of a function name or
// a file:line says more than its start.
func fitLeft(s string, width int) string {
	if n := len([]rune(s)); n > width && width > 1 {
		r := []rune(s)
		s = "…" + string(r[n-width+1:])
	}
	return fit(s, width)
}
