package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// key handles a key press.
func (m Model) key(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	if m.filtering {
		switch {
		case msg.String() == "ctrl+c":
			return m.quit()
		case key.Matches(msg, k.Apply):
			m.filtering = false
			m.filter.Blur()
			return m, nil
		case key.Matches(msg, k.Cancel):
			m.filtering = false
			m.filter.Blur()
			m.filter.Reset()
			m.applyFilter()
			return m, nil
		}
		return m.edit(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case m.showHelp:
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		}
		return m, nil
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, k.Pause):
		return m.togglePause()
	case key.Matches(msg, k.Export):
		return m.export()
	case key.Matches(msg, k.Sort):
		m.table.sort = m.table.sort.next(m.table.diff)
		m.rebuild()
		return m, nil
	case key.Matches(msg, k.Group):
		return m.regroup()
	case key.Matches(msg, k.Filter):
		m.detail.close()
		m.filtering = true
		return m, m.filter.Focus()
	case key.Matches(msg, k.NextTab):
		m.cycleTab(1)
		return m, nil
	case key.Matches(msg, k.PrevTab):
		m.cycleTab(-1)
		return m, nil
	case key.Matches(msg, k.TabN):
		if n := int(msg.String()[0] - '0'); n > 0 {
			m.switchTo(n - 1)
		} else {
			m.switchTo(len(m.tabs))
		}
		return m, nil
	case key.Matches(msg, k.StepBack):
		return m.step(-1)
	case key.Matches(msg, k.StepForward):
		return m.step(1)
	case key.Matches(msg, k.First):
		return m.step(-keepFrames)
	case key.Matches(msg, k.Latest):
		return m.step(keepFrames)
	case key.Matches(msg, k.Faster):
		return m.setSpeed(1)
	case key.Matches(msg, k.Slower):
		return m.setSpeed(-1)
	case key.Matches(msg, k.Mark):
		m.markBase()
		return m, nil
	case key.Matches(msg, k.Diff):
		m.toggleDiff()
		return m, nil
	}
	if m.detail.open {
		m.detail.key(msg, k)
		if m.detail.stale() {
			m.refreshDetail()
		}
		return m, nil
	}
	_, h := m.size()
	page := m.table.pageRows(m.tableHeight(h))
	switch {
	case key.Matches(msg, k.Up):
		m.table.move(-1)
	case key.Matches(msg, k.Down):
		m.table.move(1)
	case key.Matches(msg, k.PageUp):
		m.table.move(-page)
	case key.Matches(msg, k.PageDown):
		m.table.move(page)
	case key.Matches(msg, k.Home):
		m.table.move(-len(m.table.rows))
	case key.Matches(msg, k.End):
		m.table.move(len(m.table.rows))
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.Back):
		if m.filter.Value() != "" {
			m.filter.Reset()
			m.applyFilter()
		}
	}
	return m, nil
}

// quit stops every fetch and ends the program.
func (m Model) quit() (Model, tea.Cmd) {
	for _, t := range m.tabs {
		t.stopFetch()
	}
	return m, tea.Quit
}

// edit passes a key press or a paste to the filter editor and refilters.
// Text that would not print as itself (control characters, bidi
// overrides) is dropped.
func (m Model) edit(msg tea.Msg) (Model, tea.Cmd) {
	if p, ok := msg.(tea.PasteMsg); ok {
		msg = tea.PasteMsg{Content: strings.Join(strings.Fields(p.Content), " ")}
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if v := m.filter.Value(); clean(v) != v {
		before := string([]rune(v)[:m.filter.Position()])
		m.filter.SetValue(printable(v))
		m.filter.SetCursor(len([]rune(printable(before))))
	}
	m.applyFilter()
	return m, cmd
}

// printable keeps the runes of s that print as themselves.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if c := string(r); clean(c) == c {
			b.WriteString(c)
		}
	}
	return b.String()
}
