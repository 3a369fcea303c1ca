package main

import "sync"

// Goroutines the garbage collector can prove leaked (Go 1.26 with
// GOEXPERIMENT=goroutineleakprofile): each waits on a channel, mutex or
// WaitGroup that no running goroutine and no global can reach.

// startLeaks starts the leaking goroutines; once it returns, only they
// reference what they wait on.
func startLeaks() {
	for i := 0; i < 5; i++ {
		go leakRecv(make(chan int))
	}
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		go leakSend(ch, i)
	}
	for i := 0; i < 2; i++ {
		go leakSelect(make(chan int), make(chan string))
	}
	// Not new(sync.Mutex): an 8-byte pointer-free object goes to the tiny
	// allocator, shares a 16-byte block with other small objects, and is
	// kept alive by any live neighbour, so the GC proves the leak only
	// about half the time. A mutex inside a bigger struct, as in real
	// code, is proven every time.
	shard := new(lockedShard)
	shard.mu.Lock()
	for i := 0; i < 2; i++ {
		go leakMutex(&shard.mu)
	}
	wg := new(sync.WaitGroup)
	wg.Add(1)
	go leakWait(wg)
}

// A lockedShard is a mutex with what it guards.
type lockedShard struct {
	mu    sync.Mutex
	items map[string]int
}

// leakRecv receives from a channel nobody else has.
func leakRecv(ch chan int) {
	<-ch
}

// leakSend sends on a channel only other senders have.
func leakSend(ch chan int, v int) {
	ch <- v
}

// leakSelect selects over channels nobody else has.
func leakSelect(a chan int, b chan string) {
	select {
	case <-a:
	case <-b:
	}
}

// leakMutex waits for a mutex whose holder returned without unlocking it.
func leakMutex(mu *sync.Mutex) {
	mu.Lock()
}

// leakWait waits for a WaitGroup nobody will mark done.
func leakWait(wg *sync.WaitGroup) {
	wg.Wait()
}
