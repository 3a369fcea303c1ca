package tui

import (
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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
	// sortDelta, the change since the mark, is in the cycle while the
	// table shows it.
	sortDelta
	sortModes
)

func (s sortMode) String() string {
	return [...]string{"suspicion", "count", "growth", "wait", "name", "Δ since mark"}[s]
}

// next is the sort mode after s; diff says whether sortDelta is in the
// cycle.
func (s sortMode) next(diff bool) sortMode {
	n := (s + 1) % sortModes
	if n == sortDelta && !diff {
		n = sortSuspicion
	}
	return n
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
	// targets name the targets of the combined view, a count column each;
	// nil on a target's tab. diff shows the change since the mark.
	targets []string
	diff    bool

	// hay caches each group's filter text by key; a key names the same
	// code in every poll.
	hay map[string]string
	// maxCount sizes the count column; suspects counts suspected and
	// proven leaks.
	maxCount int
	suspects int
	rising   int
	// stateNeed and stateWide size the state column: the widest state of
	// the rows abbreviated, and whole.
	stateNeed, stateWide int
}

// build fills the table from rows, filtered and sorted.
func (t *table) build(rows []*row) {
	if t.hay == nil {
		t.hay = map[string]string{}
	}
	if t.sort == sortDelta && !t.diff {
		t.sort = sortSuspicion
	}
	t.rows = nil
	t.maxCount, t.suspects, t.rising = 0, 0, 0
	t.stateNeed, t.stateWide = 0, 0
	t.total = len(rows)
	terms := strings.Fields(strings.ToLower(t.filter))
	for _, r := range rows {
		if len(terms) > 0 && !t.matches(r, terms) {
			continue
		}
		t.rows = append(t.rows, r)
		t.maxCount = max(t.maxCount, r.count)
		whole, short := stateWidth(clean(r.state()))
		t.stateNeed, t.stateWide = max(t.stateNeed, short), max(t.stateWide, whole)
		switch {
		case r.suspect || r.leaked > 0:
			t.suspects++
		case r.rising:
			t.rising++
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

// view draws the rows that fit in height lines, width cells wide, plus
// the column titles. It formats only the rows on screen.
func (t *table) view(width, height int, st *Styles) []string {
	cols, w := t.columns(width)
	full := width >= wide
	lines := make([]string, 0, height)
	lines = append(lines, st.Column.Render(truncate(join("  ", t.titles(cols, w), w, nil), width)))
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
		cells := r.cells(cols, w, full)
		var line string
		switch {
		case selected && (r.suspect || r.leaked > 0):
			line = st.CursorSuspect.Render(fit(join(sel+r.mark(), cells, w, nil), width))
		case selected && r.rising:
			line = st.CursorRising.Render(fit(join(sel+r.mark(), cells, w, nil), width))
		case selected:
			line = st.Cursor.Render(fit(join(sel+r.mark(), cells, w, nil), width))
		case r.leaked > 0:
			line = st.Leaked.Render(join(sel+r.mark(), cells, w, nil))
		case r.suspect:
			line = st.Suspect.Render(join(sel+r.mark(), cells, w, nil))
		case r.rising:
			line = st.Rising.Render(join(sel+r.mark(), cells, w, nil))
		default:
			line = join(sel+r.mark(), cells, w, func(i int) *lipgloss.Style {
				switch cols[i].id {
				case colTrend:
					return &st.Spark
				case colCreator, colWait, colOldest:
					return &st.Dim
				case colDelta:
					switch {
					case r.delta > 0:
						return &st.Grew
					case r.delta < 0:
						return &st.Shrank
					}
				}
				return nil
			})
		}
		lines = append(lines, truncate(line, width))
		if r.reason != "" && len(lines) < height+1 {
			reason := "   ↳ " + clean(r.reason)
			if !t.shows(cols, w, colCreator) && r.members == nil && r.group.CreatedBy != nil {
				reason += "  " + clean(r.creator())
			}
			style := st.Reason
			if r.rising && !r.suspect {
				style = st.Rising
			}
			lines = append(lines, style.Render(truncate(reason, width)))
		}
	}
	return lines
}

// fitLeft is fit, but cuts from the left: the end of a function name or
// a file:line says more than its start.
func fitLeft(s string, width int) string {
	if ansi.StringWidth(s) > width && width > 1 {
		s = "…" + lastCells(s, width-1)
	}
	return fit(s, width)
}

// lastCells returns the end of s that fits in width cells, in whole
// characters: a wide one is never cut in half.
func lastCells(s string, width int) string {
	n := ansi.StringWidth(s)
	if n <= width {
		return s
	}
	cut := n - width
	end := ansi.TruncateLeft(s, cut, "")
	for ansi.StringWidth(end) > width {
		cut++
		end = ansi.TruncateLeft(s, cut, "")
	}
	return end
}

// shows reports whether a column of kind id is on screen.
func (t *table) shows(cols []column, w []int, id colID) bool {
	for i, c := range cols {
		if c.id == id && w[i] > 0 {
			return true
		}
	}
	return false
}
