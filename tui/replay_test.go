package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// leakCount is the count of the leak's row on screen, or -1.
func leakCount(m Model) int {
	for _, r := range m.table.rows {
		if r.fn() == leakFunc {
			return r.count
		}
	}
	return -1
}

func TestReplayStepping(t *testing.T) {
	h := newHarness(t, Config{Replay: true, NoColor: true}, samples(dumps(t))...)
	h.polls(nDumps)
	if v := h.view(); !strings.Contains(v, "▶ replay 6/6 1×") {
		t.Errorf("header lacks the position:\n%s", v)
	}
	h.press("left")
	if !h.m.paused || leakCount(h.m) != 40 || !strings.Contains(h.view(), "‖ paused 5/6") {
		t.Fatalf("left: paused %v, leak %d:\n%s", h.m.paused, leakCount(h.m), h.view())
	}
	h.press("[")
	if leakCount(h.m) != 8 || !strings.Contains(h.view(), "‖ paused 1/6") {
		t.Errorf("[: leak %d:\n%s", leakCount(h.m), h.view())
	}
	h.press("left")
	if !strings.Contains(h.m.notice, "oldest snapshot") {
		t.Errorf("left at the oldest: notice %q", h.m.notice)
	}
	h.press("right")
	if leakCount(h.m) != 16 || !strings.Contains(h.view(), "2/6") {
		t.Errorf("right: leak %d", leakCount(h.m))
	}
	if v := h.view(); !strings.Contains(v, "at 2026-11-25 19:00:20") || !strings.Contains(v, "goroutines 25") {
		t.Errorf("the header is not of snapshot 2:\n%s", v)
	}
	// The trend column stops at the snapshot on screen.
	if got := len(h.m.table.rows[0].counts()); got != 2 {
		t.Errorf("trend of %d polls at snapshot 2", got)
	}
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "the table shows snapshot 2 of 6; this detail is of the latest") {
		t.Errorf("detail while stepped:\n%s", v)
	}
	h.press("esc")

	// Play goes on from snapshot 2 through those kept, without reading.
	calls := h.fetch.calls
	cmd := h.press("space")
	if h.m.paused || cmd == nil {
		t.Fatal("space did not play")
	}
	h.send(first(cmd))
	if leakCount(h.m) != 24 || h.fetch.calls != calls {
		t.Errorf("play: leak %d, %d fetches", leakCount(h.m), h.fetch.calls-calls)
	}
	h.press("]")
	if !h.m.paused || h.m.current().stepped() || leakCount(h.m) != 48 {
		t.Errorf("]: paused %v stepped %v leak %d", h.m.paused, h.m.current().stepped(), leakCount(h.m))
	}
}

func TestReplayStepForwardReads(t *testing.T) {
	h := newHarness(t, Config{Replay: true}, samples(dumps(t))...)
	h.polls(3)
	cmd := h.press("right")
	if !h.m.paused || cmd == nil {
		t.Fatalf("right at the latest snapshot of a replay: paused %v, no read", h.m.paused)
	}
	h.send(first(h.send(first(cmd))))
	if ds := h.m.current(); ds.polls != 4 || ds.stepped() || !h.m.paused || h.m.tabs[0].fetching {
		t.Errorf("after one step forward: %d polls, stepped %v, paused %v", ds.polls, ds.stepped(), h.m.paused)
	}
	if leakCount(h.m) != 32 {
		t.Errorf("leak %d at snapshot 4", leakCount(h.m))
	}
}

func TestReplaySpeed(t *testing.T) {
	h := newHarness(t, Config{Replay: true, Interval: 2 * time.Second}, samples(dumps(t))...)
	h.poll()
	tb := h.m.tabs[0]
	if got := h.m.pace(tb); got != 2*time.Second {
		t.Errorf("1×: pace %v", got)
	}
	gen := tb.gen
	if cmd := h.press("+"); cmd == nil || tb.gen == gen {
		t.Error("+ did not re-arm the replay's timer")
	}
	if got := h.m.pace(tb); got != time.Second || !strings.Contains(h.view(), "▶ replay 1/1 2×") {
		t.Errorf("2×: pace %v\n%s", got, h.view())
	}
	for range 20 {
		h.press("+")
	}
	if h.m.pace(tb) != 0 || !strings.Contains(h.view(), "max speed") {
		t.Errorf("max: pace %v", h.m.pace(tb))
	}
	for range 20 {
		h.press("-")
	}
	if h.m.pace(tb) != 8*time.Second || !strings.Contains(h.view(), "¼×") {
		t.Errorf("slowest: pace %v", h.m.pace(tb))
	}

	live := newHarness(t, Config{}, samples(dumps(t))...)
	live.poll()
	if live.press("+"); live.m.speed != speedNormal || live.m.keys.Faster.Enabled() {
		t.Error("speed changes a live target")
	}
}

func TestLivePauseSteps(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	h.polls(4)
	h.press("left", "left")
	if !h.m.paused || leakCount(h.m) != 16 {
		t.Fatalf("paused %v leak %d", h.m.paused, leakCount(h.m))
	}
	if v := h.view(); !strings.Contains(v, "‖ paused 2/4") || !strings.Contains(v, "from 40s ago") {
		t.Errorf("header:\n%s", v)
	}
	h.press("right", "right", "right")
	if !strings.Contains(h.m.notice, "latest snapshot") || h.m.current().stepped() {
		t.Errorf("right past the latest of a live target: notice %q", h.m.notice)
	}
	h.press("left", "p")
	if h.m.paused || h.m.current().stepped() || leakCount(h.m) != 32 {
		t.Errorf("resume: back to the latest snapshot (leak %d)", leakCount(h.m))
	}
}

func TestMarkAndDiff(t *testing.T) {
	snap := func(i int) *stackparse.Snapshot {
		s := growing(i)
		if i < 2 {
			g := *s.Groups[0]
			g.Key, g.Frames = "gone", []stackparse.Frame{{Func: "main.gone", File: "/src/gone.go", Line: 3}}
			g.Goroutines = []stackparse.Goroutine{{ID: 900, State: "select"}, {ID: 901, State: "select"}}
			s.Groups = append(s.Groups, &g)
			s.Total += 2
		}
		return s
	}
	var results []result
	for i := range 5 {
		results = append(results, result{sample: smp(snap(i), t0.Add(time.Duration(i)*20*time.Second))})
	}
	h := newHarness(t, Config{NoColor: true}, results...)
	h.press("d")
	if h.m.diff || !strings.Contains(h.m.notice, "m marks") {
		t.Errorf("d without a mark: notice %q", h.m.notice)
	}
	h.polls(2)
	h.press("m")
	if h.m.current().mark == nil || !strings.Contains(h.m.notice, "marked snapshot 2") {
		t.Fatalf("m: notice %q", h.m.notice)
	}
	h.polls(3)
	h.press("d")
	if !h.m.diff || h.m.table.sort != sortDelta {
		t.Fatalf("d: diff %v sort %s", h.m.diff, h.m.table.sort)
	}
	got := map[string]int{}
	for _, r := range h.m.table.rows {
		got[r.key] = r.delta
	}
	want := map[string]int{"leak": 9, "gone": -2, "pool": 0, "idle": 0}
	for k, d := range want {
		if got[k] != d {
			t.Errorf("Δ of %s = %d, want %d (all: %v)", k, got[k], d, got)
		}
	}
	if h.m.table.rows[0].key != "leak" || h.m.table.rows[1].key != "gone" {
		t.Errorf("diff order: %v", rowFuncs(h.m))
	}
	v := h.view()
	for _, want := range []string{"ΔMARK▼", "+9", "-2", "main.gone", "Δ since mark 2", "sort Δ since mark"} {
		if !strings.Contains(v, want) {
			t.Errorf("diff view lacks %q:\n%s", want, v)
		}
	}
	h.press("s")
	if h.m.table.sort != sortSuspicion {
		t.Errorf("s after Δ: %s", h.m.table.sort)
	}
	h.press("d")
	if h.m.diff || strings.Contains(h.view(), "ΔMARK") {
		t.Error("d does not hide the diff")
	}
}

func TestMouse(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, result{sample: smp(syntheticSnapshot(500), t0)})
	h.poll()
	if h.m.View().MouseMode != tea.MouseModeCellMotion {
		t.Error("the view does not ask for the mouse")
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.table.cursor != 2*wheelRows {
		t.Errorf("wheel down twice: cursor %d", h.m.table.cursor)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if h.m.table.cursor != wheelRows {
		t.Errorf("wheel up: cursor %d", h.m.table.cursor)
	}
	// The header is two lines and the titles one: line 3 is the first row
	// on screen.
	top := h.m.table.offset
	h.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 5})
	if h.m.table.cursor != top+2 || h.m.detail.open {
		t.Errorf("click on line 5: cursor %d (offset %d), detail %v", h.m.table.cursor, top, h.m.detail.open)
	}
	h.clock.now = h.clock.now.Add(2 * doubleClick)
	h.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 6})
	h.clock.now = h.clock.now.Add(doubleClick / 2)
	h.send(tea.MouseReleaseMsg{Button: tea.MouseLeft, X: 10, Y: 6})
	h.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 6})
	if !h.m.detail.open || h.m.detail.rowKey != h.m.table.rows[top+3].key {
		t.Fatalf("double click: detail %v", h.m.detail.open)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.detail.vp.YOffset() != wheelRows {
		t.Errorf("wheel in the detail: offset %d", h.m.detail.vp.YOffset())
	}
	h.press("esc")
	h.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 1})
	h.send(tea.MouseClickMsg{Button: tea.MouseRight, X: 10, Y: 7})
	if h.m.table.cursor != top+3 {
		t.Errorf("a click on the header or a right click moved the cursor to %d", h.m.table.cursor)
	}

	p := twoPods(t, Config{NoColor: true})
	p.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 18, Y: 0})
	if p.m.active != 1 {
		t.Errorf("click on the second tab: active %d", p.m.active)
	}
}

func TestSpinnerWhileSlow(t *testing.T) {
	h := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	h.poll()
	fetch := h.send(h.pollMsg())
	tb := h.m.tabs[0]
	if cmd := h.send(slowMsg{tab: 0, seq: tb.seq - 1}); cmd != nil || tb.slow {
		t.Error("a slow timer of an earlier fetch started the spinner")
	}
	h.clock.now = h.clock.now.Add(1200 * time.Millisecond)
	tick := h.send(slowMsg{tab: 0, seq: tb.seq})
	if tick == nil || !h.m.spinning {
		t.Fatal("a slow fetch does not start the spinner")
	}
	if v := h.view(); !strings.Contains(v, "fetching 1.2s") {
		t.Errorf("header lacks the spinner:\n%s", v)
	}
	h.send(first(fetch))
	if tb.slow || strings.Contains(h.view(), "fetching") {
		t.Error("the spinner outlives the fetch")
	}
	if cmd := h.send(tick()); cmd != nil || h.m.spinning {
		t.Error("the spinner keeps ticking with no fetch in flight")
	}
}

func TestBackgroundColour(t *testing.T) {
	h := newHarness(t, Config{}, samples(dumps(t))...)
	dark := h.m.styles.Spark.GetForeground()
	h.send(tea.BackgroundColorMsg{Color: white{}})
	if h.m.styles.Spark.GetForeground() == dark {
		t.Error("a light background keeps the dark colours")
	}
	plain := newHarness(t, Config{NoColor: true}, samples(dumps(t))...)
	plain.poll()
	plain.send(tea.BackgroundColorMsg{Color: white{}})
	if v := plain.m.View().Content; strings.ContainsRune(v, 0x1b) {
		t.Error("no colour: the background reply brought colour back")
	}
}

// white is a white background colour.
type white struct{}

func (white) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

// TestReplayPauseKeepsRead pauses a replay while it reads: the snapshot
// being read is kept, not lost.
func TestReplayPauseKeepsRead(t *testing.T) {
	h := newHarness(t, Config{Replay: true}, samples(dumps(t))...)
	h.polls(2)
	read := h.send(h.pollMsg())
	h.press("space")
	if !h.m.paused || !h.m.tabs[0].fetching {
		t.Fatalf("paused %v, read still running %v", h.m.paused, h.m.tabs[0].fetching)
	}
	if cmd := h.send(first(read)); cmd != nil || h.m.current().polls != 3 {
		t.Errorf("the read that ended while paused: %d polls, re-armed %v", h.m.current().polls, cmd != nil)
	}
	if cmd := h.press("space"); cmd == nil || h.m.paused {
		t.Error("space does not play on")
	}
}

// TestHistoryBounds keeps at most keepFrames frames and keepRows rows, the
// latest always, and shares one stack-less copy of each group.
func TestHistoryBounds(t *testing.T) {
	var h history
	tr := track.New(track.Options{})
	small := growing(1)
	for i := range keepFrames + 10 {
		at := t0.Add(time.Duration(i) * time.Second)
		tr.Observe(at, small)
		dropped := h.capture(i+1, at, small, tr.View())
		if want := max(i+1-keepFrames, 0) - max(i-keepFrames, 0); dropped != want {
			t.Fatalf("poll %d dropped %d frames, want %d", i+1, dropped, want)
		}
	}
	if len(h.frames) != keepFrames || h.frames[0].poll != 11 || h.latest().poll != keepFrames+10 {
		t.Errorf("%d frames, polls %d to %d", len(h.frames), h.frames[0].poll, h.latest().poll)
	}
	if g := h.frames[0].rows[0].group; g != h.latest().rows[0].group || g.Goroutines != nil {
		t.Error("frames do not share one stack-less copy of a group")
	}

	var big history
	snap := syntheticSnapshot(100000)
	for i := range 8 {
		big.capture(i+1, t0, snap, tr.View())
	}
	if big.rows > keepRows || len(big.frames) != keepRows/100000 || big.latest().poll != 8 {
		t.Errorf("%d rows in %d frames", big.rows, len(big.frames))
	}
}

// secondApart is the dumps of testdata/dumps as a recording taken at
// 1 s intervals would replay them.
func secondApart(t *testing.T) []result {
	rs := samples(dumps(t))
	for i := range rs {
		rs[i].sample.Meta.At = t0.Add(time.Duration(i) * time.Second)
	}
	return rs
}

// TestReplayCountsAgainstTotal: a replay says where it is among the
// snapshots its source holds (2/30), not among those read so far (2/2).
func TestReplayCountsAgainstTotal(t *testing.T) {
	h := newHarness(t, Config{Replay: true, Total: 30, NoColor: true}, secondApart(t)...)
	h.polls(2)
	if v := h.view(); !strings.Contains(v, "▶ replay 2/30 1×") {
		t.Errorf("header lacks the position among the 30 snapshots:\n%s", v)
	}
	h.press("left")
	if v := h.view(); !strings.Contains(v, "‖ paused 1/30") {
		t.Errorf("stepped back: header lacks 1/30:\n%s", v)
	}
}

// TestReplayOwnPace: at 1× a replay steps at the pace its snapshots were
// taken (here 1 s, whatever --interval says), + and - change the speed
// from there, and the header says what space does.
func TestReplayOwnPace(t *testing.T) {
	h := newHarness(t, Config{Replay: true, Total: 6, Interval: 2 * time.Second, NoColor: true}, secondApart(t)...)
	h.polls(3)
	h.send(windowSize(160, 30))
	tb := h.m.tabs[0]
	if got := h.m.pace(tb); got != time.Second {
		t.Errorf("1×: a step every %v, want the recording's 1s", got)
	}
	v := h.view()
	if !strings.Contains(v, "a snapshot every 1s") || !strings.Contains(v, "space pauses") {
		t.Errorf("header while playing:\n%s", v)
	}
	h.press("+")
	if got := h.m.pace(tb); got != 500*time.Millisecond {
		t.Errorf("2×: a step every %v, want 500ms", got)
	}
	h.press("-", "-")
	if got := h.m.pace(tb); got != 2*time.Second {
		t.Errorf("½×: a step every %v, want 2s", got)
	}
	h.press("space")
	if v := h.view(); !h.m.paused || !strings.Contains(v, "‖ paused 3/6") || !strings.Contains(v, "space plays") {
		t.Errorf("paused: header\n%s", v)
	}
	if !strings.Contains(h.m.help.FullHelpView(h.m.keys.FullHelp()), "play, pause") {
		t.Error("the help does not say that space plays and pauses a replay")
	}
}

// TestHistoryChangingShapes: a target whose stacks change at every poll
// makes new groups at every poll; the copies of the groups only older
// frames hold stay within an eighth of the rows bound, the latest frame
// whole, so that such a target cannot fill memory with stacks.
func TestHistoryChangingShapes(t *testing.T) {
	var h history
	tr := track.New(track.Options{})
	for i := range 20 {
		snap := syntheticSnapshot(10000)
		for _, g := range snap.Groups {
			g.Key = fmt.Sprintf("%s-%d", g.Key, i) // new groups at every poll
		}
		at := t0.Add(time.Duration(i) * time.Second)
		h.capture(i+1, at, snap, tr.View())
	}
	if extra := len(h.groups) - len(h.latest().rows); extra > keepRows/8 || len(h.frames) < 2 || h.latest().poll != 20 {
		t.Errorf("%d frames holding %d group copies, %d beyond the latest's; want at most %d beyond it", len(h.frames), len(h.groups), extra, keepRows/8)
	}
}
