package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
)

// The combined view matches each group across the targets by its key (the
// same code has the same key in every process) and shows a count column
// per target, marked where that target suspects it: "only pod b leaks" is
// one glance. Targets that are gone are left out: it shows what runs now.
// They are the last tabs, so the targets it shows are m.tabs[:m.live()].

// combined reports whether the combined view is on screen.
func (m *Model) combined() bool { return m.active == len(m.tabs) }

// combinedRows returns a row per group (or creation site) found in any
// target's snapshot on screen, with each target's row in per.
func (m *Model) combinedRows() []*row {
	by := map[string]*row{}
	var out []*row
	live := m.live()
	for i, t := range m.tabs[:live] {
		ds := t.sets[m.grouping]
		if ds == nil {
			continue
		}
		for _, r := range ds.rows(m.creator, false) {
			c := by[r.key]
			if c == nil {
				c = &row{key: r.key, group: r.group, gstate: r.gstate, members: r.members, stat: r.stat,
					per: make([]*row, live), tab: i, score: r.score}
				by[r.key] = c
				out = append(out, c)
			}
			c.per[i] = r
			c.absorb(r)
			c.suspect = c.suspect || r.suspect
			c.rising = c.rising || r.rising
			c.stuck = c.stuck || r.stuck
			if r.score > c.score {
				c.score, c.tab, c.group, c.gstate, c.members, c.stat = r.score, i, r.group, r.gstate, r.members, r.stat
			}
		}
	}
	for _, c := range out {
		c.reason = m.combinedReason(c)
	}
	return out
}

// combinedReason names the targets that flag a row, with their reasons.
func (m *Model) combinedReason(c *row) string {
	var parts []string
	for i, r := range c.per {
		if r != nil && r.reason != "" {
			parts = append(parts, m.tabs[i].name+": "+r.reason)
		}
	}
	return strings.Join(parts, " · ")
}

// tabNames names the targets the combined view shows, for its columns.
func (m *Model) tabNames() []string {
	names := make([]string, m.live())
	for i, t := range m.tabs[:len(names)] {
		names[i] = t.name
	}
	return names
}

// combinedHeader is the header of the combined view: every target at
// once.
func (m Model) combinedHeader(w int) []string {
	st := &m.styles
	failing, ended, replay, slow := 0, 0, false, false
	var firstErr *tab
	total, seen := 0, 0
	var perTarget []string
	live := m.tabs[:m.live()]
	for _, t := range live {
		if t.trouble() != "" {
			failing++
			if firstErr == nil {
				firstErr = t
			}
		}
		if t.ended {
			ended++
		}
		replay = replay || t.cfg.Replay
		slow = slow || t.fetching && t.slow
		if ds := t.sets[m.grouping]; ds != nil {
			if f := ds.frame(); f != nil {
				total += f.total
				seen++
				perTarget = append(perTarget, t.name+" "+human.Count(f.total))
			}
		}
	}
	state, stateStyle := "● live", st.Live
	switch {
	case m.paused:
		state, stateStyle = "‖ paused", st.Paused
	case len(live) > 0 && ended == len(live):
		state, stateStyle = "■ replay ended", st.Ended
	case failing > 0:
		state, stateStyle = fmt.Sprintf("✗ %d of %d failing", failing, len(live)), st.Error
	case replay:
		state, stateStyle = "▶ replay "+speedText(m.speed), st.Ended
	}
	all := fmt.Sprintf("all %s", plural(len(live), "target"))
	if gone := len(m.tabs) - len(live); gone > 0 {
		all += fmt.Sprintf(" (%s gone)", human.Count(gone))
	}
	line1 := []segment{
		{text: "gorotop", style: st.Title, prio: 100},
		{text: all, prio: 95},
		{text: state, style: stateStyle, prio: 100},
	}
	if slow {
		line1 = append(line1, segment{text: m.spin.View() + " fetching", prio: 90})
	}
	line1 = append(line1, segment{text: "every " + m.cfg.Interval.Round(100*time.Millisecond).String(), style: st.Dim, prio: 40})

	var line2 []segment
	if seen > 0 {
		line2 = append(line2,
			segment{text: "goroutines " + human.Count(total), style: st.Title, prio: 100},
			segment{text: "(" + strings.Join(perTarget, " · ") + ")", style: st.Dim, prio: 30},
		)
		line2 = append(line2, m.groupSegments()...)
	} else {
		line2 = append(line2, segment{text: "goroutines -", style: st.Title, prio: 100})
	}
	line2 = append(line2, m.viewSegments()...)
	lines := []string{fitLine(w, line1), fitLine(w, line2)}
	switch {
	case firstErr != nil:
		for _, l := range errorLines("✗ "+firstErr.name+": "+clean(firstErr.trouble()), w) {
			lines = append(lines, st.Error.Render(l))
		}
	case len(m.problems) > 0:
		p := m.problems[0]
		for _, l := range errorLines("✗ "+clean(p.fleet)+": "+clean(p.msg), w) {
			lines = append(lines, st.Error.Render(l))
		}
	}
	return lines
}
