package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"time"
)

const (
	loadClients = 4
	// busyRate and quietRate are requests per second over all clients.
	// While busy, ingest requests bring about 290 events a second, so a
	// batch of 32 fills long before its 500 ms timer and almost every batch
	// leaks a goroutine (about 9 a second); while quiet, batches time out
	// and nothing leaks.
	busyRate  = 120
	quietRate = 4
	busyFor   = 20 * time.Second
	quietFor  = 5 * time.Second
	// maxGoroutines bounds the leak: past it the traffic stays quiet.
	maxGoroutines = 50_000
)

// generateLoad calls the service at base with a few keep-alive clients
// until ctx is done.
func generateLoad(ctx context.Context, base string) {
	transport := &http.Transport{MaxIdleConnsPerHost: loadClients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for id := range loadClients {
		wg.Go(func() { loadClient(ctx, client, base, id, start) })
	}
	wg.Wait()
}

// loadClient sends one request after another, paced to its share of the
// current request rate.
func loadClient(ctx context.Context, client *http.Client, base string, id int, start time.Time) {
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		call(ctx, client, base, id)
		mean := float64(time.Second) * loadClients / requestRate(time.Since(start))
		pause.Reset(time.Duration(mean * (0.5 + rand.Float64())))
	}
}

// requestRate is the traffic at elapsed time since the start: busy with
// quiet spells, and quiet for good once the process holds maxGoroutines.
func requestRate(elapsed time.Duration) float64 {
	if elapsed%(busyFor+quietFor) >= busyFor || runtime.NumGoroutine() >= maxGoroutines {
		return quietRate
	}
	return busyRate
}

// call sends one request of the traffic mix: mostly ingest, some search,
// a few resize. Failures are dropped: the load only has to exist.
func call(ctx context.Context, client *http.Client, base string, id int) {
	method, path := http.MethodPost, fmt.Sprintf("/ingest?tenant=t%d&events=%d", id, 1+rand.IntN(7))
	switch n := rand.IntN(10); {
	case n >= 9:
		method, path = http.MethodPost, "/resize"
	case n >= 6:
		method, path = http.MethodGet, fmt.Sprintf("/search?q=q%d", rand.IntN(100))
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
