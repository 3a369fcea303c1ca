package main

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A goroutine is what the generator reads back from a dump to check it and
// to write the facts table of the README. It is deliberately small: the
// real parser lives in stackparse.
type goroutine struct {
	dump      int    // which dump of a stream, from 0
	id        string // goroutine ID
	header    string // inside the brackets: state, minutes, flags, labels
	frames    []frame
	elided    string // the "...N frames elided..." line, if any
	createdBy string // function of the "created by" line
	createdIn string // "goroutine N" of the "created by" line
	ancestors int    // "[originating from goroutine N]:" blocks
}

// A frame is one function of a stack and where it stopped.
type frame struct {
	fn   string // function without its arguments
	site string // base name of the file and the line
}

// site is the blocking site: the innermost frame of package main, or the
// innermost frame when none is in main.
func (g goroutine) site() frame {
	for _, f := range g.frames {
		if strings.HasPrefix(f.fn, "main.") {
			return f
		}
	}
	if len(g.frames) > 0 {
		return g.frames[0]
	}
	return frame{}
}

// parseDump reads the goroutines of a dump or of a stream of dumps. A
// goroutine header starts a new dump when it is the first, when lines
// that belong to no goroutine (log lines, panic messages) came since the
// last goroutine, or when no blank line separates it from the last one.
func parseDump(b []byte) []goroutine {
	var (
		out      []goroutine
		cur      *goroutine
		dump     = -1
		junk     = true
		blank    bool   // the previous line was empty
		ancestor bool   // in an "[originating from goroutine N]" block
		pending  string // function line waiting for its file line
	)
	for line := range strings.Lines(string(b)) {
		if !strings.HasSuffix(line, "\n") {
			break // a cut dump: the last line is not whole
		}
		line = strings.TrimRight(line, "\r\n")
		wasBlank := blank
		blank = line == ""
		switch {
		case strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, "]:"):
			if junk || !wasBlank {
				dump++
			}
			junk = false
			out = append(out, goroutine{dump: dump})
			cur = &out[len(out)-1]
			cur.id, _, _ = strings.Cut(strings.TrimPrefix(line, "goroutine "), " ")
			open := strings.Index(line, " [")
			cur.header = line[open+2 : len(line)-2]
			ancestor, pending = false, ""
		case cur == nil:
			junk = !blank || junk
		case blank:
			cur = nil
		case strings.HasPrefix(line, "[originating from goroutine "):
			cur.ancestors++
			ancestor = true
		case strings.HasPrefix(line, "...") && strings.HasSuffix(line, "elided..."):
			if !ancestor {
				cur.elided = line
			}
		case strings.HasPrefix(line, "created by "):
			if !ancestor {
				fn := strings.TrimPrefix(line, "created by ")
				cur.createdBy, cur.createdIn, _ = strings.Cut(fn, " in ")
			}
			pending = ""
		case strings.HasPrefix(line, "\t"):
			if pending != "" && !ancestor {
				file, _, _ := strings.Cut(strings.TrimPrefix(line, "\t"), " ")
				cur.frames = append(cur.frames, frame{fn: pending, site: path.Base(file)})
			}
			pending = ""
		case pending != "":
			// Two lines in a row that are not file lines: the goroutine
			// ended and junk follows.
			cur, junk, pending = nil, true, ""
		default:
			pending = funcName(line)
		}
	}
	return out
}

// funcName cuts the argument list off a function line.
func funcName(line string) string {
	if i := strings.LastIndex(line, "("); i > 0 && strings.HasSuffix(line, ")") {
		return line[:i]
	}
	return line
}

// A want is a group a dump must hold: exactly count goroutines whose
// header is header and whose blocking site is in function fn.
type want struct {
	count  int
	header string
	fn     string
}

// check reports the first want that gs does not meet.
func check(gs []goroutine, wants []want) error {
	for _, w := range wants {
		n := 0
		for _, g := range gs {
			if g.header == w.header && g.site().fn == w.fn {
				n++
			}
		}
		if n != w.count {
			return fmt.Errorf("%d goroutines [%s] in %s, want %d", n, w.header, w.fn, w.count)
		}
	}
	return nil
}

// A group is goroutines that share header, blocking site and creator.
type group struct {
	count     int
	header    string
	site      frame
	createdBy string
	creators  map[string]bool // distinct "goroutine N" of the created by lines
	elided    string
	ancestors int
}

// groups groups gs, biggest first.
func groups(gs []goroutine) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, g := range gs {
		s := g.site()
		key := strings.Join([]string{g.header, s.fn, s.site, g.createdBy, g.elided, strconv.Itoa(g.ancestors)}, "\x00")
		gr := byKey[key]
		if gr == nil {
			gr = &group{header: g.header, site: s, createdBy: g.createdBy, creators: map[string]bool{},
				elided: g.elided, ancestors: g.ancestors}
			byKey[key] = gr
			out = append(out, gr)
		}
		gr.count++
		if g.createdIn != "" {
			gr.creators[g.createdIn] = true
		}
	}
	slices.SortStableFunc(out, func(a, b *group) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.site.fn+a.header, b.site.fn+b.header)
	})
	return out
}

// factsTable renders the groups of gs as a Markdown table.
func factsTable(gs []goroutine) string {
	var b bytes.Buffer
	b.WriteString("| count | header `[…]` | blocking function | site | created by | notes |\n")
	b.WriteString("|---:|---|---|---|---|---|\n")
	for _, g := range groups(gs) {
		var notes []string
		if len(g.creators) > 1 {
			notes = append(notes, fmt.Sprintf("%d distinct `in goroutine N`", len(g.creators)))
		}
		if g.elided != "" {
			notes = append(notes, "`"+g.elided+"`")
		}
		if g.ancestors > 0 {
			notes = append(notes, fmt.Sprintf("%d `[originating from goroutine N]` blocks", g.ancestors))
		}
		created := ""
		if g.createdBy != "" {
			created = cell(g.createdBy)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", g.count, cell(g.header), cell(g.site.fn),
			cell(g.site.site), created, strings.Join(notes, ", "))
	}
	return b.String()
}

// cell puts s in a Markdown table cell as a code span; s is Go-quoted
// first if it holds bytes a terminal would act on or invalid UTF-8.
func cell(s string) string {
	note := ""
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
		s, note = strconv.Quote(s), " (Go-quoted)"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``" + note
	}
	return "`" + s + "`" + note
}
