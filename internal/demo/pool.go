package demo

import (
	"context"
	"sync"
)

// pool is a fixed set of workers that run jobs one at a time each.
type pool struct {
	jobs chan func()
}

// startPool starts workers goroutines that run until ctx is done; wg
// tracks them.
func startPool(ctx context.Context, wg *sync.WaitGroup, workers int) *pool {
	p := &pool{jobs: make(chan func())}
	for range workers {
		wg.Go(func() { p.worker(ctx) })
	}
	return p
}

func (p *pool) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-p.jobs:
			job()
		}
	}
}

// do runs job on a worker and waits for it, or gives up when ctx is done.
func (p *pool) do(ctx context.Context, job func()) error {
	done := make(chan struct{})
	select {
	case p.jobs <- func() { job(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
