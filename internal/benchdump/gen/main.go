// Command gen runs many goroutines and writes goroutine dumps of itself
// for gorotop's benchmarks; internal/benchdump builds and runs it.
//
// Usage:
//
//	gen -family deep|short -dir DIR [-n 100000] [-settle 61s] [-gap 60s]
//
// It writes DIR/base.txt, the runtime.Stack(buf, true) of exactly n
// goroutines, and their goroutine profiles, DIR/base-debug1.txt (?debug=1)
// and DIR/base.pb.gz (the protobuf of the default URL); DIR/warm.txt, the same after a tenth of the releasable
// goroutines exited, as many new ones started with other arguments, one
// group grew and another shrank, and -gap passed (wait minutes grow); and,
// for the deep family, DIR/cut.txt, pprof.Lookup("goroutine").WriteTo(w, 2)
// at that moment, which runtime/pprof cuts at 64 MiB. Goroutines of the
// first 60% show ", 1 minutes" in base.txt: -settle passes between them and
// the rest. The garbage collector runs only when gen says, so that wait
// minutes are stamped when it means them to be.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorotop/gorotop/internal/benchdump/gen/service"
)

func main() {
	family := flag.String("family", "", "deep or short")
	dir := flag.String("dir", "", "directory to write the dumps to")
	n := flag.Int("n", 100000, "goroutines in each dump")
	settle := flag.Duration("settle", 61*time.Second, "wait between the first 60% of goroutines and the rest")
	gap := flag.Duration("gap", 60*time.Second, "wait between the churn and the warm dump")
	flag.Parse()
	if (*family != "deep" && *family != "short") || *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -family deep|short -dir DIR [-n 100000] [-settle 61s] [-gap 60s]")
		os.Exit(2)
	}
	if err := run(*family, *dir, *n, *settle, *gap); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

// spawners is how many goroutines start the workers, so that "created by
// … in goroutine N" names that many Ns.
const spawners = 50

// A generator starts and releases goroutines.
type generator struct {
	srv    *service.Server
	plan   []*plannedShape
	ready  atomic.Int64
	nextID atomic.Uint64
	reqs   []chan spawnReq
}

// A spawnReq asks a spawner for n goroutines of a shape.
type spawnReq struct {
	ps   *plannedShape
	n    int
	done *sync.WaitGroup
}

func run(family, dir string, n int, settle, gap time.Duration) error {
	debug.SetGCPercent(-1)
	start := time.Now()
	g := &generator{srv: new(service.Server)}
	workers := n - 1 - spawners
	bufSize := 128 << 20
	if family == "deep" {
		g.plan = planDeep(g.srv, workers, 40)
		bufSize = 1 << 30 // only the pages written count against memory
	} else {
		g.plan = planShort(workers)
	}
	for i := 0; i < spawners; i++ {
		ch := make(chan spawnReq, 256)
		g.reqs = append(g.reqs, ch)
		go g.spawnLoop(ch, i)
	}

	// The first 60% of every shape, stamped by two GCs, then settle.
	first := map[*plannedShape]int{}
	for _, ps := range g.plan {
		first[ps] = ps.count * 6 / 10
	}
	if err := g.spawn(first); err != nil {
		return err
	}
	runtime.GC()
	runtime.GC()
	logf(start, "%d goroutines started; settling %v", runtime.NumGoroutine(), settle)
	time.Sleep(settle)
	rest := map[*plannedShape]int{}
	for _, ps := range g.plan {
		rest[ps] = ps.count - first[ps]
	}
	if err := g.spawn(rest); err != nil {
		return err
	}
	if got := runtime.NumGoroutine(); got != n {
		return fmt.Errorf("%d goroutines, want %d", got, n)
	}
	buf := make([]byte, bufSize)
	if err := dump(buf, filepath.Join(dir, "base.txt"), start); err != nil {
		return err
	}
	for file, debug := range map[string]int{"base-debug1.txt": 1, "base.pb.gz": 0} {
		if err := profile(filepath.Join(dir, file), debug, start); err != nil {
			return err
		}
	}

	if err := g.churn(n); err != nil {
		return err
	}
	logf(start, "churned; waiting %v", gap)
	time.Sleep(gap)
	if err := dump(buf, filepath.Join(dir, "warm.txt"), start); err != nil {
		return err
	}
	if family == "deep" {
		f, err := os.Create(filepath.Join(dir, "cut.txt"))
		if err != nil {
			return err
		}
		if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		logf(start, "cut.txt written")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	logf(start, "done: Sys %d MiB, StackInuse %d MiB, HeapAlloc %d MiB", ms.Sys>>20, ms.StackInuse>>20, ms.HeapAlloc>>20)
	return nil
}

// spawnLoop starts the goroutines it is asked for.
func (g *generator) spawnLoop(reqs <-chan spawnReq, i int) {
	// The goroutines a spawner starts carry its pprof labels, as a
	// service's requests carry a tenant's: profiles hold a record per
	// stack and label set (dumps show labels only with
	// GODEBUG=tracebacklabels=1, which gen does not set).
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("spawner", fmt.Sprintf("s%02d", i), "tenant", fmt.Sprintf("t%d", i%7))))
	for r := range reqs {
		calls := make([]*service.Call, r.n)
		for i := range calls {
			calls[i] = service.NewCall(g.nextID.Add(1), r.ps.shape, &g.ready, g.srv)
			r.ps.start(calls[i])
		}
		r.ps.mu.Lock()
		r.ps.live = append(r.ps.live, calls...)
		r.ps.mu.Unlock()
		r.done.Done()
	}
}

// chunks is how many spawners share the goroutines of one shape.
const chunks = 5

// spawn starts counts[ps] goroutines of each shape, split over several
// spawners, and waits until they all block.
func (g *generator) spawn(counts map[*plannedShape]int) error {
	want := g.ready.Load()
	var wg sync.WaitGroup
	for i, ps := range g.plan {
		n := counts[ps]
		want += int64(n)
		for j := 0; j < chunks; j++ {
			k := n/chunks + btoi(j < n%chunks)
			if k == 0 {
				continue
			}
			wg.Add(1)
			g.reqs[(i*7+j)%spawners] <- spawnReq{ps: ps, n: k, done: &wg}
		}
	}
	wg.Wait()
	return g.waitReady(want)
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitReady waits until want goroutines have reached their blocking point
// and a little more, so that they are parked.
func (g *generator) waitReady(want int64) error {
	deadline := time.Now().Add(2 * time.Minute)
	for g.ready.Load() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines ready, want %d", g.ready.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return nil
}

// churn releases a tenth of every releasable shape and starts as many new
// ones; the biggest releasable shape grows by 2% of n and the second
// biggest shrinks by as much (or all it has), the total staying n.
func (g *generator) churn(n int) error {
	var releasable []*plannedShape
	for _, ps := range g.plan {
		if ps.shape.Block.Releasable() && len(ps.live) > 0 {
			releasable = append(releasable, ps)
		}
	}
	if len(releasable) < 2 {
		return fmt.Errorf("%d releasable shapes, want 2 or more", len(releasable))
	}
	grow, shrink := releasable[0], releasable[1]
	step := min(n/50, len(shrink.live)*9/10)
	again := map[*plannedShape]int{}
	for _, ps := range releasable {
		k := len(ps.live) / 10
		again[ps] = k
		if ps == shrink {
			k += step
		}
		ps.release(k)
	}
	again[grow] += step
	if err := g.waitGoroutines(n - sum(again)); err != nil {
		return err
	}
	if err := g.spawn(again); err != nil {
		return err
	}
	return g.waitGoroutines(n)
}

// release makes k goroutines of ps exit: every len/k-th, so that the IDs
// that go are spread out.
func (ps *plannedShape) release(k int) {
	if k <= 0 {
		return
	}
	stride := max(1, len(ps.live)/k)
	var keep []*service.Call
	for i, c := range ps.live {
		if k > 0 && i%stride == 0 {
			c.Release()
			k--
			continue
		}
		keep = append(keep, c)
	}
	ps.live = keep
}

// waitGoroutines waits until n goroutines exist.
func (g *generator) waitGoroutines(n int) error {
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() != n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines, want %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// dump writes runtime.Stack of all goroutines to file.
func dump(buf []byte, file string, start time.Time) error {
	t := time.Now()
	n := runtime.Stack(buf, true)
	if n == len(buf) {
		return fmt.Errorf("%s: dump fills its %d-byte buffer", file, len(buf))
	}
	stw := time.Since(t)
	if err := os.WriteFile(file, buf[:n], 0o644); err != nil {
		return err
	}
	logf(start, "%s: %d bytes, runtime.Stack took %v", filepath.Base(file), n, stw.Round(time.Millisecond))
	return nil
}

// profile writes the goroutine profile at debug level debug to file:
// ?debug=1 text, or at 0 the gzipped protobuf /debug/pprof/goroutine
// serves by default.
func profile(file string, debug int, start time.Time) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	t := time.Now()
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	logf(start, "%s written in %v", filepath.Base(file), time.Since(t).Round(time.Millisecond))
	return nil
}

// sum adds up the counts.
func sum(counts map[*plannedShape]int) int {
	s := 0
	for _, n := range counts {
		s += n
	}
	return s
}

// logf prints progress with the time since start.
func logf(start time.Time, format string, args ...any) {
	fmt.Printf("%7.1fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
}
