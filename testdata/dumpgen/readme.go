package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// readmeIntro opens testdata/dumps/README.md.
const readmeIntro = `# testdata/dumps

Goroutine dumps made by the project's own Go program, ` + "`testdata/dumpgen`" + `, so
that parser tests can assert exact facts. Regenerate them all (about 70 s)
or some of them with:

    go run ./testdata/dumpgen -out testdata/dumps
    go run ./testdata/dumpgen -out testdata/dumps -only labels.txt,leaked.txt

This README is written by dumpgen from the dumps in this directory: do not
edit it by hand. Each dump comes from a fresh process run with
` + "`GOMAXPROCS=2`" + ` (so the runtime's own goroutines are the same everywhere);
` + "`dumpgen -child NAME`" + ` below is dumpgen re-executing itself. Goroutine IDs,
addresses, ` + "`+0x`" + ` offsets, log timestamps and the absolute paths of files
change from run to run and machine to machine; groups, counts, states,
functions and blocking lines (` + "`shapes.go`" + `, ` + "`leaks.go`" + `) do not.

In the facts tables a group is goroutines with the same header (what is
inside ` + "`[…]`" + `), the same blocking site (the innermost frame in package
` + "`main`" + `, else the innermost frame) and the same creator function;
"distinct ` + "`in goroutine N`" + `" counts the different creating goroutines of
a group. Ancestor blocks (` + "`[originating from goroutine N]`" + `) are not frames.

Made with %s %s/%s.

What the Go 1.26 runtime does here, read in its source and seen in these
dumps:

- **Labels** (` + "`GODEBUG=tracebacklabels=1`" + `) print after the state and any
  flags, with no comma: ` + "`[chan receive labels:{\"k\": \"v\"}]`" + `. Keys are sorted;
  keys and values are quoted by ` + "`runtime.printquoted`" + `: ` + "`\\\\` `\\\"` `\\n` `\\r` `\\t`" + `
  for backslash, quote, newline, CR and tab, printable ASCII as is, other bytes below 0x7f as ` + "`\\xNN`" + `, every
  other rune (DEL and non-ASCII included) as ` + "`\\uNNNN`" + ` or ` + "`\\UNNNNNNNN`" + `, and
  each invalid UTF-8 byte as ` + "`\\ufffd`" + `. So a label can hold ` + "`]`" + `, ` + "`}`" + `,
  ` + "`\", \"`" + ` and ` + "`]:`" + ` inside quotes, but never a control byte.
- **Panic messages** are printed raw (` + "`printpanicval`" + `): escapes, CR and
  invalid UTF-8 reach the dump; each ` + "`\\n`" + ` in the message is followed by a
  tab, so a message cannot start a line with ` + "`goroutine `" + `. **File paths** can
  hold escapes too: a ` + "`//line`" + ` directive accepts any valid UTF-8
  (escapes.txt). Function names cannot.
- **goroutineleak** exists only in binaries built with
  ` + "`GOEXPERIMENT=goroutineleakprofile`" + ` (the first such build recompiles the
  standard library: about 90 s here); elsewhere
  ` + "`/debug/pprof/goroutineleak`" + ` is a 404 "Unknown profile". Each request runs
  a GC that marks leaked the goroutines blocked on channels, selects or
  sync primitives (Cond, Mutex, RWMutex, WaitGroup) that no runnable
  goroutine or global can reach; ` + "`sleep`" + `, ` + "`IO wait`" + ` and other states are
  never judged. ` + "`?debug=2`" + ` then writes *every* goroutine, exactly like
  ` + "`goroutine?debug=2`" + `, the proven ones with ` + "`(leaked)`" + ` after the wait
  reason; ` + "`?debug=1`" + ` lists only the leaked ones. The mark stays: later
  ordinary goroutine dumps show ` + "`(leaked)`" + ` too, until the next leak GC
  re-judges them. Proof depends on reachability, not on the code: waiters
  on a lone ` + "`new(sync.Mutex)`" + ` were proven leaked in only about half the
  runs (an 8-byte pointer-free object shares a tiny-allocator block that
  a live neighbour keeps alive); inside a struct, every run (leaks.go).
- **Wait minutes** (` + "`, N minutes`" + `, always plural) come from a stamp a GC
  puts on a blocked goroutine when it scans its stack, and the stamp is the
  end time of the GC before: a goroutine shows minutes only after two GCs
  while it was blocked, and may be shown up to a GC cycle older than it is.
- **Addresses**: heap pointers no longer look like ` + "`0xc000…`" + `: the heap base
  is randomised per process (GOEXPERIMENT randomizedheapbase64, on by
  default), e.g. ` + "`0x2dd3fb58a1e0`" + `.
- **Inlined frames**: a small function started with ` + "`go f(x)`" + ` is inlined
  into the compiler's wrapper, so the goroutine's only frame prints as
  ` + "`main.blockedRecv(...)`" + ` with a file line but no ` + "`+0x`" + ` offset.
- **Ancestors** (` + "`tracebackancestors`" + `): ancestor frames always print
  ` + "`(...)`" + `, their line can differ by one from the ` + "`created by`" + ` line of the
  same call (return address), and their ` + "`created by`" + ` lines have no
  ` + "`in goroutine N`" + `.

| file | how it was made | goroutines | what it exercises |
|---|---|---|---|
`

// writeReadme writes out/README.md from the dumps found in out.
func writeReadme(out string) error {
	var b strings.Builder
	fmt.Fprintf(&b, readmeIntro, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	var sections strings.Builder
	for _, d := range dumps {
		data, err := os.ReadFile(filepath.Join(out, d.file))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		total := strconv.Itoa(len(parseDump(data)))
		if d.total != nil {
			total = d.total(data)
		}
		facts := factsTable(parseDump(data))
		if d.facts != nil {
			facts = d.facts(data)
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", d.file, anchor(d.file), tableCell(d.how), total, tableCell(d.what))
		fmt.Fprintf(&sections, "\n## %s\n\n%d bytes, %s goroutines. %s.\n\n%s", d.file, len(data), total,
			upperFirst(d.what), facts)
	}
	b.WriteString(sections.String())
	return os.WriteFile(filepath.Join(out, "README.md"), []byte(b.String()), 0o644)
}

// tableCell escapes the pipes of s for a Markdown table.
func tableCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// anchor is the GitHub anchor of a "## file" heading.
func anchor(file string) string {
	return strings.ReplaceAll(file, ".", "")
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
