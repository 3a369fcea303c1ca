package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// clockTick refreshes the clock in a second.
func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// pollIn arms the next poll of this generation after d.
func (m *Model) pollIn(d time.Duration) tea.Cmd {
	gen := m.gen
	if d <= 0 {
		return func() tea.Msg { return pollMsg{gen: gen} }
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollMsg{gen: gen} })
}

// poll starts a fetch unless one is running, polling is off, or the
// timer is stale.
func (m Model) poll(msg pollMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || m.paused || m.ended || m.fetching {
		return m, nil
	}
	ctx, cancel := context.WithCancel(m.base)
	m.cancel, m.fetching = cancel, true
	return m, fetchCmd(ctx, m.fetch, m.gen)
}

// fetchCmd runs one fetch. A panic in it comes back as an error: the UI
// shows it and tries again.
func fetchCmd(ctx context.Context, fetch Fetch, gen int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = fetchedMsg{gen: gen, err: fmt.Errorf("fetch failed: internal error: %v", r)}
			}
		}()
		s, err := fetch(ctx)
		return fetchedMsg{gen: gen, sample: s, err: err}
	}
}

// stopFetch cancels the fetch in flight, if any.
func (m *Model) stopFetch() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.fetching = false
}

// fetched takes a fetch's result and arms the next poll: after the
// interval, or after a backoff that doubles from 1 s to 30 s while fetches
// fail.
func (m Model) fetched(msg fetchedMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen {
		return m, nil
	}
	m.stopFetch()
	err := msg.err
	if err == nil && msg.sample.Snap == nil {
		err = errors.New("fetch returned no snapshot")
	}
	switch {
	case errors.Is(err, io.EOF):
		m.ended = true
		return m, nil
	case err != nil:
		m.failures++
		m.lastErr = err.Error()
		backoff := min(firstBackoff<<min(m.failures-1, 5), maxBackoff)
		m.retryAt = m.now.Add(backoff)
		return m, m.pollIn(backoff)
	}
	m.failures, m.lastErr = 0, ""
	m.interval = m.cfg.Interval
	if msg.sample.Interval > 0 {
		m.interval = msg.sample.Interval
	}
	m.observe(m.grouping, msg.sample)
	return m, m.pollIn(m.interval)
}

// data returns the dataset of a grouping, made on first use.
func (m *Model) data(g stackparse.Grouping) *dataset {
	ds := m.sets[g]
	if ds == nil {
		ds = &dataset{tracker: track.New(m.cfg.Track)}
		m.sets[g] = ds
	}
	return ds
}

// current returns the dataset on screen.
func (m *Model) current() *dataset { return m.data(m.grouping) }

// observe files a sample with its grouping's tracker, or keeps it for
// later while an export reads the tracker.
func (m *Model) observe(g stackparse.Grouping, s Sample) {
	if m.exporting {
		m.pending = append(m.pending, pendingSample{grouping: g, sample: s})
		return
	}
	at := s.At
	if at.IsZero() {
		at = m.now
		s.At = at
	}
	ds := m.data(g)
	ds.tracker.Observe(at, s.Snap)
	ds.sample, ds.gotAt = s, m.now
	ds.polls++
	if g == m.grouping {
		m.rebuild()
	}
}

// togglePause stops or restarts polling; the UI stays usable either way.
func (m Model) togglePause() (Model, tea.Cmd) {
	if m.ended {
		m.say(false, "replay ended: nothing more to read")
		return m, nil
	}
	m.gen++
	if m.paused {
		m.paused = false
		return m, m.pollIn(0)
	}
	m.paused = true
	m.stopFetch()
	return m, nil
}

// regroup cycles the code, exact and pointer groupings (when Config has
// Regroup) and the creator view.
func (m Model) regroup() (Model, tea.Cmd) {
	m.detail.close()
	if m.cfg.Regroup == nil || m.paused || m.ended {
		m.creator = !m.creator
		m.rebuild()
		switch {
		case m.cfg.Regroup == nil && m.creator:
			m.say(false, "creator view; code/exact/pointer grouping is chosen at start (--group)")
		case m.cfg.Regroup != nil && m.creator:
			m.say(false, "creator view; resume polling to switch grouping")
		}
		return m, nil
	}
	next := 0
	if !m.creator {
		for i, g := range stackparse.Groupings {
			if g == m.grouping {
				next = i + 1
			}
		}
	}
	if next == len(stackparse.Groupings) {
		m.creator = true
		m.rebuild()
		return m, nil
	}
	g := stackparse.Groupings[next]
	m.creator = false
	if g == m.grouping {
		m.rebuild()
		return m, nil
	}
	fetch := m.cfg.Regroup(g)
	if fetch == nil {
		m.say(true, "grouping %s is not available", g)
		m.rebuild()
		return m, nil
	}
	m.gen++
	m.stopFetch()
	m.fetch, m.grouping = fetch, g
	m.failures, m.lastErr = 0, ""
	m.rebuild()
	return m, m.pollIn(0)
}
