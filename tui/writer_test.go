package tui

import (
	"strings"
	"testing"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/testproc"
)

// TestOwnRequestIsNotWaiting polls a real process over loopback: the
// goroutine that serves the poll's own request (net/http/pprof's handler
// writing the dump) shows as "(this dump)", in the table and its detail,
// and nothing says it blocks or waits.
func TestOwnRequestIsNotWaiting(t *testing.T) {
	addr := testproc.StartLeaky(t, "-mode", "pool")
	l := openLoop(t, addr, poll.Options{Interval: 1, FullOnly: true})
	h := newHarness(t, Config{NoColor: true, Fetch: l.Next})
	h.polls(2)

	var own *row
	for _, r := range h.m.table.rows {
		if r.fn() == "net/http/pprof.handler.ServeHTTP" {
			own = r
		}
	}
	if own == nil {
		t.Fatalf("no row for net/http/pprof's handler:\n%s", h.view())
	}
	if own.state() != "(this dump)" || own.mark() != " " {
		t.Errorf("the poll's own request: state %q, mark %q; want (this dump), no mark", own.state(), own.mark())
	}
	if v := h.view(); !strings.Contains(v, " (this dump) ") {
		t.Errorf("the table does not show the poll's own request as such:\n%s", v)
	}
	h.press("/")
	h.typeText("this dump")
	h.press("enter", "enter")
	v := h.view()
	for _, bad := range []string{"blocked", "where it blocks", "Waiting for", "▶"} {
		if strings.Contains(v, bad) {
			t.Errorf("the detail of the poll's own request says %q:\n%s", bad, v)
		}
	}
	if !strings.Contains(v, "writing this dump for the request that fetched it") {
		t.Errorf("the detail does not say what the goroutine does:\n%s", v)
	}
}
