package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// leakFunc names the leaking group of testdata/leaky.
const leakFunc = "main.(*MemQueue).scheduleFlush.func1"

// nDumps is the number of dumps in testdata/dumps.
const nDumps = 6

func rowFuncs(m Model) []string {
	var out []string
	for _, r := range m.table.rows {
		out = append(out, r.fn())
	}
	return out
}

func TestSuspectOnTopAndAlone(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(nDumps)
	rows := h.m.table.rows
	if len(rows) != 5 {
		t.Fatalf("rows = %v, want 5 groups", rowFuncs(h.m))
	}
	if rows[0].fn() != leakFunc || !rows[0].suspect || rows[0].count != 48 {
		t.Errorf("first row = %s suspect=%v count=%d, want the leak with 48", rows[0].fn(), rows[0].suspect, rows[0].count)
	}
	for _, r := range rows[1:] {
		if r.suspect {
			t.Errorf("healthy group %s is flagged: %s", r.fn(), r.reason)
		}
	}
	view := h.view()
	for _, want := range []string{"! 1 suspect", "+24/min (+40 in 1m), 0 exited", "goroutines 57"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

func TestMoveAndKeepSelectionAcrossPolls(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(2)
	h.press("j")
	if h.m.table.cursor != 1 {
		t.Fatalf("cursor = %d after j", h.m.table.cursor)
	}
	key := h.m.table.selected().key
	h.press("s") // by count: the order changes, the selection stays
	h.polls(2)
	if got := h.m.table.selected().key; got != key {
		t.Errorf("selection moved to %s", h.m.table.selected().fn())
	}
	h.press("end")
	if h.m.table.cursor != len(h.m.table.rows)-1 {
		t.Errorf("end: cursor = %d", h.m.table.cursor)
	}
	h.press("down")
	if h.m.table.cursor != len(h.m.table.rows)-1 {
		t.Errorf("down past the end: cursor = %d", h.m.table.cursor)
	}
	h.press("home", "up", "k")
	if h.m.table.cursor != 0 {
		t.Errorf("home: cursor = %d", h.m.table.cursor)
	}
	h.press("pgdown")
	if h.m.table.cursor != len(h.m.table.rows)-1 {
		t.Errorf("pgdown on a short table: cursor = %d", h.m.table.cursor)
	}
	h.press("pgup")
	if h.m.table.cursor != 0 {
		t.Errorf("pgup: cursor = %d", h.m.table.cursor)
	}
}

func TestSortCycle(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(nDumps)
	want := []sortMode{sortCount, sortGrowth, sortWait, sortName, sortSuspicion}
	for _, w := range want {
		h.press("s")
		if h.m.table.sort != w {
			t.Fatalf("sort = %s, want %s", h.m.table.sort, w)
		}
		if w == sortName {
			fns := rowFuncs(h.m)
			for i := 1; i < len(fns); i++ {
				if stackparse.ShortFunc(fns[i-1]) > stackparse.ShortFunc(fns[i]) {
					t.Errorf("name sort out of order: %v", fns)
				}
			}
			if !strings.Contains(h.view(), "FUNCTION▲") {
				t.Error("the sorted column is not marked")
			}
		}
		if w == sortCount && h.m.table.rows[0].count != 48 {
			t.Errorf("count sort: first row has %d", h.m.table.rows[0].count)
		}
	}
}

func TestFilter(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(nDumps)
	h.press("/")
	if !h.m.filtering {
		t.Fatal("/ did not open the filter")
	}
	h.typeText("WORKER q")
	if len(h.m.table.rows) != 0 {
		t.Errorf("worker q matched %v", rowFuncs(h.m))
	}
	h.press("backspace", "backspace")
	if h.m.filter.Value() != "WORKER" || len(h.m.table.rows) != 1 || h.m.table.rows[0].fn() != "main.worker" {
		t.Fatalf("filter %q: rows %v (q must type, not quit)", h.m.filter.Value(), rowFuncs(h.m))
	}
	h.press("enter")
	if h.m.filtering || h.m.table.filter != "WORKER" {
		t.Fatalf("enter: filtering=%v filter=%q", h.m.filtering, h.m.table.filter)
	}
	if v := h.view(); !strings.Contains(v, `filter "WORKER"`) || !strings.Contains(v, "1 of 5 groups") {
		t.Errorf("header does not show the filter:\n%s", v)
	}
	h.poll()
	if len(h.m.table.rows) != 1 {
		t.Errorf("the filter did not survive a poll: %v", rowFuncs(h.m))
	}
	h.press("esc")
	if h.m.table.filter != "" || len(h.m.table.rows) != 5 {
		t.Errorf("esc did not clear the filter: %q %v", h.m.table.filter, rowFuncs(h.m))
	}
	// By state, file and package; terms AND together.
	for filter, want := range map[string]int{"running": 1, "main.go:56": 1, "chan receive": 4, "main signal": 1, "nothing": 0} {
		h.press("/")
		h.typeText(filter)
		if got := len(h.m.table.rows); got != want {
			t.Errorf("filter %q: %d rows, want %d", filter, got, want)
		}
		h.press("esc")
	}
}

func TestPauseDropsStaleResults(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(2)
	// A fetch is in flight when the user pauses.
	h.clock.now = t0.Add(40 * time.Second)
	fetch := h.send(h.pollMsg())
	h.press("p")
	if !h.m.paused || h.m.tabs[0].fetching {
		t.Fatalf("paused=%v fetching=%v", h.m.paused, h.m.tabs[0].fetching)
	}
	if cmd := h.send(first(fetch)); cmd != nil {
		t.Error("a stale result armed a poll")
	}
	if n := len(h.m.current().latest.Totals()); n != 2 {
		t.Errorf("the stale result was observed: %d polls", n)
	}
	if cmd := h.send(h.pollMsg()); cmd != nil {
		t.Error("paused, a poll started a fetch")
	}
	if !strings.Contains(h.view(), "‖ paused") {
		t.Error("header does not say paused")
	}
	// The UI stays usable.
	h.press("j", "enter")
	if !h.m.detail.open {
		t.Error("enter does not open the detail while paused")
	}
	h.press("esc", "space")
	if h.m.paused {
		t.Fatal("space did not resume")
	}
	h.fetch.calls = 2
	h.poll()
	if n := len(h.m.current().latest.Totals()); n != 3 {
		t.Errorf("after resume: %d polls, want 3", n)
	}
}

func TestFetchErrorKeepsHistoryAndBacksOff(t *testing.T) {
	results := samples(dumps(t))[:2]
	for range 7 {
		results = append(results, result{err: errRefused})
	}
	results = append(results, samples(dumps(t))[2])
	h := newHarness(t, Config{}, results...)
	h.polls(2)
	var backoffs []time.Duration
	for range 7 {
		h.poll()
		backoffs = append(backoffs, h.m.tabs[0].retryAt.Sub(h.m.now))
	}
	// The delays double up to 30 s, each shortened at random by up to a
	// fifth (source.DefaultBackoff), so that many gorotops do not retry
	// in step.
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	jittered := 0
	for i := range want {
		w := want[i] * time.Second
		if backoffs[i] > w || backoffs[i] < w*8/10 {
			t.Errorf("backoffs = %v, want within a fifth below %v seconds", backoffs, want)
			break
		}
		if backoffs[i] < w {
			jittered++
		}
	}
	if jittered == 0 {
		t.Errorf("backoffs = %v: no jitter", backoffs)
	}
	view := h.view()
	for _, s := range []string{"✗ error", "connection refused", "retrying in " + human.Seconds(backoffs[6]), "7 failures in a row"} {
		if !strings.Contains(view, s) {
			t.Errorf("header lacks %q:\n%s", s, view)
		}
	}
	if len(h.m.table.rows) != 5 || len(h.m.current().latest.Totals()) != 2 {
		t.Errorf("data lost after errors: %d rows, %d polls", len(h.m.table.rows), len(h.m.current().latest.Totals()))
	}
	h.clock.now = h.m.tabs[0].retryAt.Add(-2500 * time.Millisecond)
	h.send(clockMsg{})
	if !strings.Contains(h.view(), "retrying in 3 s") {
		t.Error("the countdown does not follow the clock")
	}
	h.clock.now = t0.Add(40 * time.Second)
	h.poll()
	if h.m.tabs[0].lastErr != "" || h.m.tabs[0].failures != 0 || len(h.m.current().latest.Totals()) != 3 {
		t.Errorf("a success did not clear the error: %q %d", h.m.tabs[0].lastErr, h.m.tabs[0].failures)
	}
}

func TestFetchPanicIsAnError(t *testing.T) {
	h := newHarness(t, Config{Fetch: func(context.Context) (poll.Sample, error) { panic("parser bug") }})
	h.send(first(h.send(h.pollMsg())))
	if !strings.Contains(h.m.tabs[0].lastErr, "parser bug") || h.m.tabs[0].failures != 1 {
		t.Errorf("lastErr = %q", h.m.tabs[0].lastErr)
	}
}

func TestReplayEnds(t *testing.T) {
	h := newHarness(t, Config{Replay: true}, samples(dumps(t))[:1]...)
	h.poll()
	if !strings.Contains(h.view(), "▶ replay") {
		t.Error("header does not say replay")
	}
	h.send(first(h.send(h.pollMsg())))
	if !h.m.tabs[0].ended {
		t.Fatal("io.EOF did not end the replay")
	}
	if !strings.Contains(h.view(), "■ replay ended") || len(h.m.table.rows) != 5 {
		t.Error("replay ended: header or rows wrong")
	}
	h.press("p")
	if h.m.paused || !strings.Contains(h.m.notice, "replay ended") {
		t.Errorf("p after the end: paused=%v notice=%q", h.m.paused, h.m.notice)
	}
}

func TestDetail(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(nDumps)
	h.press("enter")
	if !h.m.detail.open || h.m.detail.rowKey != h.m.table.rows[0].key {
		t.Fatal("enter did not open the selected group")
	}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 80})
	view := h.view()
	for _, want := range []string{
		"▶ " + leakFunc, "main.go:38", "Created by", "main.(*MemQueue).scheduleFlush",
		"Waiting for", "History", "8 → 48", "+8", "Goroutine IDs (all 48)", "spawned by one live parent",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("detail lacks %q:\n%s", want, view)
		}
	}
	h.poll() // replays nothing more: EOF; the detail stays
	h.press("down", "pgdown", "end", "home", "esc")
	if h.m.detail.open {
		t.Error("esc did not close the detail")
	}
	// Labels of the worker pool.
	h.press("/")
	h.typeText("worker")
	h.press("enter", "enter")
	if v := h.view(); !strings.Contains(v, "pool=workers") || strings.Contains(v, "+4  pool=workers") {
		t.Errorf("detail lacks the pprof labels, or counts the pool as joined lately:\n%s", v)
	}
	// The request handlers come and go: each route's one joined lately.
	h.press("esc", "/", "ctrl+u")
	h.typeText("main.handle")
	h.press("enter", "enter")
	if v := h.view(); !strings.Contains(v, "pprof labels (goroutines; joined in the last 5m)") || !strings.Contains(v, "1       +1  route=/api/orders") {
		t.Errorf("detail lacks the labels pivot with newcomers:\n%s", v)
	}
}

func TestHelpOverlay(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.poll()
	h.press("?")
	if !h.m.showHelp || !strings.Contains(h.view(), "suspected leak") {
		t.Fatal("? does not show the help")
	}
	h.press("j")
	if h.m.table.cursor != 0 || !h.m.showHelp {
		t.Error("keys leak through the help overlay")
	}
	h.press("?")
	if h.m.showHelp {
		t.Error("? does not close the help")
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		h := newHarness(t, Config{}, samples(dumps(t))...)
		h.poll()
		cmd := h.press(k)
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s does not quit", k)
		}
	}
}

func TestExport(t *testing.T) {
	var gotDir string
	var gotSnap *stackparse.Snapshot
	var gotView *track.View
	export := func(dir string, snap *stackparse.Snapshot, v *track.View, at time.Time) (string, error) {
		gotDir, gotSnap, gotView = dir, snap, v
		return dir + "/gorotop-20261125-190100.json", nil
	}
	h := newHarness(t, Config{Export: export, ExportDir: "/tmp/out"}, samples(dumps(t))...)
	h.polls(3)
	snap3, view3 := h.m.current().snap, h.m.current().latest
	cmd := h.press("e")
	if cmd == nil || !h.m.tabs[0].exporting {
		t.Fatal("e started no export")
	}
	// A sample comes in while the export runs: it is filed, and the
	// export still writes what was on screen when e was pressed.
	h.poll()
	if n := len(h.m.current().latest.Totals()); n != 4 {
		t.Fatalf("a sample that came during the export was not filed: %d polls", n)
	}
	h.send(cmd())
	if gotDir != "/tmp/out" || gotSnap != snap3 || gotView != view3 || len(gotView.Totals()) != 3 {
		t.Errorf("exporter got dir=%q, the right snapshot: %v, the right view: %v", gotDir, gotSnap == snap3, gotView == view3)
	}
	if !strings.Contains(h.m.notice, "exported to /tmp/out/gorotop-20261125-190100.json") {
		t.Errorf("notice = %q", h.m.notice)
	}
	if !strings.Contains(h.view(), "exported to") {
		t.Error("the notice is not on screen")
	}
	h.clock.now = h.clock.now.Add(noticeFor)
	h.send(clockMsg{})
	if h.m.notice != "" {
		t.Error("the notice does not expire")
	}
}

func TestExportFailsAndUnavailable(t *testing.T) {
	fail := func(string, *stackparse.Snapshot, *track.View, time.Time) (string, error) {
		return "", errors.New("open /ro/x.json: read-only file system")
	}
	h := newHarness(t, Config{Export: fail}, samples(dumps(t))...)
	h.press("e")
	if !strings.Contains(h.m.notice, "nothing to export") {
		t.Errorf("before data: notice = %q", h.m.notice)
	}
	h.poll()
	h.send(h.press("e")())
	if !h.m.noticeErr || !strings.Contains(h.m.notice, "export failed: open /ro/x.json: read-only") {
		t.Errorf("notice = %q", h.m.notice)
	}
	h = newHarness(t, Config{}, samples(dumps(t))...)
	h.poll()
	if cmd := h.press("e"); cmd != nil || !strings.Contains(h.m.notice, "not available") {
		t.Errorf("without an exporter: notice = %q", h.m.notice)
	}
}

func TestCreatorViewWithoutRegroup(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	h.polls(nDumps)
	h.press("g")
	if !h.m.creator || !strings.Contains(h.m.notice, "--group") {
		t.Fatalf("g: creator=%v notice=%q", h.m.creator, h.m.notice)
	}
	var fns []string
	for _, r := range h.m.table.rows {
		fns = append(fns, stackparse.ShortFunc(r.fn()))
	}
	want := "main.(*MemQueue).scheduleFlush"
	if len(fns) != 5 || fns[0] != want || !h.m.table.rows[0].suspect {
		t.Errorf("creator rows = %v, want %s first and suspect", fns, want)
	}
	if !strings.Contains(h.view(), "5 creators") {
		t.Error("the header does not name the creator view")
	}
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "Groups started here") {
		t.Errorf("creator detail:\n%s", v)
	}
	h.press("esc", "g")
	if h.m.creator {
		t.Error("g did not toggle back")
	}
}

// TestRegroupCycle: g cycles the groupings the samples carry, at once
// and without a fetch, each with its whole history and its verdicts: the
// leak suspected under code is suspected under exact and pointer too, and
// going back to code finds its history whole.
func TestRegroupCycle(t *testing.T) {
	h := newHarness(t, Config{Groupings: stackparse.Groupings}, groupedSamples(t)...)
	h.polls(nDumps)
	suspects := func() int {
		n := 0
		for _, r := range h.m.table.rows {
			if r.suspect {
				n++
			}
		}
		return n
	}
	if suspects() != 1 {
		t.Fatalf("code: %d suspects, want 1", suspects())
	}
	for _, want := range []stackparse.Grouping{stackparse.GroupExact, stackparse.GroupPointer} {
		if cmd := h.press("g"); h.m.grouping != want || h.m.creator || cmd != nil {
			t.Fatalf("g: grouping %s, creator %v, a command %v; want %s at once", h.m.grouping, h.m.creator, cmd != nil, want)
		}
		ds := h.m.tabs[0].sets[want]
		if ds.polls != nDumps || len(ds.latest.Totals()) != nDumps || len(h.m.table.rows) == 0 {
			t.Errorf("%s: %d polls, %d in the tracker, %d rows; want the whole history", want, ds.polls, len(ds.latest.Totals()), len(h.m.table.rows))
		}
		if suspects() != 1 {
			t.Errorf("%s: %d suspects, want the leak still suspected", want, suspects())
		}
	}
	h.press("g")
	if !h.m.creator || h.m.grouping != stackparse.GroupPointer {
		t.Errorf("after pointer: creator=%v grouping=%s", h.m.creator, h.m.grouping)
	}
	h.press("g")
	if h.m.creator || h.m.grouping != stackparse.GroupCode {
		t.Errorf("after creator: creator=%v grouping=%s", h.m.creator, h.m.grouping)
	}
	if suspects() != 1 || h.m.tabs[0].sets[stackparse.GroupCode].polls != nDumps {
		t.Error("going back to code lost its history or its verdict")
	}
}

func TestResizeFitsEverySize(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	h.polls(nDumps)
	h.press("j")
	check := func(what string) {
		for _, sz := range [][2]int{{20, 5}, {40, 10}, {60, 20}, {80, 24}, {100, 30}, {132, 43}, {160, 48}, {250, 60}} {
			h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			lines := strings.Split(h.view(), "\n")
			if len(lines) != sz[1] {
				t.Errorf("%s %dx%d: %d lines", what, sz[0], sz[1], len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > sz[0] {
					t.Errorf("%s %dx%d: line %d is %d wide: %q", what, sz[0], sz[1], i, w, l)
				}
			}
		}
	}
	check("table")
	h.press("enter")
	check("detail")
	h.press("?")
	check("help")
	h.press("esc", "esc", "/")
	h.typeText("main")
	check("filter")
	h.send(tea.WindowSizeMsg{Width: 60, Height: 24})
	if v := h.view(); !strings.Contains(v, "COUNT") || !strings.Contains(v, "FUNCTION") || !strings.Contains(v, "/MIN") {
		t.Errorf("60 columns lose the main columns:\n%s", v)
	}
	h.send(tea.WindowSizeMsg{Width: 10, Height: 3})
	if v := h.view(); !strings.HasPrefix(v, "terminal") || strings.Contains(v, "\n") {
		t.Errorf("tiny terminal: %q", v)
	}
}

func TestScrollKeepsCursorOnScreen(t *testing.T) {
	snap := syntheticSnapshot(500)
	h := newHarness(t, Config{NoColor: true}, result{sample: smp(snap, t0)})
	h.poll()
	for range 100 {
		h.press("j")
	}
	if !strings.Contains(h.view(), "\n>") {
		t.Error("the cursor row scrolled off screen")
	}
	h.press("end")
	if !strings.Contains(h.view(), "\n>") || h.m.table.cursor != 499 {
		t.Error("end: the cursor row is off screen")
	}
	h.press("pgup", "pgup")
	if !strings.Contains(h.view(), "\n>") || h.m.table.cursor >= 499-30 || h.m.table.cursor < 499-60 {
		t.Errorf("pgup: cursor %d", h.m.table.cursor)
	}
}

// growing returns a snapshot at poll i: a pool of 10, an idle set of 5,
// and a leak that gains 3 goroutines a poll.
func growing(i int) *stackparse.Snapshot {
	group := func(key, fn string, first, n int) *stackparse.Group {
		g := &stackparse.Group{Key: key, State: "chan receive", Blocking: 0,
			Frames: []stackparse.Frame{{Func: fn, File: "/src/" + key + ".go", Line: 7}}}
		for id := first; id < first+n; id++ {
			g.Goroutines = append(g.Goroutines, stackparse.Goroutine{ID: int64(id), State: g.State})
		}
		return g
	}
	s := &stackparse.Snapshot{Groups: []*stackparse.Group{
		group("pool", "main.pool", 1, 10), group("idle", "main.idle", 20, 5), group("leak", "main.leak", 100, 1+3*i),
	}}
	s.Total = 16 + 3*i
	return s
}

func TestCursorStaysOnTopUntilMoved(t *testing.T) {
	var results []result
	for i := range 8 {
		results = append(results, result{sample: smp(growing(i), t0.Add(time.Duration(i)*20*time.Second))})
	}
	h := newHarness(t, Config{}, results...)
	h.poll()
	if h.m.table.selected().key != "pool" {
		t.Fatalf("first poll: %s on top", h.m.table.selected().key)
	}
	h.polls(7)
	if h.m.table.cursor != 0 || h.m.table.selected().key != "leak" {
		t.Errorf("unmoved cursor: row %d %s, want the leak on top", h.m.table.cursor, h.m.table.selected().key)
	}

	h = newHarness(t, Config{}, results...)
	h.poll()
	h.press("j")
	h.polls(7)
	if h.m.table.selected().key != "idle" || h.m.table.cursor != 2 {
		t.Errorf("moved cursor: row %d %s, want idle, followed to row 2", h.m.table.cursor, h.m.table.selected().key)
	}
}

// TestRateAfterDrop: /MIN says where a group's count goes now: after the
// leak's group climbs from 8 to 48 and drops back to 8, it reads the drop
// (-24/min over the last minute), not the climb the window still holds.
func TestRateAfterDrop(t *testing.T) {
	ds := dumps(t)
	// The last dump again, 40 of the leak's goroutines gone.
	drop := *ds[nDumps-1]
	drop.Groups = slices.Clone(drop.Groups)
	for i, g := range drop.Groups {
		if g.Top().Func == leakFunc {
			cut := *g
			cut.Goroutines = cut.Goroutines[:8]
			drop.Groups[i] = &cut
			drop.Total -= g.Count() - 8
		}
	}
	h := newHarness(t, Config{NoColor: true}, samples(append(ds, &drop))...)
	h.polls(nDumps + 1)
	var leak *row
	for _, r := range h.m.table.rows {
		if r.fn() == leakFunc {
			leak = r
		}
	}
	if leak == nil || leak.count != 8 {
		t.Fatalf("no leak row of 8 after the drop:\n%s", h.view())
	}
	if leak.growth != -24 || !strings.Contains(h.view(), "  -24 ") {
		t.Errorf("/MIN after the drop: %+.1f, want -24:\n%s", leak.growth, h.view())
	}
}
