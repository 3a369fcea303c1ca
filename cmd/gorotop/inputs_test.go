package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/stackparse"
)

// headers counts the goroutine headers of a dump, as grep -c '^goroutine '
// does.
func headers(dump []byte) int {
	n := 0
	for line := range bytes.Lines(dump) {
		if bytes.HasPrefix(line, []byte("goroutine ")) {
			n++
		}
	}
	return n
}

// waitGoroutines waits until the process at addr runs at least n
// goroutines, as its ?debug=1 profile counts them.
func waitGoroutines(t *testing.T, addr string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		prof, err := stackparse.ParseProfile(strings.NewReader(testproc.Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=1")))
		if err != nil {
			t.Fatal(err)
		}
		if prof.Total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s runs %d goroutines after 30s, want %d", addr, prof.Total, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// snapshotTotal runs gorotop snapshot --format json and returns the total.
func snapshotTotal(t *testing.T, stdin string, args ...string) int {
	t.Helper()
	code, out, errOut := runIn(t, stdin, append([]string{"snapshot", "--format", "json"}, args...)...)
	var r export.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("snapshot %v: exit %d, stderr %q", args, code, errOut)
	}
	return r.Total
}

// TestLastGoroutineOfLargeDumps: a real net/http/pprof process with 30 000
// goroutines serves a ?debug=2 dump of several MiB that ends with a single
// newline. Every goroutine of it is counted, the last one too: read over
// HTTP (the very bytes fetched are counted), from a file and from standard
// input, as served, with a blank line added and without the final
// newline.
func TestLastGoroutineOfLargeDumps(t *testing.T) {
	addr := testproc.StartLeaky(t, "-mode", "waiters", "-waiters", "30000")
	waitGoroutines(t, addr, 30000)
	target, err := source.ParseTarget(addr)
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(target, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var fetched bytes.Buffer
	var snap *stackparse.Snapshot
	if _, err := src.Next(context.Background(), func(r io.Reader) error {
		snap, err = stackparse.Parse(io.TeeReader(r, &fetched), stackparse.GroupCode)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dump := fetched.Bytes()
	n := headers(dump)
	if len(dump) < 5<<20 || !bytes.HasSuffix(dump, []byte("\n")) || bytes.HasSuffix(dump, []byte("\n\n")) {
		t.Fatalf("the dump is %d bytes, ends %q: want over 5 MiB ending with a single newline", len(dump), dump[max(len(dump)-20, 0):])
	}
	if snap.Total != n {
		t.Errorf("over HTTP: %d goroutines, the body holds %d", snap.Total, n)
	}
	dir := t.TempDir()
	for name, body := range map[string][]byte{
		"as-served":  dump,
		"blank-line": append(bytes.Clone(dump), '\n'),
		"no-newline": bytes.TrimSuffix(dump, []byte("\n")),
	} {
		path := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := snapshotTotal(t, "", path); got != n {
			t.Errorf("%s from a file: %d goroutines, want %d", name, got, n)
		}
		if got := snapshotTotal(t, string(body), "-"); got != n {
			t.Errorf("%s from standard input: %d goroutines, want %d", name, got, n)
		}
	}
	if got := snapshotTotal(t, "", addr); got < n-3 || got > n+3 || strings.Count(string(dump), "main.fixedWaiter(") != 30000 {
		t.Errorf("gorotop snapshot %s: %d goroutines, a moment before %d", addr, got, n)
	}
}
