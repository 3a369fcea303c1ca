package tui

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestProgram drives the real program loop: polls on a timer, the table
// appears, keys open the detail and quit.
func TestProgram(t *testing.T) {
	fetch := &script{results: samples(dumps(t))}
	clk := &clock{now: t0.Add(time.Minute)}
	m := newModel(context.Background(), Config{Target: "localhost:6060", Fetch: fetch.fetch, Interval: 10 * time.Millisecond, Now: clk.Now})
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI)))
	// WaitFor drains what it reads: each wait looks at new output only.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("scheduleFlush")) && bytes.Contains(b, []byte("+24/min"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyPress("j"))
	tm.Send(keyPress("enter"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("where it blocks"))
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyPress("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !final.detail.open || final.detail.rowKey != final.table.rows[1].key {
		t.Error("the detail of the second row is not open")
	}
	if got := len(final.current().latest.Totals()); got != nDumps || !final.tabs[0].ended {
		t.Errorf("polled %d dumps (ended=%v), want all %d", got, final.tabs[0].ended, nDumps)
	}
	if final.fatal != nil {
		t.Error(final.fatal)
	}
}
