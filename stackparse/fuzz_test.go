package stackparse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the ingest path. It must not panic,
// must account for every goroutine it counts, must give the same groups
// through a tiny window as through a large one, and must never let a
// control byte through into what it returns.
//
//	go test ./stackparse -run '^$' -fuzz FuzzParse -fuzztime 10m
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "dumps", "*"))
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil || strings.HasSuffix(path, ".md") {
			continue
		}
		if strings.HasSuffix(path, ".gz") {
			// Protobuf profiles, gzipped as served and unpacked.
			f.Add(b)
			if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				if raw, err := io.ReadAll(zr); err == nil {
					f.Add(raw)
				}
			}
			continue
		}
		if len(b) > 16<<10 {
			// The start of a large dump or log (dumps in logs carry a
			// prefix on every line), cut after a line.
			b = b[:bytes.LastIndexByte(b[:16<<10], '\n')+1]
		}
		f.Add(b)
	}
	f.Add([]byte("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n"))
	f.Add([]byte("goroutine 7 gp=0x1 m=nil [chan receive (leaked), 3 minutes, locked to thread labels:{\"k\": \"v]\"}]:\nmain.f(...)\n\t/a.go:2\ncreated by main.g in goroutine 1\n\t/a.go:3 +0x2\n[originating from goroutine 1]:\nmain.g(...)\n\t/a.go:4\n"))
	f.Add([]byte("junk\r\n\tgoroutine 3 [select]:\n\tmain.h()\n\t\t/b.go:9 +0x1\n\t...additional frames elided...\n"))
	// Deeper than the frames kept, with ancestry after the cut; more
	// distinct stacks than the (lowered) bounds keep.
	var deep bytes.Buffer
	deepDump(&deep, maxFrames+3)
	deep.WriteString("[originating from goroutine 1]:\nmain.g(...)\n\t/a.go:4\n")
	f.Add(deep.Bytes())
	var distinct bytes.Buffer
	distinctDump(&distinct, "h", 12, 3)
	f.Add(distinct.Bytes())
	// Names panicparse takes apart, an ID past int64, text that hides.
	f.Add([]byte("goroutine 1 [running]:\nmain.<lambda>/x](0x1)\n\t/a/x.go:10 +0x1\ncreated by a/b.</c in goroutine 2\n\t/a/y.go:20 +0x2\n\n" +
		"goroutine 18446744073709551615 [select]:\nmain.x()\n\t/a/b.go:1 +0x1\n\n" +
		"goroutine 3 [select\u2028x labels:{\"k\": \"\u3164\U000E0041\"}]:\nmain.\u115f()\n\t/a/b.go:2 +0x1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := defaultLimits()
		lim.window, lim.groups, lim.newFrames = 4<<20, 8, 64
		big, err := parseWith(lim, bytes.NewReader(in))
		var notOurs *NotGoroutinesError
		if errors.As(err, &notOurs) {
			// A profile of something else, or binary data: one line.
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a two-line error: %q", err)
			}
			checkClean(t, err.Error())
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		lim.window = 7
		small, err := parseWith(lim, bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, g := range big.Groups {
			sum += g.Count()
			if g.Count() == 0 || g.Blocking >= len(g.Frames) {
				t.Fatalf("group %s: count %d, blocking %d of %d frames", g.Key, g.Count(), g.Blocking, len(g.Frames))
			}
			checkClean(t, g.State, g.Key)
			for st := range g.States {
				checkClean(t, st)
			}
			for _, fr := range g.Frames {
				checkClean(t, fr.Func, fr.File)
			}
			for _, gr := range g.Goroutines {
				for _, l := range gr.Labels {
					checkClean(t, l.Key, l.Value)
				}
			}
		}
		checkClean(t, big.Warnings...)
		if sum != big.Total || big.Bytes != int64(len(in)) {
			t.Fatalf("groups hold %d of %d goroutines; read %d of %d bytes", sum, big.Total, big.Bytes, len(in))
		}
		if small.Total != big.Total || len(small.Groups) != len(big.Groups) || small.Truncated != big.Truncated {
			t.Fatalf("window 7: %d goroutines in %d groups (cut %v); window 4 MiB: %d in %d (cut %v)",
				small.Total, len(small.Groups), small.Truncated, big.Total, len(big.Groups), big.Truncated)
		}
		for i := range big.Groups {
			if small.Groups[i].Key != big.Groups[i].Key || small.Groups[i].Count() != big.Groups[i].Count() {
				t.Fatalf("group %d differs between windows: %s×%d, %s×%d", i, small.Groups[i].Key, small.Groups[i].Count(), big.Groups[i].Key, big.Groups[i].Count())
			}
		}
	})
}

func checkClean(t *testing.T, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if Clean(s, 0) != s {
			t.Fatalf("unsafe text returned: %q", s)
		}
	}
}
