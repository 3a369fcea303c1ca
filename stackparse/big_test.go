package stackparse

import (
	"fmt"
	"strings"
	"testing"
)

// TestLargerThanBuffer parses a dump several times the reader's buffer, so
// that header text is overwritten in the buffer before its goroutine ends.
func TestLargerThanBuffer(t *testing.T) {
	var b strings.Builder
	n := 0
	for b.Len() < 5<<20 {
		n++
		fmt.Fprintf(&b, "goroutine %d [chan receive, %d minutes labels:{\"tenant\": \"t%d\"}]:\n", n, n%7, n%3)
		for d := range 5 + n%4 {
			fmt.Fprintf(&b, "main.leaf%d(0x%x, {0x%x, 0x1})\n\t/src/app/main.go:%d +0x%x\n", d, n, n*3, 10+d, d)
		}
		fmt.Fprintf(&b, "created by main.spawn in goroutine %d\n\t/src/app/main.go:99 +0x1d\n\n", n%11+1)
	}
	snap, err := Parse(strings.NewReader(b.String()), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Total != n || len(snap.Groups) != 4 {
		t.Fatalf("total %d groups %d, want %d and 4", snap.Total, len(snap.Groups), n)
	}
	for _, g := range snap.Groups {
		if g.State != "chan receive" || len(g.States) != 1 || g.WaitMin != 0 || g.WaitMax != 6 {
			t.Errorf("group %s: state %q states %v wait %d-%d", g.Key, g.State, g.States, g.WaitMin, g.WaitMax)
		}
		for _, gr := range g.Goroutines {
			want := fmt.Sprintf("t%d", gr.ID%3)
			if len(gr.Labels) != 1 || gr.Labels[0] != (Label{"tenant", want}) {
				t.Fatalf("goroutine %d: labels %v, want tenant=%s", gr.ID, gr.Labels, want)
			}
			if gr.Parent != gr.ID%11+1 {
				t.Fatalf("goroutine %d: parent %d", gr.ID, gr.Parent)
			}
		}
	}
}
