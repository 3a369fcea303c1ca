package tui

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// hostile is a dump whose names, files, states and labels carry terminal
// escape sequences: an OSC 52 clipboard write and a screen clear.
const hostile = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1\n\n" +
	"goroutine 7 [chan receive\x1b[2J, 3 minutes labels:{\"k\x1b]52;c;ZXZpbA==\x07\": \"v\x1b[31mred\"}]:\n" +
	"main.evil\x1b]52;c;ZXZpbA==\x07(...)\n\t/src/evil\x1b[2J.go:12 +0x1\n" +
	"created by main.spawn\x1b[2J in goroutine 1\n\t/src/x\x1b[2J.go:3 +0x2\n\n" +
	"goroutine 8 [chan receive\x1b[2J, 3 minutes labels:{\"k\x1b]52;c;ZXZpbA==\x07\": \"v\x1b[31mred\"}]:\n" +
	"main.evil\x1b]52;c;ZXZpbA==\x07(...)\n\t/src/evil\x1b[2J.go:12 +0x1\n" +
	"created by main.spawn\x1b[2J in goroutine 1\n\t/src/x\x1b[2J.go:3 +0x2\n"

// rawHostile builds a snapshot by hand with raw escapes everywhere, as if
// a parser let them through: the UI must clean them itself.
func rawHostile() *stackparse.Snapshot {
	esc := "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b31m"
	g := &stackparse.Group{
		Key:       "evil" + esc,
		State:     "select" + esc,
		States:    map[string]int{"select" + esc: 2},
		Frames:    []stackparse.Frame{{Func: "main.(*T" + esc + ").run", File: "/src/" + esc + "t.go", Line: 5}},
		CreatedBy: &stackparse.Frame{Func: "main.go" + esc, File: "/src/" + esc, Line: 1},
		Goroutines: []stackparse.Goroutine{
			{ID: 1, State: "select" + esc, Labels: []stackparse.Label{{Key: "k" + esc, Value: "v" + esc}}},
			{ID: 2, State: "select" + esc, Labels: []stackparse.Label{{Key: "k" + esc, Value: "v" + esc}}},
		},
	}
	return &stackparse.Snapshot{Total: 2, Groups: []*stackparse.Group{g}, Warnings: []string{"junk " + esc}}
}

func TestNoEscapeFromTheDump(t *testing.T) {
	parsed, err := stackparse.Parse(strings.NewReader(hostile), stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	for name, snap := range map[string]*stackparse.Snapshot{"parsed": parsed, "raw": rawHostile()} {
		for _, noColor := range []bool{true, false} {
			h := newHarness(t, Config{NoColor: noColor, Target: "http://x\x1b[2J/"},
				result{sample: poll.Sample{Snap: snap, Meta: dumpsource.Meta{At: t0, Source: "src\x1b[2J"}}},
				result{err: errors.New("fetch: bad header \x1b]52;c;ZXZpbA==\x07\x1b[2J")})
			h.polls(2)
			var views []string
			screen := func() { views = append(views, h.m.View().Content) }
			screen()
			h.press("s", "s", "s", "s")
			screen()
			h.press("enter")
			h.send(tea.WindowSizeMsg{Width: 200, Height: 60})
			screen()
			h.press("esc", "g")
			screen()
			h.press("enter")
			screen()
			h.press("esc", "g", "/")
			h.typeText("evil")
			h.send(tea.PasteMsg{Content: "\x1b[2J"})
			screen()
			for i, v := range views {
				if noColor && strings.IndexByte(v, 0x1b) >= 0 {
					t.Errorf("%s, no colour, screen %d: an ESC byte reached the view:\n%q", name, i, v)
				}
				for _, seq := range []string{"\x1b]", "\x1b[2J", "\x07", "\x9b", "\u009b"} {
					if strings.Contains(v, seq) {
						t.Errorf("%s, colour=%v, screen %d: %q reached the view", name, !noColor, i, seq)
					}
				}
			}
			if !bytes.Contains([]byte(views[2]), []byte(`\x1b`)) {
				t.Errorf("%s: the escapes are not shown as text", name)
			}
		}
	}
}

// wideNames are names whose width terminals measure differently, or
// which a cut by runes splits: emoji, a ZWJ family, a skin tone, a
// variation selector, combining marks, Hangul jamo, CJK.
var wideNames = []string{
	"main.(*Family👨\u200d👩\u200d👧).run", "main.caf\u0301e\u20dd", "main.ok👍🏽", "main.smile☺\ufe0f",
	"main.\u1100\u1161\u11a8한", "main.函数处理器😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
}

// TestWideText draws groups named with wideNames at several widths: every
// line of the table is as wide as the UI meant, measured per character
// (wcwidth) and per cluster alike, so no column shifts on any terminal.
func TestWideText(t *testing.T) {
	snap := &stackparse.Snapshot{}
	for i, name := range wideNames {
		g := &stackparse.Group{
			Key: fmt.Sprint(i), State: "chan receive", States: map[string]int{"chan receive": 1},
			Frames:    []stackparse.Frame{{Func: name, File: "/src/" + name + "/x.go", Line: 3}},
			CreatedBy: &stackparse.Frame{Func: name + ".spawn", File: "/src/y.go", Line: 1},
			Goroutines: []stackparse.Goroutine{{ID: int64(i + 1), State: "chan receive",
				Labels: []stackparse.Label{{Key: "k", Value: name}}}},
		}
		snap.Groups = append(snap.Groups, g)
		snap.Total++
	}
	for _, w := range []int{60, 80, 123, 200} {
		h := newHarness(t, Config{NoColor: true}, result{sample: smp(snap, t0)})
		h.send(windowSize(w, 30))
		h.polls(1)
		rows := 0
		for _, line := range strings.Split(h.view(), "\n") {
			cells, wc := ansi.StringWidth(line), ansi.StringWidthWc(line)
			if cells != wc || cells > w {
				t.Fatalf("width %d: a line is %d cells by cluster, %d by character: %q", w, cells, wc, line)
			}
			if strings.Contains(line, " chan receive ") {
				rows++
				if cells != w-1 && cells != w {
					t.Errorf("width %d: a row is %d cells wide: %q", w, cells, line)
				}
			}
		}
		if rows != len(wideNames) {
			t.Fatalf("width %d: %d rows of %d:\n%s", w, rows, len(wideNames), h.view())
		}
		h.press("enter")
		for _, line := range strings.Split(h.view(), "\n") {
			if cells, wc := ansi.StringWidth(line), ansi.StringWidthWc(line); cells != wc || cells > w {
				t.Fatalf("width %d, detail: a line is %d cells by cluster, %d by character: %q", w, cells, wc, line)
			}
		}
	}
}

// TestFitLeftWide cuts wide text from the left by cells, never through a
// character.
func TestFitLeftWide(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"😀😀😀😀", 5, "…😀😀"},
		{"😀😀😀😀", 4, "…😀 "},
		{"a函数", 4, "…数 "},
		{"abc", 5, "abc  "},
	} {
		got := fitLeft(c.in, c.width)
		if ansi.StringWidth(got) != c.width || got != c.want {
			t.Errorf("fitLeft(%q, %d) = %q (%d cells), want %q", c.in, c.width, got, ansi.StringWidth(got), c.want)
		}
	}
}
