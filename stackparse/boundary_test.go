package stackparse

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// Endings of a dump's last goroutine: net/http/pprof ends a ?debug=2 dump
// with a single newline; runtime.Stack output pasted into a file often
// has no final newline; SIGQUIT output and most saved files end with a
// blank line.
var endings = []struct {
	name string
	tail string
}{
	{"no-newline", ""},
	{"newline", "\n"},
	{"blank-line", "\n\n"},
}

// sizedDump returns a dump of exactly size bytes, ending as tail says,
// and how many goroutines it holds. A junk line at the start pads it to
// size.
func sizedDump(size int, tail string) (string, int) {
	const most = 400 // longer than any goroutine written here
	for len(goroutineEnds) == 0 || goroutineEnds[len(goroutineEnds)-1] < size {
		n := len(goroutineEnds) + 1
		b := &goroutineText
		if n > 1 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(b, "goroutine %d [chan receive, %d minutes]:\nexample.com/app/queue.(*MemQueue).scheduleFlush.func%d(0xc%09x)\n\t/src/app/queue/queue.go:%d +0x%x\n",
			n, n%5, n%3, n, 88+n%4, n%64)
		fmt.Fprintf(b, "example.com/app/queue.wrap(...)\n\t/src/app/queue/wrap.go:%d\n", 10+n%7)
		fmt.Fprintf(b, "created by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine %d\n\t/src/app/queue/queue.go:84 +0x1d", n%13+1)
		goroutineEnds = append(goroutineEnds, b.Len())
	}
	n, _ := slices.BinarySearch(goroutineEnds, size-most-len(tail)-8)
	body := goroutineText.String()[:goroutineEnds[n]] + tail
	return "pad" + strings.Repeat(".", size-len(body)-4) + "\n" + body, n + 1
}

// goroutineText holds the goroutines sizedDump cuts dumps from, and
// goroutineEnds where each ends.
var (
	goroutineText strings.Builder
	goroutineEnds []int
)

// scanBounds returns the input sizes where the scanner's reads change:
// its buffer starts at firstWindow and doubles up to the window w at each
// read, then reads a window at a time; a read that reaches the end of the
// input with at least 2*minHelp bytes unread hands half of them to a
// second core.
func scanBounds(w int) []int {
	var bounds []int
	for b := firstWindow; b < w; b *= 2 {
		bounds = append(bounds, b)
	}
	for b := w; b <= 2*w; b += w {
		bounds = append(bounds, b)
	}
	for _, b := range slices.Clone(bounds) {
		bounds = append(bounds, b+2*minHelp)
	}
	slices.Sort(bounds)
	return slices.Compact(bounds)
}

// TestLastGoroutineAtEveryBoundary reads dumps whose sizes fall just
// under, at and just over each buffer and window boundary the scanner
// has (the first buffer, the least a second core is given, the usual
// window, two windows), ending with no newline, a single newline or a
// blank line, through readers that hand over all they can, half of it, or
// the last bytes with io.EOF; on one core and two. (Dumps of 3 and 5 MiB
// ending with a single newline lost their last goroutine on two cores.) Every goroutine is
// counted, the last one too, and the groups are those of a sequential
// parse.
func TestLastGoroutineAtEveryBoundary(t *testing.T) {
	sequential := defaultLimits()
	sequential.parallel = false
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"half", iotest.HalfReader},
		{"data-eof", iotest.DataErrReader},
	}
	for _, w := range []int{defaultLimits().window} {
		for _, bound := range scanBounds(w) {
			for _, delta := range []int{-1, 0, 1} {
				for _, end := range endings {
					size := bound + delta
					in, n := sizedDump(size, end.tail)
					if len(in) != size {
						t.Fatalf("sizedDump made %d bytes, want %d", len(in), size)
					}
					want, err := parseWith(sequential, strings.NewReader(in))
					if err != nil {
						t.Fatal(err)
					}
					for _, rd := range readers {
						name := fmt.Sprintf("window=%d/size=%d/%s/%s", w, size, end.name, rd.name)
						got, err := Parse(rd.wrap(strings.NewReader(in)), GroupCode)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if got.Total != n || want.Total != n {
							t.Errorf("%s: %d goroutines on two cores, %d on one; the dump holds %d", name, got.Total, want.Total, n)
							continue
						}
						if got.Truncated || len(got.Warnings) > 0 || got.Bytes != int64(size) {
							t.Errorf("%s: truncated %v, warnings %q, %d bytes read", name, got.Truncated, got.Warnings, got.Bytes)
						}
						compareSnapshots(t, got, want)
					}
				}
			}
		}
	}
}

// TestHelperPartEndsAtInputEnd: when a second core's part of the window
// runs to the end of the input, a goroutine cut off there is reported as
// the sequential scan reports it.
func TestHelperPartEndsAtInputEnd(t *testing.T) {
	in, n := sizedDump(3<<20, "\n")
	in += "goroutine 999999 [running]:\nmain.cut(0x1)\n"
	sequential := defaultLimits()
	sequential.parallel = false
	want, err := parseWith(sequential, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser(GroupCode)
	got, err := p.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.last.Helped == 0 {
		t.Fatal("no part was read by a second core")
	}
	if got.Total != n+1 || !got.Truncated || !want.Truncated {
		t.Errorf("total %d (want %d), truncated %v (sequential %v)", got.Total, n+1, got.Truncated, want.Truncated)
	}
	if strings.Join(got.Warnings, "\n") != strings.Join(want.Warnings, "\n") {
		t.Errorf("warnings %q, sequential %q", got.Warnings, want.Warnings)
	}
	compareSnapshots(t, got, want)
}

// TestOverlongLines: junk lines just under, at and over the longest line
// the scanner keeps outside goroutines, before a dump and between its
// goroutines, cost no goroutine.
func TestOverlongLines(t *testing.T) {
	dump, n := sizedDump(200<<10, "\n")
	dump = dump[strings.IndexByte(dump, '\n')+1:] // without its padding
	for _, size := range []int{maxLine - 1, maxLine, maxLine + 1, 2*maxLine + 5} {
		junk := strings.Repeat("x", size)
		mid := strings.Index(dump, "\n\ngoroutine 100 ") + 2
		for _, in := range []string{
			junk + "\n" + dump,
			dump[:mid] + junk + "\n\n" + dump[mid:],
			dump + "\n" + junk,
		} {
			snap, err := Parse(iotest.HalfReader(strings.NewReader(in)), GroupCode)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Total != n || snap.Truncated {
				t.Errorf("junk line of %d bytes: %d goroutines (want %d), truncated %v", size, snap.Total, n, snap.Truncated)
			}
		}
	}
}

// TestGoroutineOverMaxWindow: a goroutine just under the most the window
// grows to is read whole; one over it is cut with a warning; the
// goroutines after it are read either way.
func TestGoroutineOverMaxWindow(t *testing.T) {
	lim := defaultLimits()
	lim.window, lim.maxWindow = firstWindow, 1<<20
	arg := strings.Repeat("0x1, ", 20<<10/5)
	frame := "main.big(" + arg + "0x2)\n\t/src/app/big.go:7 +0x1\n"
	for _, frames := range []int{40, 48, 52, 60} {
		var b strings.Builder
		b.WriteString("goroutine 1 [running]:\nmain.small()\n\t/src/app/main.go:1 +0x1\n\n")
		b.WriteString("goroutine 2 [select]:\n")
		b.WriteString(strings.Repeat(frame, frames))
		b.WriteString("created by main.main in goroutine 1\n\t/src/app/main.go:3 +0x1\n\n")
		b.WriteString("goroutine 3 [chan receive]:\nmain.after()\n\t/src/app/main.go:9 +0x1\n")
		body := len(frame)*frames + 60
		snap, err := parseWith(lim, strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		cut := strings.Contains(strings.Join(snap.Warnings, "\n"), "larger than 1 MiB")
		if snap.Total != 3 {
			t.Errorf("goroutine of %d bytes: %d goroutines, want 3 (warnings %q)", body, snap.Total, snap.Warnings)
		}
		if over := body > lim.maxWindow; cut != over {
			t.Errorf("goroutine of %d bytes (most %d): cut %v, warnings %q", body, lim.maxWindow, cut, snap.Warnings)
		}
	}
}
