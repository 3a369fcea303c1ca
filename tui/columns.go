package tui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/stackparse"
)

// colID names a kind of column.
type colID int

const (
	colCount colID = iota
	colDelta
	colTarget // one per target, in the combined view
	colTrend
	colRate
	colState
	colWait
	colBorn
	colExited
	colOldest
	colSite
	colFunc
	colCreator
)

// column is one column of the table.
type column struct {
	id    colID
	title string
	min   int
	right bool
	// prio orders dropping as the terminal narrows: lowest first.
	prio int
	// from is the terminal width from which the column shows at all.
	from int
	// target indexes the target of a colTarget column.
	target int
}

// wide is the terminal width from which the table shows the extra
// columns (born, exited, oldest) and whole function names.
const wide = 180

// baseColumns are the columns of a target's table, in screen order; the
// diff column follows COUNT when there is a mark.
var baseColumns = []column{
	{id: colCount, title: "COUNT", min: 5, right: true, prio: 100},
	{id: colTrend, title: "TREND", min: 8, prio: 40},
	{id: colRate, title: "/MIN", min: 6, right: true, prio: 80},
	{id: colState, title: "STATE", min: 12, prio: 70},
	{id: colWait, title: "WAIT", min: 5, right: true, prio: 50},
	{id: colBorn, title: "BORN", min: 6, right: true, prio: 20, from: wide},
	{id: colExited, title: "EXITED", min: 6, right: true, prio: 20, from: wide},
	{id: colOldest, title: "OLDEST", min: 6, right: true, prio: 25, from: wide},
	{id: colSite, title: "SITE", min: 10, prio: 60},
	{id: colFunc, title: "FUNCTION", min: 16, prio: 90},
	{id: colCreator, title: "CREATOR", min: 14, prio: 30},
}

var deltaColumn = column{id: colDelta, title: "ΔMARK", min: 6, right: true, prio: 85}

// grow says in which order spare width widens columns, and how far.
var grow = []struct {
	col colID
	to  int
}{
	{colTarget, 16}, {colSite, 14}, {colFunc, 32}, {colTrend, 16},
	{colCreator, 30}, {colState, 16}, {colSite, 20}, {colFunc, 50},
	{colCreator, 50}, {colFunc, 80}, {colCreator, 80}, {colFunc, 120},
}

// gutter is the selection and mark characters before the first column.
const gutter = 2

// columns returns the columns of the table on a terminal width cells
// wide, and each one's width; a column too low in priority to fit is
// left out.
func (t *table) columns(width int) ([]column, []int) {
	cols := make([]column, 0, len(baseColumns)+len(t.targets)+1)
	for _, c := range baseColumns {
		if c.from > width {
			continue
		}
		switch {
		case c.id == colTrend && t.targets != nil:
			continue // the target columns stand in for the trend
		case c.id == colCount && t.targets != nil:
			c.title = "TOTAL"
		}
		switch c.id {
		case colCount:
			c.min = max(c.min, len(human.Count(t.maxCount)))
		case colState:
			c.min = min(max(c.min, t.stateNeed), stateMax)
		}
		if _, ok := t.sortMark(c.id); ok {
			// A sorted column's title keeps its mark and stays whole.
			c.min = max(c.min, ansi.StringWidth(c.title)+1)
		}
		cols = append(cols, c)
		if c.id != colCount {
			continue
		}
		if t.diff {
			cols = append(cols, deltaColumn)
		}
		for i, name := range t.targets {
			cols = append(cols, column{id: colTarget, title: name, min: max(len(human.Count(t.maxCount))+1, min(len(name)+2, 12)),
				right: true, prio: 95 - i, target: i})
		}
	}
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = c.min
	}
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
		for i, c := range cols {
			if w[i] > 0 && c.id != colCount && c.id != colFunc && c.prio < prio {
				drop, prio = i, c.prio
			}
		}
		if drop < 0 {
			break
		}
		w[drop] = 0
	}
	fn := -1
	for i, c := range cols {
		if c.id == colFunc {
			fn = i
		}
	}
	if n := used(); n > width && fn >= 0 {
		w[fn] = max(w[fn]-(n-width), 4)
	}
	spare := width - used()
	for _, g := range grow {
		for i, c := range cols {
			if spare <= 0 {
				break
			}
			to := g.to
			switch c.id {
			case colTarget:
				to = min(to, len(c.title)+2) // its tab's number and its name
			case colState:
				to = max(to, min(t.stateWide, stateWideMax)) // the states on screen, whole
			}
			if c.id != g.col || w[i] == 0 || w[i] >= to {
				continue
			}
			add := min(spare, to-w[i])
			w[i] += add
			spare -= add
		}
	}
	return cols, w
}

// sortMark returns the mark the title of column id carries when the
// table is sorted by it: ▼ largest first, ▲ by name.
func (t *table) sortMark(id colID) (string, bool) {
	sorted := map[sortMode]colID{sortCount: colCount, sortGrowth: colRate, sortWait: colWait, sortName: colFunc, sortDelta: colDelta}
	if c, ok := sorted[t.sort]; !ok || c != id {
		return "", false
	}
	if t.sort == sortName {
		return "▲", true
	}
	return "▼", true
}

// titles returns the column titles, the sorted column marked.
func (t *table) titles(cols []column, w []int) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		if w[i] == 0 {
			continue
		}
		s := c.title
		if c.id == colTarget {
			// The number of its tab, then the end of the target's name:
			// replicas differ by their port.
			num := strconv.Itoa(c.target + 1)
			s = num + " " + strings.TrimRight(fitLeft(s, w[i]-len(num)-1), " ")
		}
		if mark, ok := t.sortMark(c.id); ok {
			s += mark
		}
		if c.right {
			out[i] = fitRight(s, w[i])
		} else {
			out[i] = fit(s, w[i])
		}
	}
	return out
}

// join lays cells out with one space between columns. style, if not nil,
// styles the cells it has a style for.
func join(gutterText string, cells []string, w []int, style func(i int) *lipgloss.Style) string {
	var b strings.Builder
	b.WriteString(gutterText)
	for i, s := range cells {
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

// cells returns a row's cells, plain text cut or padded to the widths;
// full keeps function names whole (package path and all).
func (r *row) cells(cols []column, w []int, full bool) []string {
	c := make([]string, len(cols))
	for i, col := range cols {
		width := w[i]
		if width == 0 {
			continue
		}
		var s string
		switch col.id {
		case colCount:
			s = human.Count(r.count)
		case colDelta:
			s = delta(r.delta)
		case colTarget:
			s = "-"
			if p := r.per[col.target]; p != nil {
				// The mark first: "s12", never "12s", which reads as seconds.
				s = strings.TrimSpace(p.mark()) + human.Count(p.count)
			}
		case colTrend:
			c[i] = sparkline(r.counts(), width)
			continue
		case colRate:
			s = human.Growth(r.growth)
		case colState:
			c[i] = stateCell(clean(r.state()), width)
			continue
		case colWait:
			s = waitCell(r.age, r.gstate)
		case colBorn:
			s = delta(r.born)
		case colExited:
			s = delta(-r.exited)
		case colOldest:
			s = ageText(r.oldest)
		case colSite:
			c[i] = fitLeft(clean(r.site()), width)
			continue
		case colFunc:
			fn := r.fn()
			if !full {
				fn = stackparse.ShortFunc(fn)
			}
			c[i] = fitLeft(clean(fn), width)
			continue
		case colCreator:
			s = clean(r.creator())
		}
		if col.right {
			c[i] = fitRight(s, width)
		} else {
			c[i] = fit(s, width)
		}
	}
	return c
}

// stateMax is the widest the STATE column grows to show the states on
// screen whole, abbreviated as far as stateForms goes, on a narrow
// terminal; stateWideMax is how far spare width widens it to show them as
// the runtime printed them.
const (
	stateMax     = 16
	stateWideMax = 24
)

// stateSteps shorten a state one step at a time, each form still saying
// what the runtime printed: select {} is what parks in "select (no
// cases)", sync's lock and wait states name their type, and a channel
// state its operation.
var stateSteps = [][2]string{
	{"select (no cases)", "select {}"},
	{"sync.", ""},
	{"chan receive", "chan recv"},
	{" (nil chan)", " (nil)"},
	{"chan ", ""},
}

// stateCell writes a state in width cells: the longest of its forms that
// fits, the shortest cut when none does.
func stateCell(s string, width int) string {
	for _, step := range stateSteps {
		if ansi.StringWidth(s) <= width {
			break
		}
		s = strings.Replace(s, step[0], step[1], 1)
	}
	return fit(s, width)
}

// stateWidth is how many cells a state takes whole, and abbreviated as
// far as it goes.
func stateWidth(s string) (whole, short int) {
	whole = ansi.StringWidth(s)
	for _, step := range stateSteps {
		s = strings.Replace(s, step[0], step[1], 1)
	}
	return whole, ansi.StringWidth(s)
}

// waitCell prints how long a group's goroutines have been blocked, as
// the runtime says: ≥12m; <1m for goroutines parked without the runtime's
// minutes (it prints them from the first minute on); - for those not
// parked at all (running, runnable, in a system call) or whose state is
// not known.
func waitCell(d time.Duration, state string) string {
	switch {
	case d >= time.Minute:
		return "≥" + human.Age(d)
	case parked(state):
		return "<1m"
	}
	return "-"
}

// parked reports whether goroutines in state wait for something, so that
// the runtime counts their wait.
func parked(state string) bool {
	switch state {
	case "", "running", "runnable", "syscall", "idle", "dead", "copystack", "preempted":
		return false
	}
	return !stackparse.CountedState(state)
}

// ageText prints a wait or an age for a cell: ≥12m, or - under a second.
func ageText(d time.Duration) string {
	if d < time.Second {
		return "-"
	}
	return "≥" + human.Age(d)
}

// delta prints a change of count: +12, -3, 0.
func delta(n int) string {
	switch {
	case n > 0:
		return "+" + human.Count(n)
	case n < 0:
		return "-" + human.Count(-n)
	}
	return "0"
}
