package stackparse

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// distinctDump writes n goroutines whose stacks all differ, as a target
// that generates a function per request serves them: goroutine i calls
// prefix+i, depth frames deep.
func distinctDump(w io.Writer, prefix string, n, depth int) {
	for i := range n {
		fmt.Fprintf(w, "goroutine %d [select]:\n", i+2)
		for d := range depth {
			fmt.Fprintf(w, "main.%s%d.step%d(0xc000%06x)\n\t/src/app/gen.go:%d +0x4c\n", prefix, i, d, i, 10+d)
		}
		fmt.Fprintf(w, "created by main.serve in goroutine 1\n\t/src/app/serve.go:86 +0x25\n\n")
	}
}

// boundedParser returns a Parser that keeps at most groups groups and
// newFrames new frames of a dump, and keep frames of shapes between
// parses.
func boundedParser(groups, newFrames, keep int) *Parser {
	p := NewParser(GroupCode)
	p.lim.groups, p.lim.newFrames, p.lim.keepFrames = groups, newFrames, keep
	return p
}

// parseWith parses in as Parse does, within lim.
func parseWith(lim limits, in io.Reader) (*Snapshot, error) {
	p := NewParser(GroupCode)
	p.lim = lim
	return p.Parse(in)
}

// checkOther checks that a snapshot of n goroutines of distinct stacks
// holds `groups` groups of one and the rest in the group of other stacks,
// and says so.
func checkOther(t *testing.T, snap *Snapshot, n, groups int) {
	t.Helper()
	if snap.Total != n || len(snap.Groups) != groups+1 {
		t.Fatalf("%d goroutines in %d groups, want %d in %d", snap.Total, len(snap.Groups), n, groups+1)
	}
	other := snap.Groups[0]
	if other.Top().Func != OtherStacks || other.Count() != n-groups || other.Top().Site() != "-" {
		t.Fatalf("largest group: %s at %s ×%d, want %s ×%d", other.Top().Func, other.Top().Site(), other.Count(), OtherStacks, n-groups)
	}
	for _, g := range snap.Groups[1:] {
		if g.Count() != 1 || g.Top().Func == OtherStacks {
			t.Fatalf("group %s: %d goroutines", g.Top().Func, g.Count())
		}
	}
	want := fmt.Sprintf("%d goroutines past that are counted together as %s", n-groups, OtherStacks)
	if len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], want) {
		t.Fatalf("warnings %q, want one saying %q", snap.Warnings, want)
	}
}

// TestGroupBound reads a dump of more distinct stacks than a snapshot
// keeps groups for, read by one core and by two: the groups stop at the
// bound, the goroutines past it are counted in the group of other stacks,
// and a warning says so.
func TestGroupBound(t *testing.T) {
	var b strings.Builder
	distinctDump(&b, "handler", 20000, 2)
	for _, parallel := range []bool{false, true} {
		p := boundedParser(1000, 1<<19, 1<<19)
		p.lim.parallel = parallel
		snap, err := p.Parse(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		checkOther(t, snap, 20000, 1000)
		if parallel && p.last.Helped == 0 {
			t.Fatal("the second core read nothing")
		}
	}
}

// TestNewFramesBound reads deep distinct stacks: the frames of new shapes
// a snapshot takes in are bounded, whatever the number of groups.
func TestNewFramesBound(t *testing.T) {
	var b strings.Builder
	distinctDump(&b, "deep", 60, 100)
	snap, err := boundedParser(1<<16, 1000, 1<<19).Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	checkOther(t, snap, 60, 10)
}

// TestShapeCacheBound polls a target whose stacks change: the shapes a
// Parser keeps between polls stay within its bound, and those gone from
// the target go first.
func TestShapeCacheBound(t *testing.T) {
	dump := func(prefix string) string {
		var b strings.Builder
		distinctDump(&b, prefix, 30, 2) // 30 shapes of 2 frames: 90 against the bound
		return b.String()
	}
	p := boundedParser(1<<16, 1<<19, 100)
	parse := func(in string) stats {
		t.Helper()
		if _, err := p.Parse(strings.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		return p.last
	}
	a, b := dump("a"), dump("b")
	parse(a)
	if st := parse(b); st.Cached*3 > 100 || st.Evicted < 27 || st.EvictedInUse != 0 {
		t.Fatalf("after a second dump of other shapes: %+v, want at most 33 cached, 27 of the first evicted", st)
	}
	if st := parse(b); st.Parsed != 0 {
		t.Fatalf("the latest shapes were not kept: %+v", st)
	}
	if st := parse(a); st.Parsed < 27 {
		t.Fatalf("the shapes gone were kept: %+v", st)
	}
	// Shapes unused for keepParses parses go, whatever the bound.
	p = NewParser(GroupCode)
	parse(a)
	for i := range keepParses {
		if st := parse(dump(fmt.Sprint("n", i))); i < keepParses-1 && st.Evicted != 0 {
			t.Fatalf("parse %d evicted %d shapes under the bound", i, st.Evicted)
		}
	}
	if st := parse(b); st.Evicted != 30 {
		t.Fatalf("the shapes unused for %d parses: %+v, want 30 evicted", keepParses, st)
	}
	if st := parse(a); st.Parsed != 30 {
		t.Fatalf("the shapes unused for %d parses were kept: %+v", keepParses, st)
	}
	p.lim.keepFrames = 100
	var both strings.Builder
	distinctDump(&both, "c", 50, 2)
	if st := parse(both.String()); st.Cached*3 > 100 || st.EvictedInUse == 0 {
		t.Fatalf("a dump of more shapes than the bound: %+v, want at most 33 cached", st)
	}
}

// TestShareCache: parsers that read the same dumps under three groupings
// keep a third of the shape cache each, so that together they keep what
// one would.
func TestShareCache(t *testing.T) {
	var b strings.Builder
	distinctDump(&b, "s", 100, 2) // 100 shapes of 2 frames: 300 against the bound
	for _, n := range []int{1, 3} {
		p := boundedParser(1<<16, 1<<19, 300)
		p.ShareCache(n)
		if _, err := p.Parse(strings.NewReader(b.String())); err != nil {
			t.Fatal(err)
		}
		if got, want := p.last.Cached*3, 300/n; got > want || got < want-3 {
			t.Errorf("sharing with %d: %d shapes cached (%d against the bound), want about %d", n, p.last.Cached, got, want)
		}
	}
}
