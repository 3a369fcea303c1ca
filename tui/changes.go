package tui

import (
	"context"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/human"
)

// Targets that come and go while the UI runs (Config.Changes): a new one
// gets a tab after the live ones, whose history starts clean; one that is
// gone stops polling and its tab moves after the live ones, marked gone,
// keeping what it gathered; the combined view counts the live ones only.
// Tabs move, so messages name a tab by its id, never by its place.

// fleetProblem is what is wrong with a fleet as a whole.
type fleetProblem struct {
	fleet, msg string
}

// waitChange waits for the next change to the targets. The UI re-arms it
// after each, as long as the channel is open.
func waitChange(ctx context.Context, changes <-chan Change) tea.Cmd {
	return func() tea.Msg {
		select {
		case c, ok := <-changes:
			if !ok {
				return changesEndMsg{}
			}
			return changeMsg{c}
		case <-ctx.Done():
			return nil
		}
	}
}

// change applies a change to the targets.
func (m Model) change(c Change) (Model, tea.Cmd) {
	switch {
	case c.Add != nil:
		return m.addTab(*c.Add)
	case c.Gone != "":
		m.goneTab(c.Gone)
	case c.Target != "":
		if i := m.findTarget(c.Target); i >= 0 && !m.tabs[i].gone {
			m.tabs[i].problem = c.Problem
		}
	default:
		m.setProblem(c.Fleet, c.Problem)
	}
	return m, nil
}

// live returns how many targets are not gone: the first tabs.
func (m *Model) live() int {
	n := 0
	for n < len(m.tabs) && !m.tabs[n].gone {
		n++
	}
	return n
}

// findTarget returns the index of the tab of the target whose ID is id,
// or -1.
func (m *Model) findTarget(id string) int {
	return slices.IndexFunc(m.tabs, func(t *tab) bool { return t.cfg.id() == id })
}

// addTab gives a new target a tab after the live ones, and polls it.
func (m Model) addTab(tc TargetConfig) (Model, tea.Cmd) {
	if tc.Fetch == nil {
		return m, nil
	}
	if i := m.findTarget(tc.id()); i >= 0 && !m.tabs[i].gone {
		return m, nil // there already
	}
	cur := m.tab()
	t := newTab(tc, m.cfg.Interval, m.nextID)
	m.nextID++
	m.tabs = slices.Insert(m.tabs, m.live(), t)
	m.refocus(cur)
	m.rebuild()
	return m, pollNow(t.id, t.gen)
}

// goneTab marks the tab of a target gone: it polls no more, and moves
// after the live tabs, first of the gone ones. Beyond MaxGone, the tab
// gone longest is dropped.
func (m *Model) goneTab(id string) {
	i := m.findTarget(id)
	if i < 0 || m.tabs[i].gone {
		return
	}
	cur := m.tab()
	t := m.tabs[i]
	t.gen++ // a poll or fetch in flight is stale
	t.stopFetch()
	t.gone, t.goneAt = true, m.now
	t.failures, t.lastErr, t.problem = 0, "", ""
	m.tabs = slices.Delete(m.tabs, i, i+1)
	m.tabs = slices.Insert(m.tabs, m.live(), t)
	msg := t.name + " is gone: its tab keeps what it gathered"
	if n := len(m.tabs) - m.live(); n > MaxGone {
		dropped := m.tabs[len(m.tabs)-1]
		m.tabs = m.tabs[:len(m.tabs)-1]
		msg += "; the tab of " + dropped.name + ", gone longest, is dropped (at most " + human.Count(MaxGone) + " gone are kept)"
	}
	m.refocus(cur)
	m.say(false, "%s", msg)
	m.rebuild()
}

// refocus keeps tab cur on screen after the tabs moved (nil: the combined
// view); when cur was dropped, the combined view shows.
func (m *Model) refocus(cur *tab) {
	if cur != nil {
		if i := slices.Index(m.tabs, cur); i >= 0 {
			m.active = i
			return
		}
		sel := m.allSel
		m.table.cursor, m.table.offset, m.table.selKey, m.table.follow = sel.cursor, sel.offset, sel.selKey, sel.follow
		m.detail.close()
	}
	m.active = len(m.tabs)
}

// setProblem sets or, with msg empty, clears the problem of a fleet.
func (m *Model) setProblem(fleet, msg string) {
	i := slices.IndexFunc(m.problems, func(p fleetProblem) bool { return p.fleet == fleet })
	switch {
	case msg == "" && i >= 0:
		m.problems = slices.Delete(slices.Clone(m.problems), i, i+1)
	case msg == "":
	case i >= 0:
		m.problems = slices.Clone(m.problems)
		m.problems[i].msg = msg
	default:
		m.problems = append(slices.Clone(m.problems), fleetProblem{fleet, msg})
	}
}

// problemOf returns the problem of a fleet, or "".
func (m *Model) problemOf(fleet string) string {
	for _, p := range m.problems {
		if p.fleet == fleet && fleet != "" {
			return p.msg
		}
	}
	return ""
}
