package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"time"
)

// The shapes of this file are those real servers show, healthy ones that
// a careless rule calls leaks or stuck, and a leak that hides among
// long-lived goroutines of the same group.

func (l *leaky) stepstop() {
	tick := every(l.stepstopEvery)
	for i := range l.stepstopSteps {
		tick.wait(i)
		for j := range l.stepstopSize {
			l.label("stepstop", i*l.stepstopSize+j)
			go stepStream(l.never)
		}
	}
	tick.Stop()
}

// stepStream is a stream a client opens when it connects and keeps for
// the life of the connection (an etcd lease keep-alive stream): clients
// connect one after another, and then no more connect.
func stepStream(never <-chan struct{}) {
	select {
	case <-never:
	case <-sink:
	}
}

// sink is never sent on: a second case for the waits that select.
var sink = make(chan struct{})

func (l *leaky) lazy() {
	tick := every(l.lazyOver / time.Duration(max(l.lazyN-1, 1)))
	for i := range l.lazyN {
		tick.wait(i)
		l.label("lazy", i)
		go lazyHelper(l.never)
	}
	tick.Stop()
}

// lazyHelper is a helper made on first use of something (a keep-alive
// loop per lease), a few over the first seconds and then no more.
func lazyHelper(never <-chan struct{}) {
	select {
	case <-never:
	case <-sink:
	}
}

func (l *leaky) condwait() {
	ws := make([]*flusher, l.condwaitN)
	for i := range ws {
		ws[i] = &flusher{}
		ws[i].cond.L = &ws[i].mu
		l.label("condwait", i)
		go condWaiter(ws[i])
	}
	tick := every(l.condwaitEvery)
	for range tick.C {
		for _, w := range ws {
			w.mu.Lock()
			w.pending = true
			w.cond.Signal()
			w.mu.Unlock()
		}
	}
}

// flusher is what a condWaiter waits on: a connection's pending output.
type flusher struct {
	mu      sync.Mutex
	cond    sync.Cond
	pending bool
	flushed int
}

// condWaiter is a connection's write loop (nats-server's writeLoop): it
// waits in sync.Cond.Wait for output, flushes it, and waits again. It is
// woken every -condwait-every, so the runtime never sees it blocked for
// long, though a dump nearly always catches it at the same line.
func condWaiter(f *flusher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		for !f.pending {
			f.cond.Wait()
		}
		f.pending = false
		f.flushed++
	}
}

func (l *leaky) selectNone() {
	l.label("select", 0)
	go selectForever()
}

// selectForever parks for good, as a main that has started its servers
// does.
func selectForever() { select {} }

func (l *leaky) deadlock() {
	var mu sync.Mutex
	mu.Lock() // never unlocked
	for i := range l.deadlockN {
		l.label("deadlock", i)
		go deadlocked(&mu)
	}
	// The runtime dates a goroutine's wait (the minutes a dump prints) at
	// the first garbage collection that finds it blocked, to the end of
	// the collection before that one (none before the process's first),
	// and this process allocates too little to collect for minutes: two
	// now, once they block, as a busy service would run, date their wait
	// from about when they blocked.
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	runtime.GC()
}

// deadlocked waits for a lock that is never released: a fixed set,
// blocked from the start, which the runtime sees blocked for minutes.
func deadlocked(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}

func (l *leaky) flap() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
		return
	}
	go acceptConns(ln, l.flapWork)
	addr := ln.Addr().String()
	for i := range l.flapConns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
			return
		}
		l.label("flap", i)
		go feedConn(conn, l.flapEvery, time.Duration(i)*l.flapEvery/time.Duration(l.flapConns))
	}
	tick := every(perSecond(l.flapRate))
	defer tick.Stop()
	for i := range l.flapMax {
		tick.wait(i)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
			return
		}
		l.leakedConns = append(l.leakedConns, conn) // never written to, never closed
	}
}

// acceptConns starts a connReader for each connection it accepts.
func acceptConns(ln net.Listener, work time.Duration) {
	for i := 0; ; i++ {
		conn, err := ln.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
			return
		}
		go connReader(conn, work)
	}
}

// connReader is the read loop of a connection (nats's readLoop): it
// waits for data and handles each message, taking work to do so, away
// from this line. The long-lived connections get a message every
// -flap-every, so a dump sometimes catches their readers handling one;
// the connections leaked after them never get any, and their readers wait
// here for good, in the same group.
func connReader(conn net.Conn, work time.Duration) {
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
			}
			return
		}
		handleMessage(buf[:n], work)
	}
}

// handleMessage handles one message, taking work to do it.
//
//go:noinline
func handleMessage(msg []byte, work time.Duration) {
	if len(msg) > 0 {
		time.Sleep(work)
	}
}

// feedConn is a long-lived client: it sends a message about every
// period (from half to one and a half of it, at random), starting after
// offset, so that the clients take turns and a poll catches a reader
// handling one at random times.
func feedConn(conn net.Conn, period, offset time.Duration) {
	for wait := offset; ; wait = 0 {
		time.Sleep(wait + period/2 + rand.N(period))
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			fmt.Fprintf(os.Stderr, "leaky: flap: %v\n", err)
			return
		}
	}
}
