package stackparse

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// deepDump writes goroutines of the given depths, innermost frame first,
// as a hostile target could serve them (the runtime prints at most 100
// frames of a goroutine).
func deepDump(w io.Writer, depths ...int) {
	for i, depth := range depths {
		fmt.Fprintf(w, "goroutine %d [chan receive]:\n", i+1)
		for d := range depth {
			fmt.Fprintf(w, "main.recurse(0x%x)\n\t/src/app/recurse.go:%d +0x2f\n", d, 10+d%4)
		}
		fmt.Fprintf(w, "created by main.main in goroutine 1\n\t/src/app/main.go:20 +0x25\n\n")
	}
}

// TestDeepStack reads goroutines far deeper than the runtime prints: each
// keeps its innermost maxFrames frames and its creator, counts as elided,
// and the snapshot says once what was left out. Goroutines that differ
// only past the cut share a group.
func TestDeepStack(t *testing.T) {
	var b strings.Builder
	deepDump(&b, 3*maxFrames, 5, maxFrames+1, maxFrames)
	for _, w := range []int{4 << 20, 64} {
		lim := defaultLimits()
		lim.window = w
		snap, err := parseWith(lim, strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if snap.Total != 4 || len(snap.Groups) != 3 {
			t.Fatalf("window %d: %d goroutines in %d groups, want 4 in 3", w, snap.Total, len(snap.Groups))
		}
		deep := snap.Groups[0]
		if deep.Count() != 2 || len(deep.Frames) != maxFrames || !deep.Elided {
			t.Fatalf("window %d: the deep group holds %d goroutines, %d frames (elided %v); want 2, %d, true", w, deep.Count(), len(deep.Frames), deep.Elided, maxFrames)
		}
		if deep.CreatedBy == nil || deep.CreatedBy.Func != "main.main" || deep.CreatedBy.Line != 20 {
			t.Fatalf("window %d: creator %+v", w, deep.CreatedBy)
		}
		if f := deep.Frames[maxFrames-1]; f.Func != "main.recurse" || f.Line != 10+(maxFrames-1)%4 {
			t.Fatalf("window %d: last frame kept %+v", w, f)
		}
		for _, g := range snap.Groups[1:] {
			if g.Elided {
				t.Errorf("window %d: a stack of %d frames is marked elided", w, len(g.Frames))
			}
		}
		want := fmt.Sprintf("2 goroutines are deeper than %d frames (the runtime prints at most 100): the innermost %d of each are kept, %d more left out", maxFrames, maxFrames, 2*maxFrames+1)
		if len(snap.Warnings) != 1 || snap.Warnings[0] != want {
			t.Fatalf("window %d: warnings %q, want %q", w, snap.Warnings, want)
		}
	}
}

// TestDeepStackStreams reads one goroutine of 40 MB of frames: what it
// allocates stays near the window's size, whatever the depth, as the
// frames past the cut stream through the window.
func TestDeepStackStreams(t *testing.T) {
	var b strings.Builder
	deepDump(&b, 800_000)
	in := b.String()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	snap, err := Parse(strings.NewReader(in), GroupCode)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Total != 1 || len(snap.Groups[0].Frames) != maxFrames {
		t.Fatalf("%d goroutines, %d frames", snap.Total, len(snap.Groups[0].Frames))
	}
	windows := 3
	if raceEnabled {
		windows = 4 // seen: 12 MB and a little over three windows under -race
	}
	window := defaultLimits().window
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(windows*window) {
		t.Fatalf("reading a %d MB goroutine allocated %d MB, want at most %d MB (%d windows)", len(in)>>20, alloc>>20, windows*window>>20, windows)
	}
}
