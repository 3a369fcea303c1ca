package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/stackparse"
	"github.com/gorotop/gorotop/tui"
)

// fakeUI returns a terminal UI for runWithUI that keeps the Config it is
// given, and returns at once.
func fakeUI(t *testing.T) (*tui.Config, func(context.Context, tui.Config) error) {
	t.Helper()
	got := &tui.Config{}
	return got, func(_ context.Context, cfg tui.Config) error {
		*got = cfg
		return nil
	}
}

func TestWatchUsage(t *testing.T) {
	t.Parallel()
	many := make([]string, maxTargets+1)
	for i := range many {
		many[i] = "127.0.0.1:1"
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no target", nil, "no TARGET given"},
		{"too many", many, "at most 9 TARGETs"},
		{"stdin twice", []string{"-", "-"}, "standard input (-) can be only one"},
		{"bad interval", []string{"--interval", "0s", "127.0.0.1:1"}, "--interval must be positive"},
		{"one bad of two", []string{"127.0.0.1:1", filepath.Join(t.TempDir(), "nope.txt")}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runIn(t, "", c.args...)
			if code != exitProblem || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, c.want)
			}
		})
	}
}

// TestWatchOneTarget keeps the single-target UI as it was: one target in
// Config, live, with every grouping tracked (--group's first) and exports.
func TestWatchOneTarget(t *testing.T) {
	t.Parallel()
	cfg, ui := fakeUI(t)
	addr := testproc.StartLeaky(t, "-mode", "steady,pool")
	if code, _, errOut := runWithUI(t, ui, "", "--interval", "500ms", "--group", "exact", addr); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(cfg.Targets) != 1 || cfg.Grouping != stackparse.GroupExact || cfg.Interval.Milliseconds() != 500 {
		t.Fatalf("config: %d targets, grouping %s, interval %v", len(cfg.Targets), cfg.Grouping, cfg.Interval)
	}
	tc := cfg.Targets[0]
	if tc.Replay || len(tc.Groupings) != 3 || tc.Groupings[0] != stackparse.GroupExact || tc.Export == nil || !strings.HasSuffix(tc.Target, "/debug/pprof/goroutine?debug=2") {
		t.Errorf("target %+v", tc)
	}
}

// TestWatchSeveralTargets opens two live replicas and a dump file: a tab
// each, every Fetch its own, the live ones live and the file a replay.
func TestWatchSeveralTargets(t *testing.T) {
	t.Parallel()
	cfg, ui := fakeUI(t)
	a := testproc.StartLeaky(t, "-mode", "pool")
	b := testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "20")
	dump := filepath.Join(t.TempDir(), "crash.txt")
	if err := os.WriteFile(dump, []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runWithUI(t, ui, "", "--interval", "100ms", a, b, dump); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(cfg.Targets) != 3 {
		t.Fatalf("%d targets, want 3", len(cfg.Targets))
	}
	ctx := context.Background()
	for i, want := range []struct {
		replay bool
		leak   bool
	}{{false, false}, {false, true}, {true, false}} {
		tc := cfg.Targets[i]
		leak := false
		for try := 0; try < 20 && !leak; try++ {
			s, err := tc.Fetch(ctx)
			if err != nil || s.Snap == nil {
				t.Fatalf("target %d (%s): %v", i+1, tc.Target, err)
			}
			for _, g := range s.Snap.Groups {
				leak = leak || g.Top().Func == "main.steadyLeak"
			}
			if !want.leak || tc.Replay {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if tc.Replay != want.replay || leak != want.leak {
			t.Errorf("target %d (%s): replay %v, leak %v; want %v, %v", i+1, tc.Target, tc.Replay, leak, want.replay, want.leak)
		}
	}
	if _, err := cfg.Targets[2].Fetch(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("the file's second fetch: %v, want io.EOF", err)
	}
	if !strings.Contains(cfg.Targets[0].Target, a) || !strings.Contains(cfg.Targets[1].Target, b) {
		t.Errorf("targets out of order: %s, %s", cfg.Targets[0].Target, cfg.Targets[1].Target)
	}
}

// TestWatchSparesTarget checks the UI's wiring of --max-stall: a live
// target's samples say what each poll cost and how the pace keeps the
// stall share, cheap polls come between full dumps and are filed as
// counts only, and with the budget off every poll is a full dump at
// --interval.
func TestWatchSparesTarget(t *testing.T) {
	// 3 000 goroutines: a dump stalls this process a few milliseconds
	// past the round trip, which is not charged.
	addr := testproc.StartLeaky(t, "-mode", "pool", "-pool-workers", "3000")
	ctx := context.Background()
	fetchAll := func(t *testing.T, n int, args ...string) []poll.Sample {
		cfg, ui := fakeUI(t)
		if code, _, errOut := runWithUI(t, ui, "", append(args, addr)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var out []poll.Sample
		for range n {
			s, err := cfg.Targets[0].Fetch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}

	t.Run("budget", func(t *testing.T) {
		// A dump of this process stalls it a few milliseconds: at 0.1 %
		// full dumps come seconds apart (more than the 100ms floor
		// whatever the machine), with cheap polls between.
		// A full dump first, then cheap polls: the first dump is charged
		// at least a quarter of its wait however slow the round-trip
		// probe was, so the next is due a second or more later.
		got := fetchAll(t, 4, "--interval", "100ms", "--max-stall", "0.1%")
		cheap := 0
		for i, s := range got {
			c, counts := s.Cost, s.Cost.Kind == poll.Counts
			if s.Snap.CountOnly != counts || s.Pace.Share <= 0 || s.Pace.Share > 0.001 || i == 0 && counts {
				t.Errorf("poll %d: %+v, %+v; want a full dump first, counts filed as counts only, a share within 0.1 %%", i, c, s.Pace)
			}
			if counts && (c.Walks != 0 || s.Snap.Total == 0) || !counts && c.Walks != 1 {
				t.Errorf("poll %d: %+v, %d goroutines", i, c, s.Snap.Total)
			}
			if counts {
				cheap++
			}
		}
		if cheap < 2 {
			t.Errorf("%d cheap polls among 4, want 2 or more between full dumps", cheap)
		}
	})
	t.Run("off", func(t *testing.T) {
		start := time.Now()
		got := fetchAll(t, 3, "--interval", "100ms", "--max-stall", "off")
		for i, s := range got {
			if s.Cost.Kind == poll.Counts || s.Snap.CountOnly || s.Pace.Stretched || s.Pace.FullEvery != 100*time.Millisecond {
				t.Errorf("poll %d with the budget off: %+v, %+v", i, s.Pace, s.Cost)
			}
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("3 polls in %v: the floor of 100ms between them was not kept", d)
		}
	})
}

// TestWatchReplayTotal: the UI knows how many snapshots a replay holds: a
// recording of a real process (each snapshot with the time it was taken,
// which sets the replay's pace at 1×), and a directory of dumps.
func TestWatchReplayTotal(t *testing.T) {
	t.Parallel()
	addr := testproc.StartLeaky(t, "-mode", "steady,pool")
	path := filepath.Join(t.TempDir(), "api.rec")
	code, _, stderr := runIn(t, "", "record", "-o", path, "--for", "2s", "--interval", "300ms", "--max-stall", "off", addr)
	m := regexp.MustCompile(`recorded (\d+) snapshots of `).FindStringSubmatch(stderr)
	if code != exitOK || m == nil {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	recorded, _ := strconv.Atoi(m[1])

	dir := t.TempDir()
	for i := range 3 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.txt", i)), []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n"), 0o644)
	}
	// The UI reads the recording while its loop is open.
	var cfg tui.Config
	var at []time.Time
	ui := func(ctx context.Context, c tui.Config) error {
		cfg = c
		for {
			s, err := c.Targets[0].Fetch(ctx)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			at = append(at, s.Meta.At)
		}
	}
	if code, _, errOut := runWithUI(t, ui, "", path, dir, addr); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for i, want := range []int{recorded, 3, 0} {
		if got := cfg.Targets[i].Total; got != want {
			t.Errorf("target %d (%s): Total %d, want %d", i+1, cfg.Targets[i].Target, got, want)
		}
	}
	if len(at) != recorded {
		t.Fatalf("replayed %d snapshots of the %d recorded", len(at), recorded)
	}
	// Each snapshot replays with the time its dump was fetched: after the
	// round-trip probe that precedes it, which takes longer at some polls
	// than at others, so two may be less than the 300 ms interval apart;
	// on average they are not.
	for i := 1; i < len(at); i++ {
		if !at[i].After(at[i-1]) {
			t.Errorf("snapshots %d and %d replay at %v and %v: not the times they were taken at", i, i+1, at[i-1], at[i])
		}
	}
	if mean := at[len(at)-1].Sub(at[0]) / time.Duration(len(at)-1); mean < 250*time.Millisecond {
		t.Errorf("the snapshots replay %v apart on average: not the times they were taken at, 300 ms apart", mean)
	}
}
