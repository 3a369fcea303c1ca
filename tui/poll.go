package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// clockTick refreshes the clock in a second.
func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// pollNow asks the tab whose id is id for a poll at once.
func pollNow(id, gen int) tea.Cmd {
	return func() tea.Msg { return pollMsg{tab: id, gen: gen} }
}

// pollIn arms the next poll of tab i's current generation after d.
func (m *Model) pollIn(i int, d time.Duration) tea.Cmd {
	id, gen := m.tabs[i].id, m.tabs[i].gen
	if d <= 0 {
		return pollNow(id, gen)
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollMsg{tab: id, gen: gen} })
}

// poll starts a tab's fetch unless one is running, polling is off, or the
// timer is stale. A replay that plays on from an older snapshot steps
// through the snapshots kept before it reads new ones.
func (m Model) poll(msg pollMsg) (Model, tea.Cmd) {
	i := m.find(msg.tab)
	if i < 0 {
		return m, nil
	}
	t := m.tabs[i]
	if msg.gen != t.gen || t.gone || m.paused && !msg.once {
		return m, nil
	}
	if ds := t.sets[m.grouping]; ds != nil && ds.stepped() && !msg.once {
		m.setView(i, ds.view+1)
		return m, m.pollIn(i, m.pace(t))
	}
	if t.ended || t.fetching {
		return m, nil
	}
	ctx, cancel := context.WithCancel(m.base)
	t.cancel, t.fetching = cancel, true
	t.seq++
	t.fetchStart, t.slow = m.now, false
	seq, id := t.seq, t.id
	return m, tea.Batch(
		fetchCmd(ctx, t.fetch, id, t.gen),
		tea.Tick(slowAfter, func(time.Time) tea.Msg { return slowMsg{tab: id, seq: seq} }),
	)
}

// fetchCmd runs one fetch of the tab whose id is id. A panic in it comes
// back as an error: the UI shows it and tries again.
func fetchCmd(ctx context.Context, fetch Fetch, id, gen int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = fetchedMsg{tab: id, gen: gen, err: fmt.Errorf("fetch failed: internal error: %v", r)}
			}
		}()
		s, err := fetch(ctx)
		return fetchedMsg{tab: id, gen: gen, sample: s, err: err}
	}
}

// fetched takes a fetch's result and arms the tab's next poll: after the
// interval (a replay's pace), or after a backoff that doubles from 1 s to
// 30 s while fetches fail. An error in one tab leaves the others be.
func (m Model) fetched(msg fetchedMsg) (Model, tea.Cmd) {
	i := m.find(msg.tab)
	if i < 0 {
		return m, nil
	}
	t := m.tabs[i]
	if msg.gen != t.gen {
		return m, nil
	}
	t.stopFetch()
	err := msg.err
	if err == nil && msg.sample.Snap == nil {
		err = errors.New("fetch returned no snapshot")
	}
	switch {
	case errors.Is(err, io.EOF):
		t.ended = true
		if m.paused {
			m.say(false, "the replay has no more snapshots")
		}
		return m, nil
	case err != nil:
		t.failures++
		t.lastErr = err.Error()
		backoff := dumpsource.DefaultBackoff.Delay(t.failures-1, m.jitter)
		t.retryAt = m.now.Add(backoff)
		return m, m.pollIn(i, backoff)
	}
	t.failures, t.lastErr, t.problem = 0, "", ""
	t.interval = m.cfg.Interval
	if p := msg.sample.Pace; p.Stretched {
		t.interval = p.Wait
	}
	m.file(i, msg.sample)
	if m.paused {
		return m, nil // one snapshot, read by a step forward
	}
	return m, m.pollIn(i, m.pace(t))
}

// file keeps a sample, already filed with its trackers, in its tab's
// dataset of each grouping it carries: the frame each table shows.
func (m *Model) file(i int, s poll.Sample) {
	t := m.tabs[i]
	at := s.Meta.At
	if at.IsZero() {
		at = m.now
	}
	for _, g := range t.groupings(m.cfg.Grouping) {
		snap, v := s.For(g)
		if snap == nil || v == nil {
			continue
		}
		ds := t.data(g)
		ds.sample, ds.snap, ds.latest, ds.gotAt = s, snap, v, m.now
		if s.Cost.Kind != poll.Counts {
			ds.fullAt = at
		}
		ds.polls++
		if dropped := ds.hist.capture(ds.polls, at, snap, v); ds.view >= 0 {
			ds.view = max(ds.view-dropped, 0) // the same snapshot stays on screen
		}
	}
	if i == m.active || m.combined() {
		m.rebuild()
	}
}

// slow starts the spinner when a fetch is still running a while after it
// started.
func (m Model) slow(msg slowMsg) (Model, tea.Cmd) {
	i := m.find(msg.tab)
	if i < 0 {
		return m, nil
	}
	t := m.tabs[i]
	if !t.fetching || t.seq != msg.seq {
		return m, nil
	}
	t.slow = true
	if m.spinning {
		return m, nil
	}
	m.spinning = true
	return m, m.spin.Tick
}

// spinTick turns the spinner while any fetch is slow, and lets it stop
// when none is.
func (m Model) spinTick(msg spinner.TickMsg) (Model, tea.Cmd) {
	for _, t := range m.tabs {
		if t.fetching && t.slow {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	}
	m.spinning = false
	return m, nil
}

// togglePause stops or restarts every tab's polling; the UI stays usable
// either way. Resuming a live target goes back to its latest snapshot; a
// replay plays on from the snapshot on screen.
func (m Model) togglePause() (Model, tea.Cmd) {
	if !m.paused && m.allEnded() {
		m.say(false, "replay ended: nothing more to read (←/→ step through it)")
		return m, nil
	}
	if !m.paused {
		m.pause()
		return m, nil
	}
	var cmds []tea.Cmd
	m.paused = false
	for i, t := range m.tabs {
		if t.fetching || t.gone {
			continue // a replay's read still running re-arms its loop; a gone target polls no more
		}
		t.gen++
		if !t.cfg.Replay {
			for _, ds := range t.sets {
				ds.view = -1
			}
		}
		cmds = append(cmds, m.pollIn(i, 0))
	}
	m.rebuild()
	return m, tea.Batch(cmds...)
}

// pause stops every tab's polling. A replay's read in flight is let
// finish, so that no snapshot of a file is lost; a live fetch is
// cancelled.
func (m *Model) pause() {
	if m.paused {
		return
	}
	m.paused = true
	for _, t := range m.tabs {
		if t.cfg.Replay && t.fetching {
			continue
		}
		t.gen++
		t.stopFetch()
	}
}

// allEnded reports whether every tab is a replay that has ended and shows
// its last snapshot.
func (m *Model) allEnded() bool {
	for _, t := range m.tabs {
		if ds := t.sets[m.grouping]; !t.ended || ds != nil && ds.stepped() {
			return false
		}
	}
	return true
}

// regroup cycles the groupings every target's samples carry, each with
// the history gathered all along, and then the creator view.
func (m Model) regroup() (Model, tea.Cmd) {
	m.detail.close()
	gs := m.groupings()
	next := 0
	if !m.creator {
		next = slices.Index(gs, m.grouping) + 1
	}
	if next >= len(gs) {
		m.creator = true
		m.rebuild()
		if len(gs) == 1 {
			m.say(false, "creator view; this source is grouped one way only (--group)")
		}
		return m, nil
	}
	m.creator, m.grouping = false, gs[next]
	m.rebuild()
	return m, nil
}

// groupings returns the groupings every tab's samples carry, in the
// order of the first tab's.
func (m *Model) groupings() []stackparse.Grouping {
	var out []stackparse.Grouping
	for i, t := range m.tabs {
		gs := t.groupings(m.cfg.Grouping)
		if i == 0 {
			out = slices.Clone(gs)
			continue
		}
		out = slices.DeleteFunc(out, func(g stackparse.Grouping) bool { return !slices.Contains(gs, g) })
	}
	return out
}
