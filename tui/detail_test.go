package tui

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// TestDetailLabelsOnScreen opens the detail of a group with many label
// keys: the keys below the screen are not counted (each costs a walk of
// every goroutine of the group) until scrolled to; then they are, and the
// key press that brought them counted them.
func TestDetailLabelsOnScreen(t *testing.T) {
	snap := hugeGroup(2000, 40, 30)
	h := newHarness(t, Config{}, result{sample: smp(snap, t0)})
	h.polls(1)
	h.press("home", "enter")
	top := h.view()
	if !strings.Contains(top, "where it blocks") || strings.Contains(top, "key00") {
		t.Fatalf("the detail's first screen:\n%s", top)
	}
	if len(h.m.detail.pending) == 0 || h.m.detail.labels == nil || len(h.m.detail.labels.values) != 0 {
		t.Fatalf("label keys counted before they were on screen: %d pending, %+v", len(h.m.detail.pending), h.m.detail.labels)
	}
	h.press("end")
	bottom := h.view()
	if strings.Contains(bottom, "key19: …") || !strings.Contains(bottom, "key19=value") || !strings.Contains(bottom, "… 10 more label keys") {
		t.Fatalf("the label keys at the end are not counted:\n%s", bottom)
	}
	counted := len(h.m.detail.labels.values)
	if counted == 0 || counted == 20 {
		t.Fatalf("%d of 20 label keys counted, want those on screen", counted)
	}
	for range 200 {
		h.press("up")
	}
	if h.view(); len(h.m.detail.labels.values) != 20 || !strings.Contains(h.m.detail.vp.GetContent(), "key00=value") {
		t.Fatalf("scrolled over every key: %d counted", len(h.m.detail.labels.values))
	}
}

// TestLowestIDs picks the lowest goroutine IDs of a group as sorting them
// all would.
func TestLowestIDs(t *testing.T) {
	for _, n := range []int{0, 5, 64, 65, 1000} {
		g := &stackparse.Group{}
		for range n {
			g.Goroutines = append(g.Goroutines, stackparse.Goroutine{ID: rand.Int64N(500)})
		}
		want := g.IDs()
		want = want[:min(len(want), detailIDs)]
		if got := lowestIDs(g, detailIDs); !slices.Equal(got, want) {
			t.Fatalf("%d goroutines: %v, want %v", n, got, want)
		}
	}
}

// TestDetailNotSuspected: the detail of a group that gained forty
// goroutines at once, which stay, says why it is not suspected.
func TestDetailNotSuspected(t *testing.T) {
	var results []result
	for i := range 6 {
		n := 5
		if i >= 2 {
			n = 45
		}
		g := &stackparse.Group{Key: "step", State: "select", Frames: []stackparse.Frame{{Func: "main.stream", File: "/src/stream.go", Line: 9}}}
		for id := range n {
			g.Goroutines = append(g.Goroutines, stackparse.Goroutine{ID: int64(100 + id), State: g.State})
		}
		snap := &stackparse.Snapshot{Groups: []*stackparse.Group{g}, Total: n}
		results = append(results, result{sample: smp(snap, t0.Add(time.Duration(i)*20*time.Second))})
	}
	h := newHarness(t, Config{}, results...)
	h.polls(6)
	h.press("home", "enter")
	want := "not suspected: those that stayed arrived within 0s: a step or a burst, until arrivals span 40s"
	if v := h.view(); !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
		t.Fatalf("the detail does not say %q:\n%s", want, v)
	}
}
