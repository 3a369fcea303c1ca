package main

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/benchdump/gen/service"
)

// A plannedShape is a shape, how many goroutines of it the first dump
// holds, and how its goroutines are started.
type plannedShape struct {
	shape *service.Shape
	count int
	start func(c *service.Call)

	mu   sync.Mutex
	live []*service.Call // started and not released
}

// planDeep plans the deep family: nShapes shapes of 4 to 30 frames
// (service layers, each followed by (*Call).next) sharing workers
// goroutines with Zipf-like counts, started by the four service creators.
func planDeep(srv *service.Server, workers, nShapes int) []*plannedShape {
	rng := rand.New(rand.NewPCG(1, 2))
	creators := srv.Creators()
	counts := zipfCounts(workers, nShapes)
	var plan []*plannedShape
	for i := 0; i < nShapes; i++ {
		path := make([]int, 1+rng.IntN(14))
		for j := range path {
			path[j] = rng.IntN(service.Layers)
		}
		b := service.Block(rng.IntN(int(service.NilChan) + 2))
		if i < 4 {
			b = service.Block(i % 3) // the biggest groups can churn
		}
		plan = append(plan, &plannedShape{
			shape: service.NewShape(path, b),
			count: counts[i],
			start: creators[i%len(creators)],
		})
	}
	return plan
}

// shortFuncs are the functions short goroutines run, with how they block.
var shortFuncs = []struct {
	run   func(c *service.Call)
	block service.Block
}{
	{worker, service.Recv},
	{sender, service.Send},
	{poller, service.Select},
	{locker, service.Mutex},
	{sleeper, service.Sleep},
	{waiter, service.WaitGroup},
}

// planShort plans the short family: every short function started by each
// of two creators, Zipf-like counts.
func planShort(workers int) []*plannedShape {
	starts := []func(c *service.Call, run func(*service.Call)){startWorker, startJob}
	n := len(shortFuncs) * len(starts)
	counts := zipfCounts(workers, n)
	var plan []*plannedShape
	for i := 0; i < n; i++ {
		f := shortFuncs[i%len(shortFuncs)]
		start := starts[i/len(shortFuncs)]
		plan = append(plan, &plannedShape{
			shape: service.NewShape(nil, f.block),
			count: counts[i],
			start: func(c *service.Call) { start(c, f.run) },
		})
	}
	return plan
}

// zipfCounts splits total into n counts falling off like 1/(i+1)^0.9,
// each at least 1, biggest first.
func zipfCounts(total, n int) []int {
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 0.9)
		sum += weights[i]
	}
	counts := make([]int, n)
	left := total
	for i := range counts {
		counts[i] = max(1, int(float64(total)*weights[i]/sum))
		left -= counts[i]
	}
	counts[0] += left
	return counts
}

// The short functions: one frame each, blocking right there.

func worker(c *service.Call) {
	c.Ready.Add(1)
	<-c.Done
}

func sender(c *service.Call) {
	c.Ready.Add(1)
	c.Out <- int(c.ID)
}

func poller(c *service.Call) {
	c.Ready.Add(1)
	select {
	case <-c.Done:
	case <-c.Shape.Tick:
	}
}

func locker(c *service.Call) {
	c.Ready.Add(1)
	c.Shape.Mu.Lock()
}

func sleeper(c *service.Call) {
	c.Ready.Add(1)
	time.Sleep(time.Hour)
}

func waiter(c *service.Call) {
	c.Ready.Add(1)
	c.Shape.WG.Wait()
}

// startWorker and startJob are the creators of short goroutines.

//go:noinline
func startWorker(c *service.Call, run func(*service.Call)) {
	go run(c)
}

//go:noinline
func startJob(c *service.Call, run func(*service.Call)) {
	go run(c)
}
