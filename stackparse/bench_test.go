package stackparse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/gostackparse"
	"github.com/google/pprof/profile"
	"github.com/gorotop/gorotop/internal/benchdump"
	"github.com/maruel/panicparse/v2/stack"
)

// BenchmarkIngest measures ingest of 100 000-goroutine dumps made by a real
// Go process (internal/benchdump; the first run generates and caches them,
// which takes minutes), beside the yardsticks in the same run: panicparse's
// ScanSnapshot + Aggregate(AnyValue) and DataDog's gostackparse.Parse.
//
//	go test ./stackparse -run '^$' -bench Ingest -benchtime 3x -timeout 60m
//
// Each dump is read from its file, streamed, as gorotop reads a body.
// "cold" is a new Parser (first poll); "warm" is a Parser that has parsed
// the same service before and now reads its next poll (new IDs, changed
// wait minutes and arguments, same shapes). The "ratio" sub-benchmark of
// each dump reports gorotop's throughput over gostackparse's as
// x-gostackparse-cold and x-gostackparse-warm, the peak heap of a cold
// ingest over the dump's size as peak-heap/size, and the memory a Parser
// keeps between polls per goroutine as kept-B/goroutine.
func BenchmarkIngest(b *testing.B) {
	for _, d := range []struct {
		name       string
		base, next benchdump.Kind
	}{
		{"short100k", benchdump.Short100k, benchdump.Short100kWarm},
		{"deep100k", benchdump.Deep100k, benchdump.Deep100kWarm},
		{"cut64MiB", benchdump.Deep100kCut, benchdump.Deep100kCut},
	} {
		b.Run(d.name, func(b *testing.B) {
			base, next := dumpPath(b, d.base), dumpPath(b, d.next)
			r := &ingestRun{}
			b.Run("gorotop-cold", func(b *testing.B) {
				r.cold = timeIt(b, base, func(f io.Reader) {
					if _, err := NewParser(GroupCode).Parse(f); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("gorotop-warm", func(b *testing.B) {
				p := NewParser(GroupCode)
				parseFile(b, p, base)
				r.warm = timeIt(b, next, func(f io.Reader) {
					if _, err := p.Parse(f); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("gostackparse", func(b *testing.B) {
				r.gsp = timeIt(b, base, func(f io.Reader) {
					gostackparse.Parse(f)
				})
			})
			if d.name == "short100k" || testing.Short() {
				// Deep dumps take panicparse minutes each.
				b.Run("panicparse", func(b *testing.B) {
					r.pp = timeIt(b, base, func(f io.Reader) {
						panicparseAggregate(b, f)
					})
				})
			}
			b.Run("ratio", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(r.gsp.Seconds()/r.cold.Seconds(), "x-gostackparse-cold")
				b.ReportMetric(r.gsp.Seconds()/r.warm.Seconds(), "x-gostackparse-warm")
				if r.pp > 0 {
					b.ReportMetric(r.pp.Seconds()/r.cold.Seconds(), "x-panicparse-cold")
				}
				peak, size := peakHeap(b, base)
				b.ReportMetric(float64(peak)/float64(size), "peak-heap/size")
				b.ReportMetric(keptPerGoroutine(b, base, next), "kept-B/goroutine")
			})
		})
	}
}

// BenchmarkProfileIngest measures ingest of the goroutine profiles of a
// real Go process with 100 000 goroutines labelled by spawner and tenant
// (internal/benchdump): its ?debug=1 text and its gzipped protobuf, as
// /debug/pprof/goroutine serves them, beside the reader of go tool pprof
// (github.com/google/pprof/profile.Parse, which reads both) in the same
// run. The "ratio" sub-benchmark reports pprof's time over gorotop's as
// x-pprof: above 1, gorotop is faster. gorotop's time includes grouping
// by stack and making a placeholder goroutine per count.
//
//	go test ./stackparse -run '^$' -bench ProfileIngest -benchtime 5x -timeout 60m
func BenchmarkProfileIngest(b *testing.B) {
	for _, d := range []struct {
		name string
		kind benchdump.Kind
	}{
		{"short100k-debug1", benchdump.Short100kDebug1},
		{"short100k-pprof", benchdump.Short100kPprof},
		{"deep100k-debug1", benchdump.Deep100kDebug1},
		{"deep100k-pprof", benchdump.Deep100kPprof},
	} {
		b.Run(d.name, func(b *testing.B) {
			path := dumpPath(b, d.kind)
			var ours, theirs time.Duration
			b.Run("gorotop", func(b *testing.B) {
				ours = timeIt(b, path, func(f io.Reader) {
					snap, err := NewParser(GroupCode).Parse(f)
					if err != nil || snap.Total != 100000 || !snap.CountOnly {
						b.Fatalf("total %d, count-only %v, error %v", snap.Total, snap.CountOnly, err)
					}
				})
			})
			b.Run("pprof", func(b *testing.B) {
				theirs = timeIt(b, path, func(f io.Reader) {
					if _, err := profile.Parse(f); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("ratio", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-pprof")
			})
		})
	}
}

// ingestRun keeps the best time of each contender for the ratios.
type ingestRun struct{ cold, warm, gsp, pp time.Duration }

func dumpPath(b *testing.B, k benchdump.Kind) string {
	b.Helper()
	path, err := benchdump.Path(k)
	if err != nil {
		b.Skipf("no benchmark dump %v: %v", k, err)
	}
	return path
}

// timeIt runs parse over the file b.N times, sets the throughput and
// returns the fastest run.
func timeIt(b *testing.B, path string, parse func(io.Reader)) time.Duration {
	b.Helper()
	size := fileSize(b, path)
	b.SetBytes(size)
	best := time.Duration(1<<63 - 1)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		parse(f)
		best = min(best, time.Since(start))
		f.Close()
	}
	b.ReportMetric(float64(size)/best.Seconds()/1e6, "best-MB/s")
	return best
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

func parseFile(b *testing.B, p *Parser, path string) *Snapshot {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	snap, err := p.Parse(f)
	if err != nil {
		b.Fatal(err)
	}
	return snap
}

// panicparseAggregate is the plain panicparse path: every dump in the
// input, then Aggregate(AnyValue) on each.
func panicparseAggregate(b *testing.B, r io.Reader) int {
	n := 0
	for {
		snap, suffix, err := stack.ScanSnapshot(r, io.Discard, &stack.Opts{})
		if snap != nil {
			n += len(snap.Aggregate(stack.AnyValue).Buckets)
		}
		if len(suffix) == 0 && (err != nil || snap == nil) {
			return n
		}
		r = io.MultiReader(bytes.NewReader(suffix), r)
	}
}

// heapBytes reads the bytes of live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap samples the heap every millisecond during a cold ingest and
// returns its highest rise above the heap before it, and the dump's size.
func peakHeap(b *testing.B, path string) (peak uint64, size int64) {
	runtime.GC()
	before := heapBytes()
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if h := heapBytes(); h > before {
					mu.Lock()
					peak = max(peak, h-before)
					mu.Unlock()
				}
			}
		}
	}()
	snap := parseFile(b, NewParser(GroupCode), path)
	close(done)
	runtime.KeepAlive(snap)
	mu.Lock()
	defer mu.Unlock()
	return peak, fileSize(b, path)
}

// keptPerGoroutine is what a Parser holds between polls, per goroutine of
// the dump: the heap with the Parser alive after two polls, less the heap
// without it, the snapshots dropped.
func keptPerGoroutine(b *testing.B, base, next string) float64 {
	runtime.GC()
	before := heapBytes()
	p := NewParser(GroupCode)
	parseFile(b, p, base)
	total := parseFile(b, p, next).Total
	runtime.GC()
	kept := int64(heapBytes()) - int64(before)
	runtime.KeepAlive(p)
	return float64(max(kept, 0)) / float64(total)
}

// TestIngestMemory checks the memory bounds of the Parser on a dump
// generated here, small enough for every test run.
func TestIngestMemory(t *testing.T) {
	in := []byte(bigDump(24<<20, false))
	runtime.GC()
	before := heapBytes()
	p := NewParser(GroupCode)
	for range 2 {
		if _, err := p.Parse(bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	kept := int64(heapBytes()) - int64(before)
	runtime.KeepAlive(p)
	snap, _ := Parse(bytes.NewReader(in), GroupCode)
	perGoroutine := float64(kept) / float64(snap.Total)
	t.Logf("a Parser keeps %d bytes between polls of %d goroutines: %.1f bytes each", kept, snap.Total, perGoroutine)
	if perGoroutine > 100 {
		t.Errorf("a Parser keeps %.0f bytes per goroutine between polls, want at most 100", perGoroutine)
	}
}

func ExampleParser() {
	p := NewParser(GroupCode)
	dump := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n\n" +
		"goroutine 7 [chan receive, 3 minutes]:\nmain.worker(0xc000012345)\n\t/src/main.go:20 +0x25\ncreated by main.main in goroutine 1\n\t/src/main.go:8 +0x2f\n\n" +
		"goroutine 8 [chan receive, 1 minutes]:\nmain.worker(0xc000067890)\n\t/src/main.go:20 +0x25\ncreated by main.main in goroutine 1\n\t/src/main.go:8 +0x2f\n"
	snap, _ := p.Parse(bytes.NewReader([]byte(dump)))
	for _, g := range snap.Groups {
		fmt.Printf("%d %s %s waiting %d-%dm\n", g.Count(), g.State, g.Top(), g.WaitMin, g.WaitMax)
	}
	// Output:
	// 2 chan receive main.go:20 main.worker waiting 1-3m
	// 1 running main.go:9 main.main waiting 0-0m
}
