package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/human"
)

// View draws the screen. A panic in it draws the error instead.
func (m Model) View() (v tea.View) {
	defer func() {
		if r := recover(); r != nil {
			v = tea.NewView(clean(fmt.Sprintf("gorotop: internal error while drawing: %v (press q to quit)", r)))
			v.AltScreen = true
		}
	}()
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	w, h := m.size()
	if w < 20 || h < 5 {
		v.SetContent(truncate("terminal too small", w))
		return v
	}
	lines := m.headerView(w)
	bodyH := h - len(lines) - 1
	var body []string
	switch {
	case m.showHelp:
		body = m.helpView(w, bodyH)
	case m.detail.open:
		body = m.detailView(w, bodyH)
	default:
		body = m.tableView(w, bodyH)
	}
	if len(body) > bodyH {
		body = body[:max(bodyH, 0)]
	}
	lines = append(lines, body...)
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.statusView(w))
	v.SetContent(strings.Join(lines, "\n"))
	if c := m.filter.Cursor(); m.filtering && c != nil {
		c.X, c.Y = min(c.X, w-1), h-1
		v.Cursor = c
	}
	return v
}

// tableHeight is how many lines the table's rows get on a screen h lines
// high.
func (m Model) tableHeight(h int) int {
	w, _ := m.size()
	return h - len(m.headerView(w)) - 1 - 2
}

// tableView draws the table, or what stands in for it before data comes.
func (m Model) tableView(w, h int) []string {
	if msg := m.noData(); msg != "" {
		return []string{"", "  " + m.styles.Dim.Render(truncate(msg, w-2))}
	}
	if len(m.table.rows) == 0 {
		msg := "no goroutines"
		if m.table.filter != "" {
			msg = fmt.Sprintf("no group matches %q (esc clears the filter)", clean(m.table.filter))
		}
		return []string{"", "  " + m.styles.Dim.Render(truncate(msg, w-2))}
	}
	lines := m.table.view(w, h-1, &m.styles)
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return append(lines, m.selectionLine(w))
}

// noData says why there is no table yet, or "" when there is data.
func (m Model) noData() string {
	tabs := m.tabs[:m.live()]
	if t := m.tab(); t != nil {
		tabs = []*tab{t}
	}
	ended, failing := 0, 0
	for _, t := range tabs {
		if ds := t.sets[m.grouping]; ds != nil && ds.frame() != nil {
			return ""
		}
		if t.ended {
			ended++
		}
		if t.trouble() != "" {
			failing++
		}
	}
	switch {
	case len(tabs) == 0 && len(m.problems) > 0:
		return "no target yet: see the problem above"
	case len(tabs) == 0:
		return "waiting for targets…"
	case len(tabs) == 1 && tabs[0].gone:
		return "gone before its first dump"
	case ended == len(tabs):
		return "the source held no goroutine dump"
	case failing > 0:
		return "no dump yet: see the error above"
	}
	return "waiting for the first dump…"
}

// selectionLine spells out the selected row in full: its function, site
// and creator, which narrow columns cut.
func (m Model) selectionLine(w int) string {
	r := m.table.selected()
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", clean(r.site()), clean(r.fn()))
	if r.members != nil {
		fmt.Fprintf(&b, " · %s", plural(len(r.members), "group"))
	} else if c := r.group.CreatedBy; c != nil {
		fmt.Fprintf(&b, " ← %s", clean(c.Func))
	}
	if r.per != nil {
		var counts []string
		for i, p := range r.per {
			if p != nil {
				counts = append(counts, fmt.Sprintf("%s %s", m.tabs[i].name, human.Count(p.count)))
			}
		}
		fmt.Fprintf(&b, " · %s", strings.Join(counts, ", "))
	}
	return m.styles.Dim.Render(truncate(b.String(), w))
}

// statusView is the last line: the filter being edited, a notice, or the
// short help.
func (m Model) statusView(w int) string {
	switch {
	case m.filtering:
		return truncate(m.filter.View(), w)
	case m.notice != "":
		st := m.styles.Notice
		if m.noticeErr {
			st = m.styles.Error
		}
		return st.Render(truncate(m.notice, w))
	}
	if m.detail.open && !m.showHelp {
		pos := fmt.Sprintf("%3.0f%%  ", m.detail.vp.ScrollPercent()*100)
		return truncate(pos+m.help.ShortHelpView(detailKeys{m.keys}.ShortHelp()), w)
	}
	return truncate(m.help.ShortHelpView(m.keys.ShortHelp()), w)
}
