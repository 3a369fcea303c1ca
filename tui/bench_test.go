package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// syntheticSnapshot builds n groups of different sizes and stacks, every
// tenth one growing with seed (a leak), without parsing.
func syntheticSnapshot(n int, seed ...int) *stackparse.Snapshot {
	grow := 0
	if len(seed) > 0 {
		grow = seed[0]
	}
	snap := &stackparse.Snapshot{Dumps: 1}
	id := int64(1)
	for i := range n {
		c := 1 + i%7
		if i%10 == 0 {
			c += grow * (1 + i%3)
		}
		fn := fmt.Sprintf("example.com/svc/pkg%d.(*Server%d).handle%d.func1", i%50, i%13, i)
		g := &stackparse.Group{
			Key:   fmt.Sprintf("k%05d", i),
			State: []string{"chan receive", "select", "IO wait", "sync.Mutex.Lock"}[i%4],
			Frames: []stackparse.Frame{
				{Func: "runtime.gopark", File: "/usr/local/go/src/runtime/proc.go", Line: 435},
				{Func: fn, File: fmt.Sprintf("/src/svc/pkg%d/server.go", i%50), Line: 10 + i%300},
				{Func: "example.com/svc/pkg.run", File: "/src/svc/pkg/run.go", Line: 42},
			},
			Blocking:  1,
			CreatedBy: &stackparse.Frame{Func: fmt.Sprintf("example.com/svc/pkg%d.(*Server%d).Serve", i%50, i%13), File: "/src/svc/serve.go", Line: 7 + i%20},
		}
		g.States = map[string]int{g.State: c}
		for range c {
			g.Goroutines = append(g.Goroutines, stackparse.Goroutine{ID: id, State: g.State, WaitMinutes: i % 20})
			id++
		}
		g.WaitMin, g.WaitMax = i%20, i%20
		snap.Groups = append(snap.Groups, g)
		snap.Total += c
	}
	return snap
}

// tenThousand returns a model that has seen three polls of 10 000 groups,
// sized w×h.
func tenThousand(b testing.TB, w, h int) Model {
	var results []result
	for i := range 3 {
		s := smp(syntheticSnapshot(10000, i*2), t0.Add(time.Duration(i)*10*time.Second))
		s.Meta.Duration, s.Meta.Bytes = 800*time.Millisecond, 25<<20
		results = append(results, result{sample: s})
	}
	hs := newHarness(b, Config{}, results...)
	hs.polls(3)
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs.m
}

// BenchmarkView10k measures one frame of the table with 10 000 groups.
func BenchmarkView10k(b *testing.B) {
	m := tenThousand(b, 160, 48)
	m.table.cursor, m.table.offset = 5000, 4990
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkPoll10k measures what the UI loop spends on one poll of
// 10 000 groups once its tracker has filed it (off the UI loop): the
// frame, the rows, the sort.
func BenchmarkPoll10k(b *testing.B) {
	m := tenThousand(b, 160, 48)
	tr := track.New(track.Options{})
	var s poll.Sample
	for i := range 4 {
		s = observed(tr, stackparse.GroupCode, smp(syntheticSnapshot(10000, 7+i), t0.Add(time.Minute+time.Duration(i)*2*time.Second)))
	}
	b.ReportAllocs()
	for b.Loop() {
		next, _ := m.Update(fetchedMsg{gen: m.tabs[0].gen, sample: s})
		m = next.(Model)
	}
}

// hugeGroup returns a snapshot of one group of n goroutines, with frames
// frames (the most a goroutine keeps) and keys pprof label keys of five
// values each, and a few small groups.
func hugeGroup(n, frames, keys int) *stackparse.Snapshot {
	snap := syntheticSnapshot(20)
	g := &stackparse.Group{Key: "huge", State: "chan receive", States: map[string]int{"chan receive": n}, Blocking: 1, Elided: true}
	for i := range frames {
		g.Frames = append(g.Frames, stackparse.Frame{Func: fmt.Sprintf("example.com/svc/deep.recurse%d", i%7), File: "/src/svc/deep/recurse.go", Line: 10 + i%40})
	}
	labelSets := make([][]stackparse.Label, 5)
	for v := range labelSets {
		for k := range keys {
			labelSets[v] = append(labelSets[v], stackparse.Label{Key: fmt.Sprintf("key%02d", k), Value: fmt.Sprintf("value%d", v)})
		}
	}
	g.Goroutines = make([]stackparse.Goroutine, n)
	for i := range g.Goroutines {
		g.Goroutines[i] = stackparse.Goroutine{ID: int64(n - i + 1000), State: "chan receive", Labels: labelSets[i%5]}
	}
	snap.Groups = append([]*stackparse.Group{g}, snap.Groups...)
	snap.Total += n
	return snap
}

// BenchmarkDetailHuge opens the detail of a group of a million goroutines,
// 256 frames deep, with 40 label keys, and measures a key press (a scroll
// and the frame drawn after it), a rebuild of the detail's text, and a
// poll coming in while it is open (filed by its tracker off the UI loop).
func BenchmarkDetailHuge(b *testing.B) {
	snap := hugeGroup(1_000_000, 256, 40)
	hs := newHarness(b, Config{}, result{sample: smp(snap, t0)})
	hs.polls(1)
	hs.send(tea.WindowSizeMsg{Width: 160, Height: 48})
	hs.press("home", "enter")
	if !strings.Contains(hs.view(), "where it blocks") {
		b.Fatalf("no detail:\n%s", hs.view())
	}
	b.Run("key", func(b *testing.B) {
		m := hs.m
		for i := 0; b.Loop(); i++ {
			k := "down"
			if i%50 == 49 {
				k = "home"
			}
			next, _ := m.Update(keyPress(k))
			m = next.(Model)
			_ = m.View()
		}
	})
	b.Run("refresh", func(b *testing.B) {
		m := hs.m
		for b.Loop() {
			m.refreshDetail()
		}
	})
	b.Run("poll", func(b *testing.B) {
		tr := track.New(track.Options{})
		var s poll.Sample
		for i := range 2 {
			s = observed(tr, stackparse.GroupCode, smp(snap, t0.Add(time.Duration(i)*2*time.Second)))
		}
		m := hs.m
		for b.Loop() {
			next, _ := m.Update(fetchedMsg{gen: m.tabs[0].gen, sample: s})
			m = next.(Model)
			_ = m.View()
		}
	})
}
