// Package demo is the service behind `gorotop demo`: a small events API
// that leaks goroutines on a stopped ticker, beside healthy goroutines
// that must not be flagged.
//
// The leak is in [MemQueue]: under load, each full batch leaves one
// goroutine of (*MemQueue).scheduleFlush waiting on a stopped ticker
// forever (about 9 a second while traffic is busy, never more than 50 000
// goroutines in all). The healthy shapes are a fixed worker pool waiting
// for jobs, short-lived search goroutines that come and go, a reindex
// burst every 15 seconds that drains within two, and the service's fixed
// set of connection and load goroutines. An internal load generator drives
// the service through its own HTTP handlers over loopback, with quiet
// spells in which batches time out instead of filling up.
//
// [Serve] runs the service in this process; [Start] runs it in a child
// process that dies with its parent, so that the leak never outlives
// gorotop.
package demo

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	batchSize     = 32
	flushInterval = 500 * time.Millisecond
	poolWorkers   = 8
	searchShards  = 4
	reindexEvery  = 15 * time.Second
	reindexDocs   = 300
)

// Serve runs the demo service on ln until ctx is done, then closes ln and
// returns nil. Its HTTP handlers, with net/http/pprof under /debug/pprof/,
// are served on ln; its load generator calls them through ln's address.
//
// The goroutines leaked by the queue's bug outlive Serve: run the service
// with [Start] to get them back when it ends.
func Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	s := &service{pool: startPool(ctx, &wg, poolWorkers)}
	s.queue = NewMemQueue(batchSize, flushInterval, s.store)
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	wg.Go(func() { reindex(ctx, reindexEvery, reindexDocs) })
	wg.Go(func() { generateLoad(ctx, "http://"+ln.Addr().String()) })

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("demo: serve on %s: %w", ln.Addr(), err)
	}
	cancel()
	srv.Close()
	wg.Wait()
	return err
}

// service is the events API: ingest batches events through the queue,
// search fans out to shards, resize runs on the worker pool.
type service struct {
	queue  *MemQueue
	pool   *pool
	stored atomic.Int64
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /ingest", s.ingest)
	mux.HandleFunc("GET /search", s.search)
	mux.HandleFunc("POST /resize", s.resize)
	return mux
}

// store is the queue's flush function: it stands for a write to a database.
func (s *service) store(batch []Event) {
	s.stored.Add(int64(len(batch)))
}

func (s *service) ingest(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("events"))
	if err != nil || n < 1 || n > 100 {
		http.Error(w, "events: want a number from 1 to 100", http.StatusBadRequest)
		return
	}
	tenant := r.URL.Query().Get("tenant")
	now := time.Now()
	for range n {
		s.queue.Push(Event{Tenant: tenant, At: now})
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *service) search(w http.ResponseWriter, r *http.Request) {
	hits := make(chan int, searchShards)
	for shard := range searchShards {
		go searchShard(r.Context(), shard, hits)
	}
	total := 0
	for range searchShards {
		total += <-hits
	}
	fmt.Fprintf(w, "%d hits\n", total)
}

// searchShard is a request goroutine that lives a few milliseconds.
func searchShard(ctx context.Context, shard int, hits chan<- int) {
	t := time.NewTimer(time.Duration(2+rand.IntN(18)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		hits <- shard + rand.IntN(10)
	case <-ctx.Done():
		hits <- 0
	}
}

func (s *service) resize(w http.ResponseWriter, r *http.Request) {
	var sum [sha256.Size]byte
	err := s.pool.do(r.Context(), func() {
		img := make([]byte, 16<<10)
		for i := range img {
			img[i] = byte(i * 7)
		}
		sum = sha256.Sum256(img)
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "%x\n", sum[:8])
}

// reindex starts a burst of docs short-lived goroutines every period; each
// burst drains within a couple of seconds.
func reindex(ctx context.Context, every time.Duration, docs int) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for doc := range docs {
			wg.Go(func() { reindexDoc(ctx, doc) })
		}
	}
}

// reindexDoc is one goroutine of a reindex burst.
func reindexDoc(ctx context.Context, doc int) {
	t := time.NewTimer(time.Duration(200+rand.IntN(1300)+doc%7) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
