package main

import (
	"runtime"
	"sync"
	"time"
)

// The goroutine shapes every dump is built from. Their blocking lines are
// facts the parser tests assert (see testdata/dumps/README.md): edit this
// file only at its end, or regenerate the dumps and the README together.

// never is received from by goroutines meant to block forever; nobody
// sends on it.
var never = make(chan int)

// sink is sent to by goroutines meant to block forever; nobody receives
// from it.
var sink = make(chan int)

// pileMu is the mutex the lockMutex goroutines pile up behind.
var pileMu sync.Mutex

// rw is the RWMutex of the rw* shapes.
var rw sync.RWMutex

// cond is the sync.Cond the condWait goroutines wait on.
var cond = sync.NewCond(new(sync.Mutex))

// gate is a WaitGroup that is never done.
var gate sync.WaitGroup

func init() { gate.Add(1) }

// blockedRecv waits on a channel receive forever.
func blockedRecv(id int) int {
	v := <-never
	return v + id
}

// blockedSelect waits in a two-case select forever. Not inlined, so its
// frame shows its arguments (inlined ones print "(...)").
//
//go:noinline
func blockedSelect(id int, other chan string) int {
	select {
	case v := <-never:
		return v + id
	case <-other:
		return id
	}
}

// holdMutex takes pileMu and keeps it while it waits forever.
func holdMutex() {
	pileMu.Lock()
	<-never
	pileMu.Unlock()
}

// lockMutex piles up behind pileMu.
func lockMutex(id int) int {
	pileMu.Lock()
	defer pileMu.Unlock()
	return id
}

// sleeper sleeps for an hour.
func sleeper(d time.Duration) {
	time.Sleep(d)
}

// blockedSend sends on a channel nobody reads.
//
//go:noinline
func blockedSend(id int) {
	sink <- id
}

// lockedThread locks its OS thread and waits forever.
func lockedThread() {
	runtime.LockOSThread()
	<-never
}

// spawner starts n goroutines in a loop, each waiting on gate, then blocks
// in an empty select.
func spawner(n int) {
	for i := 0; i < n; i++ {
		go func(i int) {
			gate.Wait()
			_ = i
		}(i)
	}
	select {}
}

// condWait waits on cond forever.
func condWait() {
	cond.L.Lock()
	cond.Wait()
	cond.L.Unlock()
}

// nilRecv receives from a nil channel.
func nilRecv() {
	var ch chan int
	<-ch
}

// rwReader takes a read lock and keeps it while it waits forever.
func rwReader() {
	rw.RLock()
	<-never
	rw.RUnlock()
}

// rwWriter waits for the write lock behind rwReader.
func rwWriter() {
	rw.Lock()
	rw.Unlock()
}

// rwLateReader waits for a read lock behind the waiting rwWriter.
func rwLateReader() {
	rw.RLock()
	rw.RUnlock()
}

// recurse calls itself depth times, then waits forever.
func recurse(depth int) int {
	if depth == 0 {
		return <-never
	}
	return recurse(depth-1) + 1
}

// chain starts the next link of a chain of goroutines and returns; the
// last link starts leaves waiting forever.
func chain(depth, leaves int) {
	if depth == 0 {
		for i := 0; i < leaves; i++ {
			go blockedRecv(i)
		}
		return
	}
	go chain(depth-1, leaves)
}

// A memQueue is a batching queue that leaks a goroutine per flush (see
// scheduleFlush).
type memQueue struct {
	ticker *time.Ticker
}

// scheduleFlush starts a goroutine per flush timer; a flush from another
// path stops the ticker, so the goroutine waits on q.ticker.C forever.
func (q *memQueue) scheduleFlush() {
	q.ticker = time.NewTicker(time.Hour)
	go func() {
		<-q.ticker.C
	}()
	q.ticker.Stop()
}

// drain is a generic function: its frames print as main.drain[...].
//
//go:noinline
func drain[T any](ch chan T) T {
	return <-ch
}

// burstWorker waits until its burst is over.
func burstWorker(done <-chan struct{}) {
	<-done
}

// crasher panics with msg.
func crasher(msg string) {
	panic(msg)
}
