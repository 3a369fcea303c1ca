package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// dumps parses the six dumps of testdata/dumps (made by
// testdata/leaky), in order.
func dumps(t testing.TB) []*stackparse.Snapshot {
	t.Helper()
	var out []*stackparse.Snapshot
	for i := 1; i <= 6; i++ {
		out = append(out, parseFile(t, filepath.Join("testdata", "dumps", fmt.Sprintf("step%d.txt", i))))
	}
	return out
}

func parseFile(t testing.TB, path string) *stackparse.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := stackparse.Parse(f, stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// script is a Fetch that plays results in order, filing each with a
// tracker as a poll.Loop does (under the code grouping), then io.EOF.
type script struct {
	results  []result
	calls    int
	trackers map[stackparse.Grouping]*track.Tracker
}

type result struct {
	sample poll.Sample
	err    error
	// more holds the sample's snapshot under other groupings than code.
	more map[stackparse.Grouping]*stackparse.Snapshot
}

func (s *script) fetch(ctx context.Context) (poll.Sample, error) {
	if err := ctx.Err(); err != nil {
		return poll.Sample{}, err // cancelled before it ran: nothing fetched
	}
	if s.calls >= len(s.results) {
		return poll.Sample{}, io.EOF
	}
	r := s.results[s.calls]
	s.calls++
	if r.err != nil {
		return poll.Sample{}, r.err
	}
	if s.trackers == nil {
		s.trackers = map[stackparse.Grouping]*track.Tracker{}
	}
	tracker := func(g stackparse.Grouping) *track.Tracker {
		if s.trackers[g] == nil {
			s.trackers[g] = track.New(track.Options{})
		}
		return s.trackers[g]
	}
	smp := observed(tracker(stackparse.GroupCode), stackparse.GroupCode, r.sample)
	for _, g := range stackparse.Groupings {
		if snap := r.more[g]; snap != nil {
			o := r.sample
			o.Snap = snap
			smp = smp.With(g, snap, observed(tracker(g), g, o).View())
		}
	}
	return smp, nil
}

// groupedSamples is samples of the dumps of testdata/dumps parsed under
// every grouping.
func groupedSamples(t testing.TB) []result {
	out := samples(dumps(t))
	for _, g := range stackparse.Groupings[1:] {
		for i := range out {
			path := filepath.Join("testdata", "dumps", fmt.Sprintf("step%d.txt", i+1))
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := stackparse.Parse(f, g)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if out[i].more == nil {
				out[i].more = map[stackparse.Grouping]*stackparse.Snapshot{}
			}
			out[i].more[g] = snap
		}
	}
	return out
}

// observed files a sample with a tracker, as a poll.Loop does, and
// returns it carrying what the tracker knew then, under grouping g.
func observed(tr *track.Tracker, g stackparse.Grouping, s poll.Sample) poll.Sample {
	if s.Snap.CountOnly {
		tr.ObserveCounts(s.Meta.At, s.Snap)
	} else {
		tr.Observe(s.Meta.At, s.Snap)
	}
	return s.With(g, s.Snap, tr.View())
}

// smp is a sample of snap taken at at.
func smp(snap *stackparse.Snapshot, at time.Time) poll.Sample {
	return poll.Sample{Snap: snap, Meta: dumpsource.Meta{At: at}, Cost: poll.Cost{Kind: poll.Full}}
}

// samples turns snapshots into results 20 s apart from t0.
func samples(snaps []*stackparse.Snapshot) []result {
	out := make([]result, len(snaps))
	for i, s := range snaps {
		out[i] = result{sample: poll.Sample{
			Snap: s,
			Meta: dumpsource.Meta{At: t0.Add(time.Duration(i) * 20 * time.Second), Duration: 38 * time.Millisecond,
				Bytes: s.Bytes, Source: "http://localhost:6060/debug/pprof/goroutine?debug=2"},
			Cost: poll.Cost{Kind: poll.Full},
		}}
	}
	return out
}

// harness drives a Model through Update the way the program does, with a
// test clock.
type harness struct {
	t     testing.TB
	m     Model
	clock *clock
	fetch *script // the first target's
	// fetches are every target's, for several targets.
	fetches []*script
}

func newHarness(t testing.TB, cfg Config, results ...result) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}, fetch: &script{results: results}}
	if cfg.Target == "" {
		cfg.Target = "localhost:6060"
	}
	if cfg.Fetch == nil {
		cfg.Fetch = h.fetch.fetch
	}
	cfg.Now = h.clock.Now
	h.fetches = []*script{h.fetch}
	h.m = newModel(context.Background(), cfg)
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return h
}

// newMultiHarness is newHarness for several targets, named by names, each
// playing its results.
func newMultiHarness(t testing.TB, cfg Config, names []string, results ...[]result) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: t0}}
	for i, name := range names {
		s := &script{results: results[i]}
		h.fetches = append(h.fetches, s)
		cfg.Targets = append(cfg.Targets, TargetConfig{Target: "http://" + name, Fetch: s.fetch})
	}
	h.fetch = h.fetches[0]
	cfg.Now = h.clock.Now
	h.m = newModel(context.Background(), cfg)
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return h
}

// pollTab runs one poll of target i, the clock at the sample's time.
func (h *harness) pollTab(i int) {
	h.t.Helper()
	s := h.fetches[i]
	if r := s.calls; r < len(s.results) && !s.results[r].sample.Meta.At.IsZero() {
		h.clock.now = s.results[r].sample.Meta.At
	}
	cmd := h.send(pollMsg{tab: i, gen: h.m.tabs[i].gen})
	if cmd == nil {
		h.t.Fatalf("poll of tab %d started no fetch", i+1)
	}
	h.send(first(cmd))
}

// send passes one message to Update and returns its command.
func (h *harness) send(msg tea.Msg) tea.Cmd {
	h.t.Helper()
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	if h.m.fatal != nil {
		h.t.Fatalf("Update panicked: %v", h.m.fatal)
	}
	return cmd
}

// poll runs one poll: the timer fires, the fetch runs, its result comes
// back. The clock stands at the sample's time.
func (h *harness) poll() {
	h.t.Helper()
	if r := h.fetch.calls; r < len(h.fetch.results) && !h.fetch.results[r].sample.Meta.At.IsZero() {
		h.clock.now = h.fetch.results[r].sample.Meta.At
	}
	cmd := h.send(h.pollMsg())
	if cmd == nil {
		h.t.Fatal("poll started no fetch")
	}
	h.send(first(cmd))
}

// pollMsg is the message that starts the next poll of the first tab.
func (h *harness) pollMsg() pollMsg { return pollMsg{tab: 0, gen: h.m.tabs[0].gen} }

// first runs a command and returns its message; of a batch, the message
// of its first command (a poll's fetch comes before its spinner timer).
func first(cmd tea.Cmd) tea.Msg {
	msg := cmd()
	for {
		b, ok := msg.(tea.BatchMsg)
		if !ok || len(b) == 0 {
			return msg
		}
		msg = b[0]()
	}
}

// polls runs n polls.
func (h *harness) polls(n int) {
	h.t.Helper()
	for range n {
		h.poll()
	}
}

// view is the screen as text, without styles.
func (h *harness) view() string { return ansi.Strip(h.m.View().Content) }

// press sends key presses by name: "j", "enter", "space", "ctrl+c", "/".
func (h *harness) press(keys ...string) tea.Cmd {
	h.t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		cmd = h.send(keyPress(k))
	}
	return cmd
}

// typeText types runes one by one.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// keyPress makes the key press that String()s to name.
func keyPress(name string) tea.KeyPressMsg {
	special := map[string]tea.KeyPressMsg{
		"enter":     {Code: tea.KeyEnter},
		"esc":       {Code: tea.KeyEscape},
		"space":     {Code: tea.KeySpace, Text: " "},
		"up":        {Code: tea.KeyUp},
		"down":      {Code: tea.KeyDown},
		"pgup":      {Code: tea.KeyPgUp},
		"pgdown":    {Code: tea.KeyPgDown},
		"home":      {Code: tea.KeyHome},
		"end":       {Code: tea.KeyEnd},
		"left":      {Code: tea.KeyLeft},
		"right":     {Code: tea.KeyRight},
		"backspace": {Code: tea.KeyBackspace},
		"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
	}
	if k, ok := special[name]; ok {
		return k
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg{Code: r, Text: name}
}

var errRefused = errors.New(`fetch http://localhost:6060/debug/pprof/goroutine?debug=2: dial tcp 127.0.0.1:6060: connect: connection refused`)

// ioPipe is an input that stays open until closed, like a terminal. It
// is not an *os.File: the terminal reader would poll a file descriptor.
func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

// windowSize is a resize to w×h.
func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// openLoop opens the poll loop of a live target, as gorotop does, closed
// when the test ends.
func openLoop(t testing.TB, addr string, opts poll.Options) *poll.Loop {
	t.Helper()
	target, err := dumpsource.ParseTarget(addr)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dumpsource.Open(target, dumpsource.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := poll.NewLoop(src, opts)
	t.Cleanup(func() { l.Close() })
	return l
}
