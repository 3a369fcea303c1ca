package tui

import (
	"slices"
	"strings"

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

// table is the main screen: the rows after filter and sort, the cursor and
// the scroll position. The cursor follows the selected group's key across
// polls.
type table struct {
	rows   []*row
	total  int // rows before the filter
	cursor int
	offset int
	selKey string
	// follow is set once the user moves off the top row: the cursor then
	// stays on that group as rows reorder; until then it stays on top,
	// where the worst suspect is.
	follow bool

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

// place puts the cursor back on the selected group after the rows
// changed, or on the top row until the user moved.
func (t *table) place() {
	if !t.follow {
		t.cursor = 0
		t.remember()
		return
	}
	for i, r := range t.rows {
		if r.key == t.selKey {
			t.cursor = i
			return
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
	t.follow = t.cursor > 0
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
