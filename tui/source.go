package tui

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Source lines shown around a blocking frame, and the largest file read.
const (
	sourceContext = 2
	sourceMaxSize = 8 << 20
)

// source is the text around one line of one file, or why it is missing.
type source struct {
	path  string // the local file found
	first int    // line number of lines[0]
	lines []string
	err   error
}

// sourceKey names a file and line.
func sourceKey(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

// loadSource finds file (a path from the dump) under dir and reads the
// lines around line, in a tea.Cmd.
func loadSource(dir, file string, line int) tea.Cmd {
	return func() tea.Msg {
		src := readSource(dir, file, line)
		return sourceMsg{key: sourceKey(file, line), src: src}
	}
}

// candidates are the local paths that may hold a file named in a dump:
// the path's tails under dir, longest first, then the path itself.
func candidates(dir, file string) []string {
	file = filepath.ToSlash(file)
	parts := strings.Split(strings.TrimLeft(file, "/"), "/")
	var out []string
	for i := range parts {
		tail := filepath.Join(parts[i:]...)
		if tail == "" || strings.HasPrefix(tail, "..") {
			continue
		}
		out = append(out, filepath.Join(dir, tail))
	}
	if filepath.IsAbs(file) {
		out = append(out, filepath.FromSlash(file))
	}
	return out
}

// readSource reads the lines around line from the first candidate that
// exists.
func readSource(dir, file string, line int) source {
	if line <= 0 || file == "" {
		return source{err: errors.New("no line number")}
	}
	for _, path := range candidates(dir, file) {
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if st.Size() > sourceMaxSize {
			return source{path: path, err: fmt.Errorf("%s is too big to read", path)}
		}
		return readLines(path, line)
	}
	return source{err: fmt.Errorf("%s not found under %s", filepath.Base(file), dir)}
}

// readLines reads the lines of path around line.
func readLines(path string, line int) source {
	f, err := os.Open(path)
	if err != nil {
		return source{path: path, err: err}
	}
	defer f.Close()
	src := source{path: path, first: max(line-sourceContext, 1)}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan() && n <= line+sourceContext; n++ {
		if n >= src.first {
			src.lines = append(src.lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return source{path: path, err: err}
	}
	if src.first+len(src.lines) <= line {
		return source{path: path, err: fmt.Errorf("%s has fewer than %d lines: not the file that ran", path, line)}
	}
	return src
}
