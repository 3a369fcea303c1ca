//lint:file-ignore U1000 the fields give the layers' receivers a shape, as in a real service; nothing reads them.

package service

import (
	"context"
	"time"
)

// Server holds the parts the layers belong to.
type Server struct {
	router  Router
	cache   Cache
	store   Store
	batcher Batcher
	queue   Queue
	client  Client
}

// Conn is a client connection.
type Conn struct{ fd int }

// Header is a request header, passed by value.
type Header struct {
	Method, Path string
	Len          int
}

// Request is a decoded request.
type Request struct{ ID uint64 }

// Item is a batched item.
type Item struct {
	Key   string
	Value []byte
}

// Router routes requests.
type Router struct{ routes int }

// Session is a client session.
type Session struct{ id uint64 }

// Codec decodes payloads.
type Codec struct{}

// Cache is a read-through cache.
type Cache struct{ hits int }

// Store is a database.
type Store struct{ conns int }

// Tx is a transaction.
type Tx struct{ id int64 }

// Batcher batches writes.
type Batcher struct{ pending int }

// Queue schedules flushes.
type Queue struct{ flushes int }

// Pipeline is a staged computation.
type Pipeline struct{ stages int }

// Client calls another service.
type Client struct{ timeout time.Duration }

// Watcher watches configuration keys.
type Watcher struct{ revision int64 }

// The layers: each does a little work with its arguments and calls the
// next one. They are not inlined, so their frames show their arguments.

//go:noinline
func (s *Server) serveConn(c *Call, conn *Conn, bufSize int) {
	if conn.fd >= 0 && bufSize > 0 {
		c.next()
	}
}

//go:noinline
func (s *Server) handleStream(c *Call, streamID uint32, h Header) {
	if streamID != 0 || h.Len >= 0 {
		c.next()
	}
}

//go:noinline
func (r *Router) dispatch(c *Call, method, path string) {
	if len(method)+len(path) > 0 {
		c.next()
	}
}

// authMiddleware is a closure, so its frames read withAuth.func1.
var authMiddleware func(c *Call, token string)

func init() { authMiddleware = withAuth() }

func withAuth() func(c *Call, token string) {
	return func(c *Call, token string) {
		if token != "" {
			c.next()
		}
	}
}

//go:noinline
func (s *Session) process(c *Call, req *Request, deadline time.Time) {
	if req != nil && !deadline.IsZero() {
		c.next()
	}
}

//go:noinline
func decodeFrame(c *Call, buf []byte, flags uint8) {
	if len(buf) >= 0 || flags != 0 {
		c.next()
	}
	_ = buf[:cap(buf)]
}

//go:noinline
func (d *Codec) Unmarshal(c *Call, data []byte, v any) {
	if v != nil && len(data) > 0 {
		c.next()
	}
}

//go:noinline
func retry[T any](c *Call, attempts int, fn func() T) {
	if attempts >= 0 && fn != nil {
		c.next()
	}
}

//go:noinline
func (m *Cache) getOrLoad(c *Call, key string, ttl time.Duration) {
	if key != "" && ttl > 0 {
		c.next()
	}
}

//go:noinline
func (s *Store) query(c *Call, q string, args ...any) {
	if q != "" && len(args) >= 0 {
		c.next()
	}
}

//go:noinline
func (t *Tx) commit(c *Call, id int64, sync bool) {
	if id >= 0 || sync {
		c.next()
	}
}

//go:noinline
func (b *Batcher) flush(c *Call, items []Item, force bool) {
	if len(items) >= 0 || force {
		c.next()
	}
}

//go:noinline
func (q *Queue) scheduleFlush(c *Call, d time.Duration) {
	if d > 0 {
		c.next()
	}
}

//go:noinline
func (p *Pipeline) stage(c *Call, idx int, in float64) {
	if idx >= 0 && in >= 0 {
		c.next()
	}
}

//go:noinline
func (cl *Client) roundTrip(c *Call, req *Request) {
	if req != nil {
		c.next()
	}
}

//go:noinline
func (w *Watcher) watch(c *Call, ctx context.Context, key string) {
	if ctx != nil && key != "" {
		c.next()
	}
}

// The creators start goroutines; "created by" lines name them.

// Accept starts c in a goroutine as a server accepting a connection.
//
//go:noinline
func (s *Server) Accept(c *Call) {
	go c.Run()
}

// Grow starts c in a goroutine as a worker pool growing.
//
//go:noinline
func (b *Batcher) Grow(c *Call) {
	go c.Run()
}

// Subscribe starts c in a goroutine as a watch subscription.
//
//go:noinline
func (w *Watcher) Subscribe(c *Call) {
	go c.Run()
}

// Spawn starts c in a goroutine as a scheduled background job.
//
//go:noinline
func (q *Queue) Spawn(c *Call) {
	go c.Run()
}

// Creators are the functions that start goroutines, by index.
func (s *Server) Creators() []func(*Call) {
	return []func(*Call){s.Accept, s.batcher.Grow, new(Watcher).Subscribe, s.queue.Spawn}
}
