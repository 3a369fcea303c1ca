package stackparse

import (
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

// bigDump makes a dump of about size bytes with several shapes, states,
// labels and creators, and, if junk is set, log lines and a second dump
// (goroutine IDs start over) in the middle.
func bigDump(size int, junk bool) string {
	var b strings.Builder
	n := 0
	for b.Len() < size {
		n++
		id := n
		if junk && b.Len() > size/2 && b.Len() < size/2+2000 {
			fmt.Fprintf(&b, "2026/11/25 19:00:00 log line %d between dumps\n\n", n)
		}
		if junk && b.Len() > size/2 {
			id = n + 1 - size/2/400 // the second dump's IDs repeat the first's
		}
		state := []string{"chan receive", "select", "IO wait", "chan receive (leaked)"}[n%4]
		fmt.Fprintf(&b, "goroutine %d [%s, %d minutes labels:{\"tenant\": \"t%d\"}]:\n", id, state, n%7, n%3)
		for d := range 3 + n%9 {
			fmt.Fprintf(&b, "example.com/app/pkg%d.leaf%d(0x%x, {0x%x, 0x1})\n\t/src/app/pkg/file%d.go:%d +0x%x\n", d%3, d, n, n*3, d, 10+d, d)
		}
		fmt.Fprintf(&b, "created by example.com/app.spawn in goroutine %d\n\t/src/app/main.go:99 +0x1d\n\n", n%11+1)
	}
	return b.String()
}

// TestParallelMatchesSequential checks that a parse on two cores gives
// exactly the groups, counts, warnings and line numbers of a parse on one.
func TestParallelMatchesSequential(t *testing.T) {
	for _, junk := range []bool{false, true} {
		in := bigDump(12<<20, junk)
		in += "goroutine 999999999 [running]:\nmain.cut(0x1"
		sequential := defaultLimits()
		sequential.parallel = false
		want, err := parseWith(sequential, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{1 << 20, 4 << 20} {
			p := NewParser(GroupCode)
			p.lim.window = w
			for poll := range 2 {
				got, err := p.Parse(iotest.HalfReader(strings.NewReader(in)))
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprintf("junk=%v/window=%d/poll=%d", junk, w, poll), func(t *testing.T) {
					compareSnapshots(t, got, want)
					if got.Dumps != want.Dumps || got.Truncated != want.Truncated || got.Bytes != want.Bytes {
						t.Errorf("dumps/truncated/bytes %d/%v/%d, sequential %d/%v/%d", got.Dumps, got.Truncated, got.Bytes, want.Dumps, want.Truncated, want.Bytes)
					}
					if p.last.Helped == 0 {
						t.Error("no part was read by a second core")
					}
					if strings.Join(got.Warnings, "\n") != strings.Join(want.Warnings, "\n") {
						t.Errorf("warnings %q, sequential %q", got.Warnings, want.Warnings)
					}
				})
			}
		}
		if junk && want.Dumps != 2 || !junk && want.Dumps != 1 || !want.Truncated {
			t.Errorf("junk=%v: sequential parse saw %d dumps, truncated %v", junk, want.Dumps, want.Truncated)
		}
	}
}
