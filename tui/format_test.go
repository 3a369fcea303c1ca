package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestSparkline(t *testing.T) {
	for _, c := range []struct {
		values []int
		width  int
		want   string
	}{
		{[]int{8, 16, 24, 32}, 4, "▁▃▅█"},
		{[]int{8, 16, 24, 32}, 6, "  ▁▃▅█"},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3, "▁▂▄"},
		{[]int{100, 101, 100}, 3, "▁▁▁"},
		// A group that wobbles by a tenth of its size wobbles by a level.
		{[]int{19, 21, 20, 19, 21, 21, 19, 20}, 8, "▁▂▁▁▂▂▁▁"},
		// A leak's climb spans the scale, on a few goroutines or on
		// forty thousand, and so does a step leak's.
		{[]int{8, 16, 24, 32, 40, 48}, 6, "▁▂▃▅▆█"},
		{[]int{41000, 41018, 41035, 41054, 41071, 41090, 41108, 41125}, 8, "▁▂▂▄▄▆▇█"},
		{[]int{100, 100, 120, 120, 140, 140, 160, 160}, 8, "▁▁▃▃▅▅▇▇"},
		// A group that wobbles by a tenth of its size on a hundred
		// stays within two levels.
		{[]int{100, 108, 95, 104, 110, 97, 102, 91}, 8, "▁▂▁▂▂▁▂▁"},
		// A burst that drained, then a wobble: the wobble is flat.
		{[]int{22, 170, 22, 23, 22, 21}, 6, "▁█▁▁▁▁"},
		{[]int{5, 5, 5}, 3, "▁▁▁"},
		{nil, 2, "  "},
	} {
		if got := sparkline(c.values, c.width); got != c.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", c.values, c.width, got, c.want)
		}
	}
}

func TestFitAndCut(t *testing.T) {
	if got := fitLeft("queue.(*MemQueue).scheduleFlush.func1", 12); got != "…Flush.func1" {
		t.Errorf("fitLeft = %q", got)
	}
	if got := fitRight("41 212", 8); got != "  41 212" {
		t.Errorf("fitRight = %q", got)
	}
	s := "fetch http://localhost:6060/debug/pprof/goroutine?debug=2: dial tcp: connection refused"
	got := cutMiddle(s, 40)
	if ansi.StringWidth(got) != 40 || got[:10] != s[:10] || got[len(got)-18:] != "connection refused" {
		t.Errorf("cutMiddle = %q", got)
	}
}

// TestFilterEditor drives the bubbles textinput behind `/`: editing keys,
// the terminal's cursor, pastes stripped of control and bidi characters,
// the length limit.
func TestFilterEditor(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	h.poll()
	h.press("/")
	h.typeText("chan recv")
	h.press("left", "backspace")
	if v := h.m.filter.Value(); v != "chan rev" {
		t.Errorf("value = %q", v)
	}
	if c := h.m.View().Cursor; c == nil || c.X != len("/ chan re") || c.Y != 23 {
		t.Errorf("cursor at %+v", c)
	}
	h.send(tea.PasteMsg{Content: "\x1b[2Jx\u202ey\tz"})
	if v := h.m.filter.Value(); v != "chan re[2Jxy zv" {
		t.Errorf("paste: %q (control and bidi characters dropped)", v)
	}
	h.send(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl})
	if v := h.m.filter.Value(); v != "chan re[2Jxy v" {
		t.Errorf("ctrl+w: %q", v)
	}
	h.send(tea.PasteMsg{Content: strings.Repeat("x", 300)})
	if n := len(h.m.filter.Value()); n != 200 {
		t.Errorf("the filter holds %d characters, want the limit of 200", n)
	}
	if v := h.view(); strings.Contains(v, "\x1b") {
		t.Errorf("an escape reached the view: %q", v)
	}
}
