package tui

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"go.uber.org/goleak"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// soakTarget serves a dump that changes at every poll, as a busy service
// would: a fixed pool, request goroutines born and gone every poll,
// groups that come and go (one with escapes in its names), goroutines
// whose stacks are new at every poll (code generated per request, five a
// poll), a burst that grows and drains; and now and then a failure: a 500
// full of escapes, an HTML page, a connection cut mid-dump, bytes that are
// no dump.
type soakTarget struct {
	polls  atomic.Int64
	failed atomic.Int64
}

// soakEvil is a function name with what a terminal would act on.
const soakEvil = "main.evil\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m"

func (st *soakTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/debug/pprof/goroutine" {
		http.NotFound(w, r) // no round-trip probe, no leak profile
		return
	}
	n := int(st.polls.Add(1))
	switch {
	case n%97 == 0:
		st.failed.Add(1)
		http.Error(w, "internal error \x1b]0;pwned\x07\x1b[2J", http.StatusInternalServerError)
		return
	case n%131 == 0:
		st.failed.Add(1)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>login \x1b[2J</body></html>")
		return
	case n%173 == 0:
		st.failed.Add(1)
		body := soakDump(n)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case n%199 == 0:
		st.failed.Add(1)
		b := make([]byte, 2048)
		rand.NewChaCha8([32]byte{byte(n)}).Read(b)
		w.Write(b)
		return
	}
	w.Write(soakDump(n))
}

// liveLoop is the loop cmd/gorotop makes for a live target: one source
// over real HTTP, every grouping tracked, with the budget off and no
// floor between polls. clock, when set, dates the samples.
func liveLoop(t testing.TB, url string, clock func() time.Time) *poll.Loop {
	t.Helper()
	tg, err := dumpsource.ParseTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dumpsource.Open(tg, dumpsource.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := poll.NewLoop(src, poll.Options{Interval: time.Nanosecond, Groupings: stackparse.Groupings, Clock: clock})
	t.Cleanup(func() { l.Close() })
	return l
}

// liveTarget is a live loop's target for the UI.
func liveTarget(l *poll.Loop) TargetConfig {
	return TargetConfig{Target: l.Source().String(), Fetch: l.Next, Groupings: l.Groupings()}
}

// soakStep is the time between polls on the model's clock.
const soakStep = 10 * time.Second

// settledGoroutines returns the number of goroutines once the ones a
// connection leaves behind for a moment have gone: at most want, or what
// there is after a second.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine()
		if want == 0 || n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// soakDump is the dump of poll n.
func soakDump(n int) []byte {
	var b strings.Builder
	g := func(id int, state, fn, file string, line int, creator string) {
		fmt.Fprintf(&b, "goroutine %d [%s]:\n%s(...)\n\t%s:%d +0x1c\n", id, state, fn, file, line)
		if creator != "" {
			fmt.Fprintf(&b, "created by %s in goroutine 1\n\t/src/app/main.go:20 +0x1a\n", creator)
		}
		b.WriteByte('\n')
	}
	g(1, "select", "main.main", "/src/app/main.go", 30, "")
	for i := range 8 {
		g(2+i, "chan receive, 12 minutes", "main.worker", "/src/app/pool.go", 14, "main.startPool")
	}
	for i := range 20 { // requests: new every poll
		g(1000+n*100+i, "IO wait", "net.(*conn).Read", "/src/app/serve.go", 88, "net/http.(*Server).Serve")
	}
	for k := range 40 { // groups that come and go, each time with new goroutines
		if (n/7+k)%4 != 0 {
			continue
		}
		fn := fmt.Sprintf("main.task%02d", k)
		if k == 13 {
			fn = soakEvil
		}
		for j := range 1 + k%5 {
			g(10_000_000+(n/7)*1000+k*10+j, "chan send", fn, "/src/app/tasks.go", 100+k, "main.dispatch")
		}
	}
	for i := range 5 { // stacks of their own at every poll: code made per request
		g(60_000_000+n*100+i, "select", fmt.Sprintf("main.generated_%d_%d", n, i), "/src/app/gen.go", 5+i, "main.dispatch")
	}
	for j := range n % 50 { // a burst that grows and drains
		g(50_000_000+(n/50)*100+j, "sync.Mutex.Lock", "main.burst", "/src/app/burst.go", 7, "main.dispatch")
	}
	return []byte(b.String())
}

// TestSoak drives the poll path — source over real loopback HTTP,
// stackparse.Parser, track.Tracker, the model's Update and View — through
// 2 000 polls of a changing target, 10 s apart on the model's clock (5½
// hours). The goroutines of the process stay as many as they were
// (sampled at every poll; goleak at the end), the heap stays flat once
// the histories kept by design have filled, the failures show in the
// header and pass, and no view holds an escape byte.
//
// What is kept by design: the tracker keeps every poll of the last hour
// (360 polls here), then a point a minute for a day; the UI keeps the last
// 1 000 snapshots of the table (keepFrames).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("2 000 polls")
	}
	ignore := goleak.IgnoreCurrent()
	target := &soakTarget{}
	srv := httptest.NewServer(target)
	clk := &clock{now: t0}
	live := liveLoop(t, srv.URL, clk.Now)
	m := newModel(context.Background(), Config{Targets: []TargetConfig{liveTarget(live)}, Interval: 2 * time.Second, NoColor: true, Now: clk.Now})
	send := func(msg tea.Msg) tea.Cmd {
		next, cmd := m.Update(msg)
		m = next.(Model)
		if m.fatal != nil {
			t.Fatalf("Update panicked: %v", m.fatal)
		}
		return cmd
	}
	send(tea.WindowSizeMsg{Width: 120, Height: 40})
	keys := []string{"j", "j", "enter", "esc", "s", "k", "g", "g", "g", "g", "end", "home"}

	const polls = 2000
	var (
		heap       = map[int]uint64{}
		routines   = map[int]int{}
		gmin       = 1 << 30
		gmax       int
		errorsSeen int
		views      int
	)
	start := time.Now()
	for i := 1; i <= polls; i++ {
		clk.now = clk.now.Add(soakStep)
		cmd := send(pollMsg{tab: 0, gen: m.tabs[0].gen})
		if cmd == nil {
			t.Fatalf("poll %d started no fetch", i)
		}
		send(first(cmd))
		if m.tabs[0].lastErr != "" {
			errorsSeen++
		}
		if i%5 == 0 || m.tabs[0].lastErr != "" {
			send(keyPress(keys[i%len(keys)]))
			v := m.View().Content
			views++
			if j := strings.IndexByte(v, 0x1b); j >= 0 {
				t.Fatalf("poll %d: an ESC byte in the view without colour: %q", i, v[max(j-40, 0):min(j+40, len(v))])
			}
			if m.tabs[0].lastErr != "" && !strings.Contains(v, "✗ error, retrying in") {
				t.Fatalf("poll %d: the error is not in the header:\n%s", i, v)
			}
		}
		if i >= 100 {
			ng := runtime.NumGoroutine()
			gmin, gmax = min(gmin, ng), max(gmax, ng)
		}
		if i%250 == 0 {
			routines[i] = settledGoroutines(routines[250])
			runtime.GC()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap[i] = ms.HeapInuse
			t.Logf("poll %4d: heap in use %5.2f MiB, %d goroutines, %d groups tracked, %v", i, float64(ms.HeapInuse)/(1<<20), routines[i], len(m.current().latest.Trends()), time.Since(start).Round(time.Millisecond))
		}
	}
	t.Logf("%d polls in %v: %d failed (%d served), %d views; goroutines %d to %d after poll 100",
		polls, time.Since(start).Round(time.Millisecond), errorsSeen, target.failed.Load(), views, gmin, gmax)

	if errorsSeen == 0 || int64(errorsSeen) != target.failed.Load() {
		t.Errorf("%d polls failed, the target failed %d", errorsSeen, target.failed.Load())
	}
	if m.tabs[0].lastErr != "" || len(m.table.rows) == 0 {
		t.Errorf("after the last poll: error %q, %d rows", m.tabs[0].lastErr, len(m.table.rows))
	}
	for i, n := range routines {
		if n > routines[250] {
			t.Errorf("%d goroutines at poll %d, %d at poll 250", n, i, routines[250])
		}
	}
	// Counted between polls, not settled: the HTTP client's and server's
	// connection goroutines and a fetch in flight come and go, more so
	// when other tests load the machine (14 seen once). A leak of one
	// goroutine a poll would be some 1 900 here.
	if gmax-gmin > 20 {
		t.Errorf("goroutines went from %d to %d between polls", gmin, gmax)
	}
	// Tolerance: from poll 500 to 2 000 the heap may grow by what the
	// histories add by design — the UI's frames 500 to 1 000 and the
	// trackers' minute points, for each of the three groupings tracked —
	// and no more: 60 % and 1 MiB a grouping (the frames hold some 480
	// rows each, as the groups of new stacks stay tracked 15 minutes
	// after they are gone: 23 → 36 MiB seen). Once the UI's history is
	// full, from poll 1 000 on: 15 % and 512 KiB.
	if h1, h2 := heap[500], heap[2000]; h2 > h1+h1*60/100+uint64(len(stackparse.Groupings))<<20 {
		t.Errorf("heap in use grew from %.2f MiB at poll 500 to %.2f MiB at poll 2 000", float64(h1)/(1<<20), float64(h2)/(1<<20))
	}
	if h1, h2 := heap[1000], heap[2000]; h2 > h1+h1*15/100+512<<10 {
		t.Errorf("heap in use grew from %.2f MiB at poll 1 000 to %.2f MiB at poll 2 000", float64(h1)/(1<<20), float64(h2)/(1<<20))
	}

	for _, tab := range m.tabs {
		tab.stopFetch()
	}
	live.Close()
	srv.Close()
	goleak.VerifyNone(t, ignore)
}
