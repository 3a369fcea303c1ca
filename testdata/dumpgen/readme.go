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
