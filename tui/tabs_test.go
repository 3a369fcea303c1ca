package tui

import (
	"strings"
	"testing"

	"github.com/gorotop/gorotop/stackparse"
)

// withoutLeak is a snapshot of a healthy replica: the dump without its
// leaking group.
func withoutLeak(s *stackparse.Snapshot) *stackparse.Snapshot {
	out := *s
	out.Groups = nil
	for _, g := range s.Groups {
		if g.Top().Func == leakFunc {
			out.Total -= g.Count()
			continue
		}
		out.Groups = append(out.Groups, g)
	}
	return &out
}

// twoPods watches pod-a, healthy, and pod-b, which leaks: six polls each.
func twoPods(t testing.TB, cfg Config) *harness {
	t.Helper()
	var healthy []*stackparse.Snapshot
	for _, s := range dumps(t) {
		healthy = append(healthy, withoutLeak(s))
	}
	h := newMultiHarness(t, cfg, []string{"pod-a:6060", "pod-b:6061"}, samples(healthy), samples(dumps(t)))
	for range nDumps {
		h.pollTab(0)
		h.pollTab(1)
	}
	return h
}

func TestTabsSwitch(t *testing.T) {
	h := twoPods(t, Config{NoColor: true})
	if !h.m.combined() || !strings.HasPrefix(h.view(), " 1 pod-a:6060   2 pod-b:6061 !1  [3 all !1]") {
		t.Fatalf("several targets open on the combined view:\n%s", h.view())
	}
	h.press("1")
	if h.m.active != 0 || len(h.m.table.rows) != 4 || h.m.table.suspects != 0 {
		t.Errorf("tab 1: active %d, %d rows, %d suspects; want pod-a's 4 healthy groups", h.m.active, len(h.m.table.rows), h.m.table.suspects)
	}
	if v := h.view(); !strings.Contains(v, "[1 pod-a:6060]") || !strings.Contains(v, "http://pod-a:6060") {
		t.Errorf("tab 1 is not marked or not in the header:\n%s", v)
	}
	h.press("tab")
	if h.m.active != 1 || h.m.table.rows[0].fn() != leakFunc || !h.m.table.rows[0].suspect {
		t.Errorf("tab: active %d, first row %s", h.m.active, h.m.table.rows[0].fn())
	}
	h.press("j", "j")
	key := h.m.table.selected().key
	h.press("tab")
	if !h.m.combined() {
		t.Errorf("tab from the last target: active %d, want the combined view", h.m.active)
	}
	h.press("tab")
	if h.m.active != 0 {
		t.Errorf("tab wraps around to %d", h.m.active)
	}
	h.press("shift+tab", "shift+tab")
	if h.m.active != 1 || h.m.table.selected().key != key {
		t.Errorf("back on pod-b: active %d, the cursor did not stay on its group", h.m.active)
	}
	h.press("9")
	if h.m.active != 1 {
		t.Errorf("9 with three tabs moved to %d", h.m.active)
	}
	h.press("enter", "3")
	if h.m.detail.open || !h.m.combined() {
		t.Error("switching tabs does not close the detail")
	}
}

func TestTabErrorIsolation(t *testing.T) {
	var failing []result
	for range 3 {
		failing = append(failing, result{err: errRefused})
	}
	h := newMultiHarness(t, Config{NoColor: true}, []string{"pod-a:6060", "pod-b:6061"}, failing, samples(dumps(t)))
	for range 3 {
		h.pollTab(0)
		h.pollTab(1)
	}
	a, b := h.m.tabs[0], h.m.tabs[1]
	if a.failures != 3 || b.lastErr != "" || b.sets[stackparse.GroupCode].polls != 3 {
		t.Fatalf("a: %d failures; b: error %q, %d polls", a.failures, b.lastErr, b.sets[stackparse.GroupCode].polls)
	}
	// b goes on at its interval; a retries with backoff.
	if cmd := h.send(pollMsg{tab: 1, gen: b.gen}); cmd == nil || !b.fetching || a.fetching {
		t.Error("b does not poll on while a fails")
	}
	v := h.view()
	for _, want := range []string{"1 pod-a:6060 ✗", "✗ 1 of 2 failing", "✗ pod-a:6060: fetch", "goroutines 33"} {
		if !strings.Contains(v, want) {
			t.Errorf("combined view lacks %q:\n%s", want, v)
		}
	}
	h.press("2")
	if v := h.view(); strings.Contains(v, "✗ error") || !strings.Contains(v, "● live") {
		t.Errorf("pod-b's tab shows pod-a's error:\n%s", v)
	}
	h.press("1")
	if v := h.view(); !strings.Contains(v, "(3 failures in a row)") || !strings.Contains(v, "no dump yet") {
		t.Errorf("pod-a's tab:\n%s", v)
	}
}

func TestCombinedCounts(t *testing.T) {
	h := twoPods(t, Config{NoColor: true})
	h.send(windowSize(120, 30))
	rows := h.m.table.rows
	if len(rows) != 5 {
		t.Fatalf("combined rows: %v", rowFuncs(h.m))
	}
	leak := rows[0]
	if leak.fn() != leakFunc || !leak.suspect || leak.per[0] != nil || leak.per[1] == nil || leak.per[1].count != 48 || leak.count != 48 || leak.tab != 1 {
		t.Fatalf("first row %s: suspect %v, per %v", leak.fn(), leak.suspect, leak.per)
	}
	for _, r := range rows[1:] {
		if r.suspect || r.per[0] == nil || r.per[1] == nil || r.count != r.per[0].count+r.per[1].count {
			t.Errorf("row %s: suspect %v, total %d of %v", r.fn(), r.suspect, r.count, r.per)
		}
	}
	v := h.view()
	for _, want := range []string{
		"TOTAL 1 pod-a:6060 2 pod-b:6061", "48            -          !48", "↳ pod-b:6061: +24/min", "! 1 suspect",
		"goroutines 66", "(pod-a:6060 9 · pod-b:6061 57)", "← main.(*MemQueue).scheduleFlush · pod-b:6061 48",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("combined view lacks %q:\n%s", want, v)
		}
	}
	// Enter opens the detail on the tab of the target that suspects it.
	h.press("enter")
	if h.m.active != 1 || !h.m.detail.open || h.m.detail.rowKey != leak.key {
		t.Errorf("enter on the combined leak: tab %d, detail %v of %s", h.m.active, h.m.detail.open, h.m.detail.rowKey)
	}
}

// TestWideLayout shows born, exited, oldest and whole function names from
// 180 columns on, and keeps the main columns at 60.
func TestWideLayout(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, result{sample: smp(syntheticSnapshot(20), t0)})
	h.poll()
	h.send(windowSize(200, 30))
	v := h.view()
	for _, want := range []string{"BORN", "EXITED", "OLDEST", "example.com/svc/pkg0.(*Server0).handle0.func1"} {
		if !strings.Contains(v, want) {
			t.Errorf("200 columns lack %q:\n%s", want, v)
		}
	}
	h.send(windowSize(160, 30))
	if v := h.view(); strings.Contains(v, "OLDEST") || strings.Contains(strings.Split(v, "\n")[3], "example.com/") {
		t.Errorf("160 columns show the wide columns:\n%s", v)
	}
	h.send(windowSize(60, 30))
	if v := h.view(); !strings.Contains(v, "COUNT") || !strings.Contains(v, "/MIN") || !strings.Contains(v, "handle0.func1") {
		t.Errorf("60 columns:\n%s", v)
	}
}
