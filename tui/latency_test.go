package tui

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/stackparse"
)

// frameWriter is a terminal that notes when each frame is written.
type frameWriter struct {
	mu     sync.Mutex
	writes []time.Time
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, time.Now())
	return len(p), nil
}

// after returns the time of the first write after t, waiting up to
// within for it; zero if none came.
func (w *frameWriter) after(t time.Time, within time.Duration) time.Time {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		i, _ := slices.BinarySearchFunc(w.writes, t, func(a, t time.Time) int { return a.Compare(t) })
		var at time.Time
		if i < len(w.writes) {
			at = w.writes[i]
		}
		w.mu.Unlock()
		if !at.IsZero() {
			return at
		}
		time.Sleep(200 * time.Microsecond)
	}
	return time.Time{}
}

// BenchmarkKeyLatencyBigTarget measures how long a key takes to reach the
// screen while a real process of 100 000 goroutines (and a leak) is
// polled as gorotop polls it by default (every 2 s at least, 1 % stall
// budget, every grouping tracked): each key goes to the real program and
// the time to the next frame written is one sample. Fetching, parsing and
// filing each dump run off the UI loop, so keys do not wait for them. It
// reports the median and the 99th percentile (goal: p99 under 50 ms).
// Run it for a minute or more, so that full dumps are filed while keys
// come:
//
//	go test ./tui -run '^$' -bench KeyLatency -benchtime 600x
func BenchmarkKeyLatencyBigTarget(b *testing.B) {
	addr := testproc.StartLeaky(b, "-mode", "waiters,queue", "-waiters", "100000", "-queue-rate", "40", "-max", "1000000")
	tg, err := dumpsource.ParseTarget(addr)
	if err != nil {
		b.Fatal(err)
	}
	src, err := dumpsource.Open(tg, dumpsource.Options{})
	if err != nil {
		b.Fatal(err)
	}
	loop := poll.NewLoop(src, poll.Options{Interval: 2 * time.Second, MaxShare: poll.DefaultMaxShare, Groupings: stackparse.Groupings})
	defer loop.Close()

	out := &frameWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := tea.NewProgram(newModel(ctx, Config{Targets: []TargetConfig{liveTarget(loop)}, Interval: 2 * time.Second, NoColor: true}),
		tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(out), tea.WithWindowSize(150, 40),
		tea.WithoutSignals(), tea.WithColorProfile(colorprofile.NoTTY))
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run()
	}()
	defer func() { cancel(); <-done }()
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if n, _ := loop.Polls(); n > 0 {
			break
		}
		if time.Since(start) > time.Minute {
			b.Fatal("no poll of the big target within a minute")
		}
	}
	time.Sleep(time.Second) // on screen

	var lat []time.Duration
	keys := []string{"j", "k"}
	for i := 0; b.Loop(); i++ {
		sent := time.Now()
		p.Send(keyPress(keys[i%2]))
		at := out.after(sent, 5*time.Second)
		if at.IsZero() {
			b.Fatalf("key %d: no frame within 5 s", i)
		}
		lat = append(lat, at.Sub(sent))
		time.Sleep(100 * time.Millisecond) // keys a person types, spread over the polls
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	all, cheap := loop.Polls()
	b.ReportMetric(float64(all-cheap), "full-dumps")
	b.ReportMetric(float64(cheap), "cheap-polls")
}
