package demo

import (
	"sync"
	"time"
)

// Event is one thing a client asked the service to record.
type Event struct {
	Tenant string
	At     time.Time
}

// MemQueue batches events in memory and hands each batch to a flush
// function when the batch is full or when its flush interval has passed,
// whichever comes first.
//
// It carries the bug of the gorotop story on purpose: every batch starts a
// flush timer with a goroutine waiting on it, and a flush from the push
// path (batch full) stops that timer, so the goroutine waits on
// <-ticker.C forever. Under light traffic batches never fill and nothing
// leaks; under load almost every batch leaks one goroutine.
type MemQueue struct {
	maxBatch int
	interval time.Duration
	flush    func([]Event)

	mu     sync.Mutex
	batch  []Event
	ticker *time.Ticker
}

// NewMemQueue returns a queue that calls flush with batches of at most
// maxBatch events, at the latest interval after a batch's first event.
// flush is called with the queue locked and must not call back into it.
func NewMemQueue(maxBatch int, interval time.Duration, flush func([]Event)) *MemQueue {
	return &MemQueue{maxBatch: max(maxBatch, 1), interval: interval, flush: flush}
}

// Push adds e to the current batch and flushes the batch if it is full.
func (q *MemQueue) Push(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.batch = append(q.batch, e)
	if len(q.batch) == 1 {
		q.scheduleFlush()
	}
	if len(q.batch) >= q.maxBatch {
		q.flushLocked()
	}
}

// scheduleFlush arms the flush timer of the batch that has just started.
// The caller holds q.mu.
func (q *MemQueue) scheduleFlush() {
	ticker := time.NewTicker(q.interval)
	q.ticker = ticker
	go func() {
		<-ticker.C
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.ticker == ticker {
			q.flushLocked()
		}
	}()
}

// flushLocked hands the current batch to the flush function and stops its
// timer. The caller holds q.mu.
func (q *MemQueue) flushLocked() {
	if q.ticker != nil {
		q.ticker.Stop()
		q.ticker = nil
	}
	if len(q.batch) == 0 {
		return
	}
	batch := q.batch
	q.batch = nil
	q.flush(batch)
}
