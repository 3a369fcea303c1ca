package tui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// wheelRows is how far one turn of the mouse wheel moves.
const wheelRows = 3

// mouse handles the wheel (scroll the table or the detail) and clicks (a
// tab in the tab bar; a row to select it, twice to open its detail).
func (m Model) mouse(msg tea.MouseMsg) (Model, tea.Cmd) {
	if m.filtering || m.showHelp {
		return m, nil
	}
	mo := msg.Mouse()
	switch msg.(type) {
	case tea.MouseWheelMsg:
		step := 0
		switch mo.Button {
		case tea.MouseWheelUp:
			step = -wheelRows
		case tea.MouseWheelDown:
			step = wheelRows
		}
		switch {
		case step == 0:
		case m.detail.open:
			if step < 0 {
				m.detail.vp.ScrollUp(-step)
			} else {
				m.detail.vp.ScrollDown(step)
			}
			if m.detail.stale() {
				m.refreshDetail()
			}
		default:
			m.table.move(step)
		}
		return m, nil
	case tea.MouseClickMsg:
		if mo.Button != tea.MouseLeft {
			return m, nil
		}
		w, _ := m.size()
		if m.multi() && mo.Y == 0 {
			if i := m.tabAt(mo.X, w); i >= 0 {
				m.switchTo(i)
			}
			return m, nil
		}
		if m.detail.open {
			return m, nil
		}
		i := m.rowAt(mo.Y)
		if i < 0 {
			return m, nil
		}
		m.table.cursor = i
		m.table.follow = i > 0
		m.table.remember()
		key := m.table.rows[i].key
		double := m.lastClick.key == key && m.now.Sub(m.lastClick.at) <= doubleClick
		m.lastClick.key, m.lastClick.at = key, m.now
		if double {
			m.lastClick.key = ""
			return m.open()
		}
	}
	return m, nil
}

// tabAt returns the tab whose item in the tab bar is at column x, or -1.
func (m Model) tabAt(x, w int) int {
	start := 0
	for _, it := range m.tabItems(w) {
		end := start + ansi.StringWidth(it.text)
		if x >= start && x < end {
			return it.tab
		}
		start = end + 1
	}
	return -1
}

// rowAt returns the index of the table row drawn on screen line y, or -1.
func (m Model) rowAt(y int) int {
	w, h := m.size()
	if m.noData() != "" {
		return -1
	}
	line := len(m.headerView(w)) + 1 // below the column titles
	height := m.tableHeight(h)
	for i := m.table.offset; i < len(m.table.rows) && line < len(m.headerView(w))+1+height; i++ {
		next := line + m.table.rows[i].height()
		if y >= line && y < next {
			return i
		}
		line = next
	}
	return -1
}
