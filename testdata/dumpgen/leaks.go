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
	mu := new(sync.Mutex)
	mu.Lock()
	for i := 0; i < 2; i++ {
		go leakMutex(mu)
	}
	wg := new(sync.WaitGroup)
	wg.Add(1)
	go leakWait(wg)
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
