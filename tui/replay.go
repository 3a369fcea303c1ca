package tui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/human"
)

// speeds are the replay speeds; 0 is as fast as the source reads.
var speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 0}

// speedNormal indexes 1× in speeds.
const speedNormal = 2

// speedText prints a replay speed: 1×, ½×, max.
func speedText(i int) string {
	switch s := speeds[i]; {
	case s == 0:
		return "max speed"
	case s == 0.25:
		return "¼×"
	case s == 0.5:
		return "½×"
	default:
		return fmt.Sprintf("%g×", s)
	}
}

// pace is the time between a tab's polls: its interval; in a replay the
// time between its snapshots (replayStep), divided by the speed.
func (m *Model) pace(t *tab) time.Duration {
	if !t.cfg.Replay {
		return t.interval
	}
	s := speeds[m.speed]
	if s == 0 {
		return 0
	}
	return time.Duration(float64(m.replayStep(t)) / s)
}

// maxReplayStep bounds a replay's step at 1×: a recording that paused
// for an hour does not freeze the screen for one.
const maxReplayStep = time.Minute

// replayStep is a replay's step at 1×: the time between the snapshot on
// screen and the next, when both are kept, else between the latest two
// read (a recording's pace seldom changes); the tab's interval where
// those times say nothing (a single snapshot, files copied at one
// moment), and at most maxReplayStep.
func (m *Model) replayStep(t *tab) time.Duration {
	ds := t.sets[m.grouping]
	if ds == nil {
		return t.interval
	}
	fs := ds.hist.frames
	i := len(fs) - 2
	if ds.stepped() {
		i = ds.view
	}
	if i < 0 || i+1 >= len(fs) {
		return t.interval
	}
	gap := fs[i+1].at.Sub(fs[i].at)
	if gap <= 0 {
		return t.interval
	}
	return min(gap, maxReplayStep)
}

// setSpeed changes the replay speed and re-arms the replays' timers.
func (m Model) setSpeed(delta int) (Model, tea.Cmd) {
	next := min(max(m.speed+delta, 0), len(speeds)-1)
	if next == m.speed {
		m.say(false, "replay speed %s is the limit", speedText(m.speed))
		return m, nil
	}
	m.speed = next
	m.say(false, "replay speed %s", speedText(m.speed))
	if m.paused {
		return m, nil
	}
	var cmds []tea.Cmd
	for i, t := range m.tabs {
		if t.cfg.Replay && !t.fetching {
			t.gen++
			cmds = append(cmds, m.pollIn(i, m.pace(t)))
		}
	}
	return m, tea.Batch(cmds...)
}

// step moves the tab on screen delta snapshots back (negative) or forward
// in time, pausing first. Past the latest snapshot of a replay it reads
// the next one from the source.
func (m Model) step(delta int) (Model, tea.Cmd) {
	t := m.tab()
	if t == nil {
		m.say(false, "step through time on a target's tab (1–%d)", len(m.tabs))
		return m, nil
	}
	ds := t.sets[m.grouping]
	if ds == nil || len(ds.hist.frames) == 0 {
		m.say(false, "no snapshot yet")
		return m, nil
	}
	m.pause()
	n := len(ds.hist.frames)
	next := ds.pos() + delta
	switch {
	case next < 0:
		next = 0
		if delta == -1 {
			m.say(false, "the oldest snapshot kept (%s kept)", human.Count(n))
		}
	case next >= n && delta == 1 && t.cfg.Replay && !t.ended && !t.fetching:
		m.setView(m.active, n-1)
		return m, pollOnce(t.id, t.gen)
	case next >= n:
		next = n - 1
		if delta == 1 {
			m.say(false, "the latest snapshot; p resumes")
		}
	}
	m.setView(m.active, next)
	return m, nil
}

// setView puts frame i of tab ti's dataset on screen; the last frame
// means the latest, which follows new polls.
func (m *Model) setView(ti, i int) {
	t := m.tabs[ti]
	ds := t.sets[m.grouping]
	if ds == nil {
		return
	}
	ds.view = i
	if i < 0 || i >= len(ds.hist.frames)-1 {
		ds.view = -1
	}
	if ti == m.active || m.combined() {
		m.rebuild()
	}
}

// pollOnce is pollNow for a poll that runs while paused.
func pollOnce(id, gen int) tea.Cmd {
	return func() tea.Msg { return pollMsg{tab: id, gen: gen, once: true} }
}

// markBase marks the snapshot on screen as the diff base.
func (m *Model) markBase() {
	ds := m.current()
	if ds == nil {
		m.say(false, "mark a snapshot on a target's tab (1–%d)", len(m.tabs))
		return
	}
	f := ds.frame()
	if f == nil {
		m.say(false, "no snapshot to mark yet")
		return
	}
	ds.mark = newMark(f)
	m.say(false, "marked snapshot %s as the diff base; d shows what changed since", human.Count(f.poll))
	m.rebuild()
}

// toggleDiff shows or hides the change since the mark.
func (m *Model) toggleDiff() {
	ds := m.current()
	switch {
	case ds == nil:
		m.say(false, "diff on a target's tab (1–%d)", len(m.tabs))
		return
	case ds.mark == nil:
		m.say(false, "m marks a snapshot first; d then shows what changed since")
		return
	}
	m.diff = !m.diff
	if m.diff {
		m.table.sort = sortDelta
	} else if m.table.sort == sortDelta {
		m.table.sort = sortSuspicion
	}
	m.table.diff = m.diff
	m.rebuild()
}
