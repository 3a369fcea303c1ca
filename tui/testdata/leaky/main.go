// Command leaky is a tiny service with one goroutine leak beside healthy
// goroutine shapes. It writes six goroutine dumps (the text of
// /debug/pprof/goroutine?debug=2) into the directory named by its argument,
// one per step, for the tui tests:
//
//	cd tui/testdata/leaky && go run . ../dumps
//
// Shapes: a batching queue whose flush goroutines wait on a stopped
// ticker forever (the leak: 8 more every step), a fixed pool of workers
// waiting for jobs, request handlers that come and go (churn: 3 live at
// each step, all new), and a signal loop that waits for the whole run.
// Workers and handlers carry pprof labels, printed in the dump headers
// with GODEBUG=tracebacklabels=1, which the program sets itself.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

// MemQueue batches items and flushes them on a timer or on demand.
type MemQueue struct {
	ticker *time.Ticker
	items  []string
}

// scheduleFlush starts a goroutine that flushes when the ticker fires.
// Flush stops the ticker, so that goroutine waits forever: the leak.
func (q *MemQueue) scheduleFlush() {
	t := time.NewTicker(time.Hour)
	q.ticker = t
	go func() {
		<-t.C
		q.items = q.items[:0]
	}()
}

// Flush empties the queue now and stops the pending timer.
func (q *MemQueue) Flush() {
	q.ticker.Stop()
	q.items = q.items[:0]
}

func worker(jobs <-chan func()) {
	for job := range jobs {
		job()
	}
}

func handle(done <-chan struct{}) {
	<-done
}

func signalLoop(sigs <-chan os.Signal) {
	for range sigs {
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: leaky DIR")
		os.Exit(2)
	}
	os.Setenv("GODEBUG", "tracebacklabels=1")
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	go signalLoop(make(chan os.Signal))
	jobs := make(chan func())
	for range 4 {
		pprof.Do(context.Background(), pprof.Labels("pool", "workers"), func(context.Context) {
			go worker(jobs)
		})
	}
	q := &MemQueue{}
	var done chan struct{}
	for step := 1; step <= 6; step++ {
		for range 8 {
			q.scheduleFlush()
			q.Flush()
		}
		if done != nil {
			close(done)
		}
		done = make(chan struct{})
		for i := range 3 {
			route := []string{"/api/orders", "/api/users", "/healthz"}[i]
			pprof.Do(context.Background(), pprof.Labels("route", route), func(context.Context) {
				go handle(done)
			})
		}
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("step%d.txt", step)))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
