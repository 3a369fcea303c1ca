package stackparse

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	cases := []struct{ in, want string }{
		{"main.main", "main.main"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"a\u202eb", `a\u202eb`},
		{"line\u2028break\u2029para", `line\u2028break\u2029para`},
		{"main.\u3164\u115f\u1160\uffa0x", `main.\u3164\u115f\u1160\uffa0x`},
		{"tag\U000E0041\U000E0042", `tag\U000e0041\U000e0042`},
		{"\xffbad", `\xffbad`},
		{"emoji 👨\u200d👩\u200d👧 é 한", "emoji 👨\u200d👩\u200d👧 é 한"},
	}
	for _, c := range cases {
		if got := Clean(c.in, 0); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := Clean(c.want, 0); got != c.want {
			t.Errorf("Clean is not idempotent on %q: %q", c.want, got)
		}
	}
}

// TestOddFunctionNames reads frames whose function names panicparse
// leaves empty or takes apart ("/", "<", "]" where Go never prints them,
// and the names of generics and compiler-made functions): every frame
// keeps its function, file and line.
func TestOddFunctionNames(t *testing.T) {
	names := []string{"main.<lambda>/x]", "main.f/g", "/", "main.(*T).f/2", "a/b.</c",
		"main.(*T[...]).f", "main.g[...]", "type:.eq.[2]interface {}", "weird/pkg<2>.F]", "main.a]b", "main.a<b"}
	for _, name := range names {
		in := "goroutine 1 [running]:\n" + name + "(0x1)\n\t/a/x.go:10 +0x1\ncreated by " + name + " in goroutine 2\n\t/a/y.go:20 +0x2\n"
		snap, err := Parse(strings.NewReader(in), GroupCode)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Total != 1 {
			t.Fatalf("%s: %d goroutines", name, snap.Total)
		}
		g := snap.Groups[0]
		want := Frame{Func: name, File: "/a/x.go", Line: 10}
		if len(g.Frames) != 1 || g.Frames[0] != want {
			t.Errorf("%s: frames %+v, want %+v", name, g.Frames, want)
		}
		if c := g.CreatedBy; c == nil || *c != (Frame{Func: name, File: "/a/y.go", Line: 20}) {
			t.Errorf("%s: created by %+v", name, c)
		}
	}
}

// TestHugeID reads a goroutine whose ID does not fit in an int64: it is
// skipped, and a warning says so; the goroutines around it are read.
func TestHugeID(t *testing.T) {
	in := "goroutine 1 [running]:\nmain.main()\n\t/a/x.go:1 +0x1\n\n" +
		"goroutine 18446744073709551615 [select]:\nmain.x()\n\t/a/b.go:1 +0x1\n\n" +
		"goroutine 2 [select]:\nmain.y()\n\t/a/b.go:2 +0x1\n"
	snap, err := Parse(strings.NewReader(in), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	want := "line 5: goroutine 18446744073709551615: ID larger than gorotop reads (9223372036854775807 at most), goroutine skipped"
	if snap.Total != 2 || len(snap.Warnings) != 1 || snap.Warnings[0] != want {
		t.Fatalf("%d goroutines, warnings %q; want 2 and %q", snap.Total, snap.Warnings, want)
	}
}
