package tui

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSortedTitleWhole: the sorted column's title keeps its mark and its
// label whole at 80 columns, in every sort mode and in the combined view.
func TestSortedTitleWhole(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	h.polls(nDumps)
	for _, want := range []string{"COUNT▼", "/MIN▼", "WAIT▼", "FUNCTION▲"} {
		h.press("s")
		title := strings.Split(h.view(), "\n")[2]
		if !strings.Contains(title, want) {
			t.Errorf("sort %s: titles %q, want %q in them", h.m.table.sort, title, want)
		}
	}
	p := twoPods(t, Config{NoColor: true})
	p.press("s")
	if title := strings.Split(p.view(), "\n")[3]; !strings.Contains(title, "TOTAL▼") {
		t.Errorf("combined view sorted by count: titles %q, want TOTAL▼", title)
	}
}

// TestStatesWhole: at 80 columns, the table shows every state of a real
// SIGQUIT dump (GOTRACEBACK=system: the runtime's own goroutines too)
// whole, or in a short form that still says what the runtime printed;
// none is cut.
func TestStatesWhole(t *testing.T) {
	snap := parseFile(t, filepath.Join("..", "testdata", "dumps", "sigquit-system.txt"))
	h := newHarness(t, Config{NoColor: true}, samples(append(dumps(t)[:0:0], snap))...)
	h.poll()
	h.send(windowSize(80, 200))
	// Each state, and the short forms that may stand for it.
	forms := map[string][]string{
		"select (no cases)":       {"select {}"},
		"sync.Mutex.Lock":         {"Mutex.Lock"},
		"sync.RWMutex.Lock":       {"RWMutex.Lock"},
		"sync.RWMutex.RLock":      {"RWMutex.RLock"},
		"sync.WaitGroup.Wait":     {"WaitGroup.Wait"},
		"sync.Cond.Wait":          {"Cond.Wait"},
		"chan receive (nil chan)": {"chan recv (nil)", "recv (nil)"},
		"chan receive":            nil,
		"GC scavenge wait":        nil,
		"GC worker (idle)":        nil,
		"finalizer wait":          nil,
	}
	cols, w := h.m.table.columns(80)
	state := -1
	for i, c := range cols {
		if c.id == colState {
			state = i
		}
	}
	if state < 0 || w[state] == 0 {
		t.Fatalf("no STATE column at 80 columns: %v", w)
	}
	seen := map[string]bool{}
	for _, r := range h.m.table.rows {
		cell := strings.TrimRight(r.cells(cols, w, false)[state], " ")
		short, ok := forms[r.state()]
		if !ok {
			continue
		}
		seen[r.state()] = true
		if cell != r.state() && !slices.Contains(short, cell) {
			t.Errorf("state %q shows as %q in %d cells, want it whole or one of %q", r.state(), cell, w[state], short)
		}
	}
	for s := range forms {
		if !seen[s] {
			t.Errorf("no group in state %q in the dump", s)
		}
	}
	if v := h.view(); !strings.Contains(v, " select {} ") || strings.Contains(v, "select (no case…") {
		t.Errorf("select (no cases) is not shown whole:\n%s", v)
	}
}

func TestStateCell(t *testing.T) {
	for _, c := range []struct {
		state string
		width int
		want  string
	}{
		{"select (no cases)", 17, "select (no cases)"},
		{"select (no cases)", 12, "select {}   "},
		{"sync.WaitGroup.Wait", 16, "WaitGroup.Wait  "},
		{"chan receive (leaked)", 21, "chan receive (leaked)"},
		{"chan receive (leaked)", 18, "chan recv (leaked)"},
		{"chan receive (leaked)", 13, "recv (leaked)"},
		{"chan send (nil chan)", 12, "send (nil)  "},
		{"GOMAXPROCS updater (idle)", 16, "GOMAXPROCS upda…"},
	} {
		if got := stateCell(c.state, c.width); got != c.want {
			t.Errorf("stateCell(%q, %d) = %q, want %q", c.state, c.width, got, c.want)
		}
	}
}
