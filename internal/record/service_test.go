package record

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"sync"
	"testing"
	"time"
)

// service is this test process made to look like a steady Go service:
// goroutines in a few shapes (workers waiting for jobs, selects, a pile-up
// behind a held mutex, timers), some of which end and are replaced between
// polls, so that IDs and arguments change a little from dump to dump. Its
// dumps come from net/http/pprof over a real loopback HTTP server.
type service struct {
	t     testing.TB
	rng   *rand.Rand
	held  sync.Mutex
	stops []chan struct{}
	srv   *httptest.Server
}

type job struct {
	id int
}

//go:noinline
func serviceWorker(j *job, stop chan struct{}) { <-stop; _ = j }

//go:noinline
func serviceSelect(stop, never chan struct{}, n int) {
	select {
	case <-stop:
	case <-never:
	}
	_ = n
}

//go:noinline
func serviceLocker(m *sync.Mutex, stop chan struct{}) {
	m.Lock()
	//lint:ignore SA2001 the goroutine is to wait in Lock on a held mutex; nothing is guarded
	m.Unlock()
	<-stop
}

//go:noinline
func serviceTimer(d time.Duration, stop chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}

// startService starts n goroutines and a pprof server; both end with the
// test.
func startService(t testing.TB, n int) *service {
	s := &service{t: t, rng: rand.New(rand.NewPCG(1, 2))}
	s.held.Lock()
	for range n {
		s.spawn()
	}
	s.srv = httptest.NewServer(pprof.Handler("goroutine"))
	t.Cleanup(func() {
		s.srv.Close()
		for _, c := range s.stops {
			close(c)
		}
		s.held.Unlock()
	})
	return s
}

func (s *service) spawn() {
	stop := make(chan struct{})
	s.stops = append(s.stops, stop)
	switch s.rng.IntN(4) {
	case 0:
		go serviceWorker(&job{id: s.rng.Int()}, stop)
	case 1:
		go serviceSelect(stop, make(chan struct{}), s.rng.Int())
	case 2:
		go serviceLocker(&s.held, stop)
	case 3:
		go serviceTimer(time.Hour, stop)
	}
}

// churn ends gone goroutines and starts born ones.
func (s *service) churn(gone, born int) {
	for range gone {
		i := s.rng.IntN(len(s.stops))
		close(s.stops[i])
		s.stops[i] = s.stops[len(s.stops)-1]
		s.stops = s.stops[:len(s.stops)-1]
	}
	for range born {
		s.spawn()
	}
}

// poll fetches a debug=2 dump and hands its body to read, as a source
// would, and returns its Meta.
func (s *service) poll(read func(io.Reader) error) Meta {
	s.t.Helper()
	url := s.srv.URL + "/debug/pprof/goroutine?debug=2"
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	wait := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s", url, resp.Status)
	}
	cr := &countReader{r: resp.Body}
	if err := read(cr); err != nil {
		s.t.Fatal(err)
	}
	return Meta{Source: url, At: start, Wait: wait, Duration: time.Since(start), Bytes: cr.n}
}

// fetch returns a dump and its Meta.
func (s *service) fetch() (Meta, []byte) {
	s.t.Helper()
	var body []byte
	meta := s.poll(func(r io.Reader) error {
		var err error
		body, err = io.ReadAll(r)
		return err
	})
	return meta, body
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
