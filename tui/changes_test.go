package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/stackparse"
)

// fleetHarness is a UI whose targets come and go through Changes, as a
// Kubernetes target's pods do; it starts with none.
type fleetHarness struct {
	*harness
	changes chan Change
	scripts map[string]*script // by target ID
}

func newFleetHarness(t *testing.T) *fleetHarness {
	t.Helper()
	h := &fleetHarness{harness: &harness{t: t, clock: &clock{now: t0}}, changes: make(chan Change, 4), scripts: map[string]*script{}}
	h.m = newModel(context.Background(), Config{NoColor: true, Now: h.clock.Now, Changes: h.changes})
	h.send(windowSize(80, 24))
	return h
}

// change delivers a change as the program does: through the command that
// waits on the channel, which the UI arms again after each.
func (h *fleetHarness) change(c Change) tea.Cmd {
	h.t.Helper()
	h.changes <- c
	msg := waitChange(h.m.base, h.changes)()
	if _, ok := msg.(changeMsg); !ok {
		h.t.Fatalf("waiting on Changes gave %T", msg)
	}
	return h.send(msg)
}

// add adds a pod whose fetches play results; its first poll is armed.
func (h *fleetHarness) add(uid, name string, results []result) {
	h.t.Helper()
	s := &script{results: results}
	h.scripts[uid] = s
	cmd := h.change(Change{Add: &TargetConfig{ID: uid, Name: name, Target: "k8s:pod/" + name + " -n default", Fetch: s.fetch, Fleet: "k8s:deploy/api"}})
	if cmd == nil {
		h.t.Fatalf("adding %s armed nothing", name)
	}
}

// tabOf returns the tab of a target ID.
func (h *fleetHarness) tabOf(uid string) *tab {
	h.t.Helper()
	i := h.m.findTarget(uid)
	if i < 0 {
		h.t.Fatalf("no tab for %s", uid)
	}
	return h.m.tabs[i]
}

// pollPod runs one poll of a pod's tab, the clock at the sample's time.
func (h *fleetHarness) pollPod(uid string) {
	h.t.Helper()
	tb, s := h.tabOf(uid), h.scripts[uid]
	if r := s.calls; r < len(s.results) && !s.results[r].sample.Meta.At.IsZero() {
		h.clock.now = s.results[r].sample.Meta.At
	}
	cmd := h.send(pollMsg{tab: tb.id, gen: tb.gen})
	if cmd == nil {
		h.t.Fatalf("poll of %s started no fetch", tb.name)
	}
	h.send(first(cmd))
}

// healthyResults are the dumps of testdata/dumps without their leak.
func healthyResults(t testing.TB) []result {
	var healthy []*stackparse.Snapshot
	for _, s := range dumps(t) {
		healthy = append(healthy, withoutLeak(s))
	}
	return samples(healthy)
}

// TestFleetTabs follows pods that come and go: a tab each, added while
// the UI runs; a replaced pod's tab is marked gone and keeps its history
// (stepping through it works), its successor gets a tab with a clean
// history, the combined view counts the live pods only, and problems
// reach the header in one line.
func TestFleetTabs(t *testing.T) {
	h := newFleetHarness(t)
	if cmd := h.m.Init(); cmd == nil {
		t.Fatal("Init armed nothing")
	}
	if v := h.view(); !strings.HasPrefix(v, "[1 all]") || !strings.Contains(v, "waiting for targets…") || !strings.Contains(v, "all 0 targets") {
		t.Fatalf("before any pod:\n%s", v)
	}
	h.change(Change{Fleet: "k8s:deploy/api", Problem: "no pods for deploy/api in namespace prod: is it scaled to zero?"})
	if v := h.view(); !strings.Contains(v, "✗ k8s:deploy/api: no pods for deploy/api in namespace prod") || !strings.Contains(v, "no target yet: see the problem above") {
		t.Errorf("the fleet's problem is not in the header:\n%s", v)
	}

	h.add("uid-a", "api-a", healthyResults(t))
	h.add("uid-b", "api-b", append(samples(dumps(t)), samples(dumps(t)[5:])...))
	h.change(Change{Fleet: "k8s:deploy/api"})
	for range nDumps {
		h.pollPod("uid-a")
		h.pollPod("uid-b")
	}
	v := h.view()
	if !strings.HasPrefix(v, " 1 api-a   2 api-b !1  [3 all !1]") || strings.Contains(v, "✗") {
		t.Fatalf("two pods, the problem resolved:\n%s", v)
	}

	// A port-forward ends: its problem shows on the pod's tab, until a
	// poll through it succeeds again.
	h.change(Change{Target: "uid-b", Problem: "pod api-b: kubectl port-forward ended (signal: killed)"})
	h.press("2")
	if v := h.view(); !strings.Contains(v, "✗ pod api-b: kubectl port-forward ended (signal: killed)") || !strings.Contains(v, "2 api-b ✗") {
		t.Errorf("the pod's problem is not on its tab:\n%s", v)
	}
	h.pollPod("uid-b")
	if v := h.view(); strings.Contains(v, "✗") {
		t.Errorf("the problem stays after a poll succeeded:\n%s", v)
	}

	// A poll of api-b is in flight when a rollout replaces it: its result
	// is dropped, and the tab polls no more.
	b := h.tabOf("uid-b")
	fetch := h.send(pollMsg{tab: b.id, gen: b.gen})
	if fetch == nil {
		t.Fatal("no fetch of api-b")
	}
	polls := b.sets[stackparse.GroupCode].polls
	h.change(Change{Gone: "uid-b"})
	h.send(first(fetch))
	if got := b.sets[stackparse.GroupCode].polls; got != polls || b.fetching {
		t.Errorf("a fetch of a gone pod was filed: %d polls, was %d", got, polls)
	}
	if cmd := h.send(pollMsg{tab: b.id, gen: b.gen}); cmd != nil {
		t.Error("a gone pod is polled")
	}
	h.add("uid-c", "api-c", samples(dumps(t)))
	// The screen stays on api-b, now the last tab, marked gone, with its
	// history: the leak is still its first row.
	if h.m.tab() != b || h.m.active != 2 {
		t.Fatalf("the screen left api-b's tab: active %d", h.m.active)
	}
	v = h.view()
	for _, want := range []string{" 1 api-a   2 api-c  [3 api-b ○ !1]  4 all", "○ gone", "goroutines 57", leakFunc[strings.LastIndexByte(leakFunc, '.')+1:]} {
		if !strings.Contains(v, want) {
			t.Errorf("api-b's tab lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "every 2s") {
		t.Errorf("a gone pod's header says it is polled:\n%s", v)
	}
	h.press("left")
	if ds := b.sets[stackparse.GroupCode]; !ds.stepped() || !strings.Contains(h.view(), "from ") {
		t.Errorf("stepping back through a gone pod's history:\n%s", h.view())
	}
	h.press("p") // resume: api-b stays as it was

	// api-c's history starts clean.
	c := h.tabOf("uid-c")
	if ds := c.sets[stackparse.GroupCode]; ds != nil && ds.polls != 0 {
		t.Fatalf("api-c starts with %d polls", ds.polls)
	}
	h.pollPod("uid-c")
	if ds := c.sets[stackparse.GroupCode]; ds.polls != 1 || len(ds.hist.frames) != 1 || ds.latest.Polls() != 1 {
		t.Errorf("api-c after one poll: %d polls, %d frames, its tracker %d polls", ds.polls, len(ds.hist.frames), ds.latest.Polls())
	}

	// The combined view: the live pods, a column each.
	h.press("0")
	if !h.m.combined() {
		t.Fatalf("0 went to tab %d, not all", h.m.active)
	}
	h.send(windowSize(120, 30))
	v = h.view()
	for _, want := range []string{"all 2 targets (1 gone)", "TOTAL 1 api-a 2 api-c"} {
		if !strings.Contains(v, want) {
			t.Errorf("the combined view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "3 api-b ") && strings.Contains(v, "api-b:") {
		t.Errorf("the combined view counts the gone pod:\n%s", v)
	}
	for _, r := range h.m.table.rows {
		if len(r.per) != 2 {
			t.Fatalf("row %s has %d targets, want the 2 live ones", r.fn(), len(r.per))
		}
	}
}

// TestFleetTabsBounds: past nine pods, 0 reaches the combined tab and the
// tab bar shows a window around the tab on screen; past MaxGone gone
// pods, the one gone longest is dropped, and its tab with it.
func TestFleetTabsBounds(t *testing.T) {
	h := newFleetHarness(t)
	for i := range 12 {
		h.add(fmt.Sprintf("uid-%d", i), fmt.Sprintf("api-%02d", i), samples(dumps(t)))
	}
	h.press("9")
	if h.m.active != 8 || h.m.tab().name != "api-08" {
		t.Fatalf("9 went to tab %d", h.m.active)
	}
	bar := strings.Split(h.view(), "\n")[0]
	if !strings.HasPrefix(bar, "‹") || !strings.Contains(bar, "[9 api-08]") || len([]rune(bar)) > 80 {
		t.Errorf("the tab bar around tab 9 of 13:\n%s", bar)
	}
	// Clicking an item of the window goes to its tab.
	x := strings.Index(bar, "10 api-09")
	if x < 0 {
		t.Fatalf("no tab 10 in %q", bar)
	}
	h.send(tea.MouseClickMsg{X: len([]rune(bar[:x])), Y: 0, Button: tea.MouseLeft})
	if h.m.active != 9 {
		t.Errorf("a click on tab 10 went to %d", h.m.active)
	}
	h.press("0")
	if !h.m.combined() || !strings.Contains(strings.Split(h.view(), "\n")[0], "[13 all]") {
		t.Errorf("0 with 12 tabs:\n%s", h.view())
	}

	h.press("1")
	first := h.m.tab()
	for i := range 12 {
		h.change(Change{Gone: fmt.Sprintf("uid-%d", i)})
	}
	if n := len(h.m.tabs); n != MaxGone {
		t.Fatalf("%d tabs kept of 12 gone pods, want %d", n, MaxGone)
	}
	if h.m.findTarget("uid-0") >= 0 || h.m.findTarget("uid-1") >= 0 || h.m.findTarget("uid-11") != 0 {
		t.Errorf("the tabs kept are not those gone latest, latest first")
	}
	if !h.m.combined() || slicesContains(h.m.tabs, first) {
		t.Errorf("the screen stays on a dropped tab")
	}
	if !strings.Contains(h.m.notice, "gone longest, is dropped (at most 10 gone are kept)") {
		t.Errorf("notice %q: want the dropped tab named", h.m.notice)
	}
}

func slicesContains(tabs []*tab, t *tab) bool {
	for _, x := range tabs {
		if x == t {
			return true
		}
	}
	return false
}
