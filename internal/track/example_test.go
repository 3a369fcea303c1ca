package track_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// dump prints a goroutine dump of a service with a fixed pool of 4 workers
// and leaked flush goroutines with IDs from 100 to last.
func dump(last int) string {
	var b strings.Builder
	for id := 20; id < 24; id++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive, 30 minutes]:\n"+
			"example.com/app/worker.(*Pool).run()\n\t/src/app/worker/pool.go:41 +0x3a\n"+
			"created by example.com/app/worker.New in goroutine 1\n\t/src/app/worker/pool.go:30 +0x95\n\n", id)
	}
	for id := 100; id <= last; id++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive]:\n"+
			"example.com/app/queue.(*MemQueue).scheduleFlush.func1()\n\t/src/app/queue/queue.go:88 +0x3a\n"+
			"created by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine 7\n\t/src/app/queue/queue.go:84 +0x95\n\n", id)
	}
	return b.String()
}

// Drive a Tracker from successive snapshots: parse each dump, then Observe
// it with the time it was taken. The end-to-end suite does the same with
// dumps fetched from a real process.
func Example() {
	tr := track.New(track.Options{})
	start := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	for i := range 16 { // 30 s at 2 s polls, 5 leaked goroutines a poll
		snap, err := stackparse.Parse(strings.NewReader(dump(100+5*i)), stackparse.GroupCode)
		if err != nil {
			panic(err)
		}
		tr.Observe(start.Add(time.Duration(i)*2*time.Second), snap)
	}
	for _, t := range tr.View().Trends() {
		top := t.Group.Top()
		fmt.Printf("%-6d %s %s suspect=%v %s\n", t.Count, top.Site(), t.Group.State, t.Suspect, t.Reason)
	}
	// Output:
	// 76     queue.go:88 chan receive suspect=true +150/min (+75 in 30s), 0 exited, oldest 30s
	// 4      pool.go:41 chan receive suspect=false
}
