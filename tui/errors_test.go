package tui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorotop/gorotop/internal/poll"
)

// TestErrorReadsWhole: at 80 columns the header shows a fetch's error
// whole, wrapped over at most three lines, without the target's URL the
// header names already: here a real 404 from a server without
// net/http/pprof, whose hint (what to try) comes last.
func TestErrorReadsWhole(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	l := openLoop(t, srv.URL, poll.Options{Interval: 1})
	src := l.Source()
	h := newHarness(t, Config{NoColor: true, Target: src.String(), Fetch: l.Next})
	h.poll()
	full := h.m.tabs[0].lastErr
	msg := strings.TrimPrefix(full, src.String()+": ")
	if msg == full || !strings.Contains(msg, "or give the URL where the service mounts it") {
		t.Fatalf("the error is not the 404 of the target: %q", full)
	}
	lines := strings.Split(h.view(), "\n")
	var shown []string
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "   COUNT") || strings.HasPrefix(l, "no ") || l == "" {
			break
		}
		shown = append(shown, strings.TrimRight(l, " "))
	}
	if len(shown) < 2 || len(shown) > 3 {
		t.Fatalf("the error takes %d lines, want 2 or 3:\n%s", len(shown), h.view())
	}
	if got := strings.Join(shown, " "); got != "✗ "+msg {
		t.Errorf("the header shows the error as\n%s\nwant the whole of\n✗ %s", strings.Join(shown, "\n"), msg)
	}
}

func TestErrorLines(t *testing.T) {
	long := "✗ " + strings.Repeat("word ", 60) + "and what to try at the end"
	lines := errorLines(long, 80)
	if len(lines) != 3 || !strings.HasSuffix(lines[2], "and what to try at the end") || !strings.Contains(lines[2], "…") {
		t.Errorf("a message too long for three lines keeps its start and end: %q", lines)
	}
	for _, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
	if got := errorLines("✗ short", 80); len(got) != 1 || got[0] != "✗ short" {
		t.Errorf("short message: %q", got)
	}
}
