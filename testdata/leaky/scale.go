package main

import (
	"runtime"
	"sync"
	"time"
)

// The shapes of this file are those of a big service: a base of many
// goroutines parked for good, and healthy shapes whose counts move a lot.

// parkedOn is what the parked goroutines wait for: a channel the process
// can still reach, so that the goroutineleak profile does not prove them
// leaked.
var parkedOn = make(chan struct{})

// park starts l.parkN parked goroutines, from one spawner per P at once,
// and returns when they are all started: 100 000 take a fraction of a
// second.
func (l *leaky) park() {
	var wg sync.WaitGroup
	spawners := runtime.GOMAXPROCS(0)
	for s := range spawners {
		wg.Go(func() {
			l.label("park", s)
			for i := s; i < l.parkN; i += spawners {
				go parked(parkedOn)
			}
		})
	}
	wg.Wait()
}

// parked is one of the many goroutines of a big service that wait for
// the life of the process (connections, subscriptions, timers).
func parked(on <-chan struct{}) { <-on }

func (l *leaky) warmup() {
	jobs := make(chan int)
	tick := every(l.warmupOver / time.Duration(max(l.warmupWorkers-1, 1)))
	for i := range l.warmupWorkers {
		tick.wait(i)
		l.label("warmup", i)
		go warmWorker(jobs)
		if i == 0 {
			go feedJobs(jobs)
		}
	}
	tick.Stop()
}

// warmWorker is a worker of a pool that starts its workers one by one
// over -warmup-over, as they are first needed, and then holds them.
func warmWorker(jobs <-chan int) {
	for job := range jobs {
		_ = job * 2
	}
}

// feedJobs hands a warm-up pool a job every 10 ms.
func feedJobs(jobs chan<- int) {
	tick := every(10 * time.Millisecond)
	for i := 0; ; i++ {
		tick.wait(i)
		jobs <- i
	}
}

func (l *leaky) sawtooth() {
	for n := 0; ; {
		var release sync.WaitGroup
		release.Add(1)
		tick := every(perSecond(l.sawtoothRate))
		end := time.Now().Add(l.sawtoothPile)
		for i := 0; time.Now().Before(end); i++ {
			tick.wait(i)
			l.label("sawtooth", n)
			n++
			go barrierWaiter(&release)
		}
		tick.Stop()
		release.Done()
		time.Sleep(l.sawtoothGap)
	}
}

// barrierWaiter is one of the waiters that pile up, -sawtooth-rate a
// second for -sawtooth-pile, and are released together; then, after
// -sawtooth-gap, the next pile-up starts.
func barrierWaiter(release *sync.WaitGroup) { release.Wait() }

func (l *leaky) backlog() {
	var turn sync.Mutex
	turn.Lock()
	take := perSecond(l.backlogRate)
	for i := range l.backlogN {
		l.label("backlog", i)
		go backlogTask(&turn, take)
	}
	turn.Unlock()
}

// backlogTask is one of -backlog-n tasks queued at the start, each
// waiting its turn; they are done -backlog-rate a second, so the backlog
// drains.
func backlogTask(turn *sync.Mutex, take time.Duration) {
	turn.Lock()
	defer turn.Unlock()
	time.Sleep(take)
}
