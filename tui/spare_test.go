package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/poll"
)

// TestSparedPolls feeds the UI what a target polled within a stall budget
// yields: a full dump, then cheap polls whose counts are filed without
// their goroutine IDs. The header says what each poll was and cost, the
// stall share and the pace; no cheap poll reads as goroutines born or
// exited; the totals sparkline follows every poll.
func TestSparedPolls(t *testing.T) {
	results := samples(dumps(t))[:3]
	every := 5*time.Minute + 42*time.Second
	pace := poll.Pace{FullEvery: every, Share: 0.0061, NextFull: t0.Add(every), Wait: 20 * time.Second, Stretched: true}
	results[0].sample.Cost = poll.Cost{Kind: poll.Full, Stall: 1800 * time.Millisecond, Walks: 6}
	results[0].sample.Pace = pace
	for i := 1; i < 3; i++ {
		results[i].sample.Cost = poll.Cost{Kind: poll.Counts, Stall: 3 * time.Millisecond}
		results[i].sample.Pace = pace
		snap := *results[i].sample.Snap
		snap.CountOnly = true
		results[i].sample.Snap = &snap
	}
	h := newHarness(t, Config{Interval: 2 * time.Second}, results...)
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})

	h.poll()
	view := h.view()
	for _, want := range []string{"full dump 38ms", "6 walks", "stall 0.61% · full dump every 5m42s"} {
		if !strings.Contains(view, want) {
			t.Errorf("after a full dump, the header lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, ", next ") {
		t.Errorf("a full dump's header says when the next is due:\n%s", view)
	}
	h.polls(2)
	view = h.view()
	// The clock stands at the third poll, 40 s after the full dump.
	for _, want := range []string{"counts 38ms", "stall 0.61% · full dump every 5m42s, next in 5m2s", "every 20s (stretched to spare the target)"} {
		if !strings.Contains(view, want) {
			t.Errorf("after a cheap poll, the header lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "walks") {
		t.Errorf("a cheap poll's header speaks of stack walks:\n%s", view)
	}
	// On a narrow screen the stretched pace, why nothing moves for a
	// while, is kept before the poll's cost and the stall share.
	h.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	if view := h.view(); !strings.Contains(view, "every 20s (stretched to spare the target)") {
		t.Errorf("at 100 columns the header lost the stretched pace:\n%s", view)
	}
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
	ds := h.m.current()
	if n := len(ds.latest.Totals()); n != 1 {
		t.Errorf("the tracker holds %d full polls, want 1", n)
	}
	for _, tr := range ds.latest.Trends() {
		for _, p := range tr.History[1:] {
			if p.Born != 0 || p.Exited != 0 {
				t.Errorf("%s: a cheap poll counted %d born, %d exited", tr.Group.Top().Func, p.Born, p.Exited)
			}
		}
	}
	if got := ds.hist.totals(ds.pos()+1, 24); len(got) != 3 {
		t.Errorf("the totals sparkline has %d points, want one a poll (3)", len(got))
	}
}

// TestHeaderPace: the header says the pace once (a full dump at every
// poll reads "every 2s", never "full dump every 2s  every 2s"), and while
// a full dump is brought forward to confirm a rising group, which group
// and when.
func TestHeaderPace(t *testing.T) {
	results := samples(dumps(t))[:2]
	results[0].sample.Cost = poll.Cost{Kind: poll.Full, Stall: 3 * time.Millisecond, Walks: 1}
	results[0].sample.Pace = poll.Pace{FullEvery: 2 * time.Second, Wait: 2 * time.Second, Share: 0.0019}
	every := 4 * time.Minute
	results[1].sample.Cost = poll.Cost{Kind: poll.Counts, Stall: 3 * time.Millisecond}
	results[1].sample.Pace = poll.Pace{FullEvery: every, Wait: 2 * time.Second, Share: 0.008, CountsEvery: 2 * time.Second,
		NextFull: results[1].sample.Meta.At.Add(40 * time.Second), Confirming: "main.(*MemQueue).scheduleFlush.func1"}
	snap := *results[1].sample.Snap
	snap.CountOnly = true
	results[1].sample.Snap = &snap
	h := newHarness(t, Config{Interval: 2 * time.Second, NoColor: true}, results...)
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
	h.poll()
	line := strings.Split(h.view(), "\n")[0]
	if strings.Count(line, "every 2s") != 1 || !strings.Contains(line, "stall 0.19%") || strings.Contains(line, "full dump every") {
		t.Errorf("a full dump at every poll: %q", line)
	}
	h.poll()
	line = strings.Split(h.view(), "\n")[0]
	for _, want := range []string{"confirming main.(*MemQueue).scheduleFlush.func1: full dump in 40s", "stall 0.80% · full dump every 4m", "polls every 2s"} {
		if !strings.Contains(line, want) {
			t.Errorf("confirming: the header lacks %q: %q", want, line)
		}
	}
}
