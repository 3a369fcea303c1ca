// Package service is the make-believe service whose goroutines fill the
// benchmark dumps: layers of a server (connections, routing, sessions,
// caches, stores, batchers) with realistic signatures, so that frames
// carry long qualified names, methods, closures, generics and arguments of
// every shape (pointers, strings, slices, structs, interfaces, floats).
//
// A goroutine runs a Call: it walks the Call's path of layers, each layer
// calling the next through (*Call).next the way middleware chains do, and
// blocks at the end in the way its Shape says.
package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Block is how a goroutine blocks at the end of its path.
type Block int

// The ways to block. Only Recv, Send and Select can be released.
const (
	Recv       Block = iota // chan receive on the Call's own channel
	Send                    // chan send on the Call's own channel
	Select                  // select over the Call's channel and the Shape's tick
	Mutex                   // sync.Mutex.Lock on the Shape's locked mutex
	Cond                    // sync.Cond.Wait on the Shape's cond
	WaitGroup               // sync.WaitGroup.Wait on the Shape's WaitGroup
	Sleep                   // time.Sleep for an hour
	NilChan                 // chan receive (nil chan)
	SelectNone              // select (no cases)
	numBlocks
)

// Releasable reports whether goroutines blocked this way can be told to
// exit.
func (b Block) Releasable() bool { return b <= Select }

// A Shape is a group of goroutines with the same stack.
type Shape struct {
	Path  []int // indices of layers, outermost first
	Block Block

	Mu   sync.Mutex     // locked for good by NewShape
	Cond *sync.Cond     // never signalled
	WG   sync.WaitGroup // never done
	Tick chan time.Time // never sent on
}

// NewShape returns a shape whose Mutex and WaitGroup blocks never end.
func NewShape(path []int, b Block) *Shape {
	s := &Shape{Path: path, Block: b, Tick: make(chan time.Time)}
	s.Cond = sync.NewCond(new(sync.Mutex))
	s.Mu.Lock()
	s.WG.Add(1)
	return s
}

// Layers is the number of layers a path can index.
const Layers = 16

// A Call is one goroutine's walk down its shape's path.
type Call struct {
	ID    uint64
	Shape *Shape
	Ready *atomic.Int64 // incremented just before the goroutine blocks
	Done  chan struct{} // closed to release Recv and Select calls
	Out   chan int      // received from to release Send calls
	depth int
	srv   *Server
}

// NewCall returns a call of shape s for goroutine number id.
func NewCall(id uint64, s *Shape, ready *atomic.Int64, srv *Server) *Call {
	c := &Call{ID: id, Shape: s, Ready: ready, srv: srv}
	switch s.Block {
	case Recv, Select:
		c.Done = make(chan struct{})
	case Send:
		c.Out = make(chan int)
	}
	return c
}

// Release makes a goroutine blocked in a releasable way return.
func (c *Call) Release() {
	switch c.Shape.Block {
	case Recv, Select:
		close(c.Done)
	case Send:
		<-c.Out
	}
}

// Run walks the path and blocks; it is what goroutines start with.
func (c *Call) Run() {
	c.depth = -1
	c.next()
}

// next calls the next layer of the path with arguments made up from the
// call, or blocks when the path is done.
//
//go:noinline
func (c *Call) next() {
	c.depth++
	if c.depth >= len(c.Shape.Path) {
		c.block()
		return
	}
	id := c.ID
	switch c.Shape.Path[c.depth] {
	case 0:
		c.srv.serveConn(c, &Conn{fd: int(id % 1024)}, 4096)
	case 1:
		c.srv.handleStream(c, uint32(id), Header{Method: "POST", Path: "/v1/ingest", Len: int(id % 9000)})
	case 2:
		c.srv.router.dispatch(c, "GET", "/api/v2/accounts/{id}/events")
	case 3:
		authMiddleware(c, "Bearer eyJhbGciOi")
	case 4:
		(&Session{id: id}).process(c, &Request{ID: id}, time.Unix(1764097200, int64(id)))
	case 5:
		decodeFrame(c, make([]byte, 16, 64), uint8(id))
	case 6:
		(&Codec{}).Unmarshal(c, []byte(`{"k":1}`), &Request{})
	case 7:
		retry(c, int(id%5), func() *Request { return nil })
	case 8:
		c.srv.cache.getOrLoad(c, "user:profile:12345", 90*time.Second)
	case 9:
		c.srv.store.query(c, "SELECT id FROM events WHERE account = $1", id, "x")
	case 10:
		(&Tx{}).commit(c, int64(id), id%2 == 0)
	case 11:
		c.srv.batcher.flush(c, make([]Item, 3), id%3 == 0)
	case 12:
		c.srv.queue.scheduleFlush(c, 250*time.Millisecond)
	case 13:
		(&Pipeline{}).stage(c, int(id%7), float64(id)/3)
	case 14:
		c.srv.client.roundTrip(c, &Request{ID: id})
	default:
		(&Watcher{}).watch(c, context.Background(), "/config/feature-flags")
	}
}

// block blocks the goroutine the way its shape says.
func (c *Call) block() {
	c.Ready.Add(1)
	s := c.Shape
	switch s.Block {
	case Recv:
		waitForWork(c.Done)
	case Send:
		publish(c.Out, int(c.ID))
	case Select:
		poll(c.Done, s.Tick)
	case Mutex:
		lockShard(&s.Mu)
	case Cond:
		awaitSignal(s.Cond)
	case WaitGroup:
		awaitAll(&s.WG)
	case Sleep:
		backoff(time.Hour)
	case NilChan:
		_ = readNil()
	default:
		park()
	}
}

//go:noinline
func waitForWork(done <-chan struct{}) {
	<-done
}

//go:noinline
func publish(out chan<- int, v int) {
	out <- v
}

//go:noinline
func poll(done <-chan struct{}, tick <-chan time.Time) bool {
	select {
	case <-done:
		return false
	case <-tick:
		return true
	}
}

//go:noinline
func lockShard(mu *sync.Mutex) {
	mu.Lock()
	//lint:ignore SA2001 the goroutine is to wait in Lock on a held mutex; nothing is guarded
	mu.Unlock()
}

//go:noinline
func awaitSignal(cond *sync.Cond) {
	cond.L.Lock()
	cond.Wait()
	cond.L.Unlock()
}

//go:noinline
func awaitAll(wg *sync.WaitGroup) {
	wg.Wait()
}

//go:noinline
func backoff(d time.Duration) {
	time.Sleep(d)
}

//go:noinline
func readNil() int {
	var ch chan int
	return <-ch
}

//go:noinline
func park() {
	select {}
}
