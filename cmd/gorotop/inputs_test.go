package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

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

// liveFiles fetches a running leaky at addr the three ways net/http/pprof
// serves goroutines: ?debug=1, the default URL (a gzipped protobuf
// profile) and ?debug=2, into files of dir.
func liveFiles(t *testing.T, addr, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for name, query := range map[string]string{"debug1.txt": "?debug=1", "goroutine.pb.gz": "", "debug2.txt": "?debug=2"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(testproc.Fetch(t, "http://"+addr+"/debug/pprof/goroutine"+query)), 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = path
	}
	return files
}

// formatCase is one input format and what gorotop must show of it.
type formatCase struct {
	name    string
	path    string // a file, or a URL
	stdin   bool   // also read it from standard input
	format  string // input.format in JSON
	log     string // input.log in JSON
	fn      string // a function the snapshot must hold, with its site
	site    string
	state   string // that group's state
	labels  bool   // its goroutines carry the route label
	lacking bool   // the format lacks IDs, states, waits
}

// TestEveryFormatEveryCommand reads each input format, made by real
// processes, with every command and every output format each lists:
// snapshot (text, json, html, pprof), check (the same four), diff (text,
// json), record and a snapshot of the recording; from files, standard
// input and URLs. Profiles say what they lack, and their groups are named
// by their frames.
func TestEveryFormatEveryCommand(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=1")
	addr := testproc.StartLeaky(t, "-mode", "steady,pool,waiters", "-labels", "-steady-rate", "20")
	waitGoroutines(t, addr, 20)
	dir := t.TempDir()
	files := liveFiles(t, addr, dir)
	steady := strconv.Itoa(leakyLine(t, "steadyLeak"))
	dumps := "../../testdata/dumps/"
	cases := []formatCase{
		{name: "?debug=2 file", path: files["debug2.txt"], stdin: true, format: "dump", fn: "main.steadyLeak", site: "main.go:" + steady, state: "chan receive", labels: true},
		{name: "?debug=1 file", path: files["debug1.txt"], stdin: true, format: "debug=1", fn: "main.steadyLeak", site: "main.go:" + steady, state: stackparse.CountsOnlyState, labels: true, lacking: true},
		{name: "pprof file", path: files["goroutine.pb.gz"], stdin: true, format: "pprof", fn: "main.steadyLeak", site: "main.go:" + steady, state: stackparse.CountsOnlyState, labels: true, lacking: true},
		{name: "?debug=1 URL", path: "http://" + addr + "/debug/pprof/goroutine?debug=1", format: "debug=1", fn: "main.steadyLeak", site: "main.go:" + steady, state: stackparse.CountsOnlyState, labels: true, lacking: true},
		{name: "pprof URL", path: "http://" + addr + "/debug/pprof/goroutine?debug=0", format: "pprof", fn: "main.steadyLeak", site: "main.go:" + steady, state: stackparse.CountsOnlyState, labels: true, lacking: true},
		{name: "kubectl/docker log", path: dumps + "sigquit-timestamps.txt", stdin: true, format: "dump", log: stackparse.LogTimestamp.String(), fn: "main.blockedRecv", site: "shapes.go:37", state: "chan receive"},
		{name: "CRI log", path: dumps + "sigquit-cri.log", stdin: true, format: "dump", log: stackparse.LogCRI.String(), fn: "main.blockedRecv", site: "shapes.go:37", state: "chan receive"},
		{name: "journald log", path: dumps + "sigquit-journald.txt", stdin: true, format: "dump", log: stackparse.LogJournal.String(), fn: "main.blockedRecv", site: "shapes.go:37", state: "chan receive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body string
			if c.stdin {
				b, err := os.ReadFile(c.path)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			for _, from := range []string{"file", "stdin"} {
				target := c.path
				if from == "stdin" {
					if !c.stdin {
						continue
					}
					target = "-"
				}
				checkFormats(t, c, from, body, target)
			}
		})
	}

	// diff: two ?debug=1 profiles of the leaking process a few seconds
	// apart, and a profile against its pprof sibling: the same stacks,
	// the same keys.
	time.Sleep(1500 * time.Millisecond)
	later := filepath.Join(dir, "later-debug1.txt")
	os.WriteFile(later, []byte(testproc.Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=1")), 0o644)
	code, out, errOut := runIn(t, "", "diff", files["debug1.txt"], later)
	if code != 0 || !regexp.MustCompile(`(?m)^\+\d+  grew  \d+ → \d+  counts only\n    blocked at main\.go:\d+  main\.steadyLeak$`).MatchString(out) {
		t.Errorf("diff of two ?debug=1 profiles: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, errOut = runIn(t, "", "diff", "--format", "json", files["debug1.txt"], files["goroutine.pb.gz"])
	var d struct {
		Groups []struct {
			Change string `json:"change"`
			Count  int    `json:"current_count"`
		} `json:"groups"`
	}
	same := 0
	if json.Unmarshal([]byte(out), &d) == nil {
		for _, g := range d.Groups {
			if g.Change == "same" || g.Change == "grew" || g.Change == "shrank" {
				same++
			}
		}
	}
	if code != 0 || same < 4 {
		t.Errorf("diff of a ?debug=1 profile and the pprof profile of the same process: exit %d, %d groups matched, stderr %q:\n%s", code, same, errOut, out)
	}
	for _, format := range []string{"html", "pprof"} {
		code, _, errOut := runIn(t, "", "diff", "--format", format, files["debug1.txt"], later)
		if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "diff writes text or json") {
			t.Errorf("diff --format %s: exit %d, stderr %q; want a one-line refusal", format, code, errOut)
		}
	}

	// record: a URL that serves ?debug=1 and one that serves protobuf,
	// replayed by snapshot and check.
	for _, q := range []string{"?debug=1", "?debug=0"} {
		rec := filepath.Join(dir, "rec"+q[len(q)-1:]+".rec")
		code, _, errOut := runIn(t, "", "record", "-o", rec, "--for", "1500ms", "-i", "500ms", "http://"+addr+"/debug/pprof/goroutine"+q)
		if code != 0 {
			t.Errorf("record %s: exit %d, stderr %q", q, code, errOut)
			continue
		}
		r := snapshotJSON(t, "", rec)
		if !r.CountOnly() || groupOf(r, "main.steadyLeak") == nil {
			t.Errorf("snapshot of the recording of %s: input %+v, %d groups", q, r.Input, len(r.Groups))
		}
		if code, out, errOut := runIn(t, "", "check", rec); code == 2 || !strings.Contains(out, "gorotop check of") {
			t.Errorf("check of the recording of %s: exit %d, stderr %q:\n%s", q, code, errOut, out)
		}
	}
}

// report is a gorotop/v1 document as the tests read it.
type report struct {
	export.Report
}

// CountOnly reports whether the report says its format lacks IDs.
func (r report) CountOnly() bool { return slices.Contains(r.Input.Lacks, "goroutine_ids") }

// snapshotJSON runs gorotop snapshot --format json and reads the report.
func snapshotJSON(t *testing.T, stdin string, args ...string) report {
	t.Helper()
	code, out, errOut := runIn(t, stdin, append([]string{"snapshot", "--format", "json"}, args...)...)
	var r report
	if code != 0 || json.Unmarshal([]byte(out), &r.Report) != nil {
		t.Fatalf("snapshot %v: exit %d, stderr %q", args, code, errOut)
	}
	return r
}

// groupOf finds the report's group blocked in fn.
func groupOf(r report, fn string) *export.Group {
	for i, g := range r.Groups {
		if g.BlockedAt != nil && g.BlockedAt.Func == fn {
			return &r.Groups[i]
		}
	}
	return nil
}

// checkFormats runs snapshot and check on one input, read from target
// (stdin holds its bytes for "-"), in every output format.
func checkFormats(t *testing.T, c formatCase, from, stdin, target string) {
	t.Helper()
	what := c.name + " from " + from
	lacks := stackparse.FormatDebug1.Lacks()
	if c.format == "pprof" {
		lacks = stackparse.FormatPprof.Lacks()
	}
	// snapshot, text
	code, out, errOut := runIn(t, stdin, "snapshot", target)
	row := regexp.MustCompile(`(?m)^#\d+  [\d ]+  ` + regexp.QuoteMeta(c.state) + `\b.*\n    blocked at ` + regexp.QuoteMeta(c.site) + `  ` + regexp.QuoteMeta(c.fn) + `$`)
	if code != 0 || !row.MatchString(out) || c.lacking != strings.Contains(out, "warning: "+lacks) || (c.log != "") != strings.Contains(out, "read from a "+c.log) {
		t.Errorf("%s: snapshot: exit %d, stderr %q:\n%s", what, code, errOut, out)
	}
	// snapshot, json
	r := snapshotJSON(t, stdin, target)
	g := groupOf(r, c.fn)
	if r.Input.Format != c.format || r.Input.Log != c.log || r.CountOnly() != c.lacking || g == nil || g.State != c.state ||
		c.lacking && len(g.GoroutineIDs) > 0 || !c.lacking && len(g.GoroutineIDs) != g.Count || c.labels && len(g.Labels["route"]) == 0 {
		t.Errorf("%s: snapshot json: input %+v, group %+v", what, r.Input, g)
	}
	// snapshot, html and pprof, to files
	out1 := filepath.Join(t.TempDir(), "snap")
	if code, _, errOut := runIn(t, stdin, "snapshot", "--format", "html", "-o", out1+".html", target); code != 0 {
		t.Errorf("%s: snapshot html: exit %d, %q", what, code, errOut)
	} else if page, _ := os.ReadFile(out1 + ".html"); !strings.Contains(string(page), `<figure class="bars">`) || !strings.Contains(string(page), html.EscapeString(c.fn)) ||
		c.lacking != strings.Contains(string(page), "Read from a ") && c.log == "" {
		t.Errorf("%s: snapshot html: no bars, no %s, or the input not said", what, c.fn)
	}
	if code, _, errOut := runIn(t, stdin, "snapshot", "--format", "pprof", "-o", out1+".pb.gz", target); code != 0 {
		t.Errorf("%s: snapshot pprof: exit %d, %q", what, code, errOut)
	} else if n := pprofTotal(t, out1+".pb.gz"); n != r.Total && !strings.HasPrefix(target, "http") || n == 0 {
		t.Errorf("%s: snapshot pprof holds %d goroutines, the snapshot %d", what, n, r.Total)
	}
	// check, every format
	check := []string{"check", "--for", "1s", "-i", "300ms"}
	code, out, errOut = runIn(t, stdin, append(check, target)...)
	if code == 2 || !strings.Contains(out, "gorotop check of") || c.lacking != strings.Contains(out, lacks) {
		t.Errorf("%s: check: exit %d, stderr %q:\n%s", what, code, errOut, out)
	}
	code, out, errOut = runIn(t, stdin, append(check, "--format", "json", target)...)
	var cr export.Report
	if code == 2 || json.Unmarshal([]byte(out), &cr) != nil || cr.Input.Format != c.format || len(cr.Groups) == 0 || cr.Groups[0].Trend == nil {
		t.Errorf("%s: check json: exit %d, stderr %q, input %+v", what, code, errOut, cr.Input)
	}
	if code, _, errOut := runIn(t, stdin, append(check, "--format", "html", "-o", out1+"-check.html", target)...); code == 2 {
		t.Errorf("%s: check html: exit %d, %q", what, code, errOut)
	} else if page, _ := os.ReadFile(out1 + "-check.html"); !strings.Contains(string(page), "<dt>history</dt>") || !strings.Contains(string(page), html.EscapeString(c.fn)) {
		t.Errorf("%s: check html: not the page of a run", what)
	}
	if code, _, errOut := runIn(t, stdin, append(check, "--format", "pprof", "-o", out1+"-check.pb.gz", target)...); code == 2 {
		t.Errorf("%s: check pprof: exit %d, %q", what, code, errOut)
	} else if pprofTotal(t, out1+"-check.pb.gz") == 0 {
		t.Errorf("%s: check pprof: an empty profile", what)
	}
}

// pprofTotal reads a profile gorotop wrote with go tool pprof's reader
// and sums its goroutines.
func pprofTotal(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, s := range p.Sample {
		n += int(s.Value[0])
	}
	return n
}

// TestUIReadsEveryFormat opens each input format in the UI, in tmux as a
// person would: the table names the groups by their function and site,
// a profile's groups are in state "counts only", and the header says what
// the format lacks.
func TestUIReadsEveryFormat(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	t.Setenv("GODEBUG", "tracebacklabels=1")
	addr := testproc.StartLeaky(t, "-mode", "steady,pool,waiters", "-labels", "-steady-rate", "20")
	waitGoroutines(t, addr, 20)
	files := liveFiles(t, addr, t.TempDir())
	steady := "main.go:" + strconv.Itoa(leakyLine(t, "steadyLeak"))
	for _, c := range []struct{ name, target, row, header string }{
		{"?debug=1 file", files["debug1.txt"], `counts only\s+-\s+` + steady + `\s+main\.steadyLeak`, "! a ?debug=1 goroutine profile: counts per stack"},
		{"pprof file", files["goroutine.pb.gz"], `counts only\s+-\s+` + steady + `\s+main\.steadyLeak`, "! a pprof goroutine profile: counts per stack"},
		{"?debug=1 URL", "http://" + addr + "/debug/pprof/goroutine?debug=1", `counts only\s+-\s+` + steady + `\s+main\.steadyLeak`, "! a ?debug=1 goroutine profile"},
		{"CRI log", "../../testdata/dumps/sigquit-cri.log", `chan receive\s+\S+\s+shapes\.go:37\s+main\.blockedRecv`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startPane(t, bin+" --no-color "+c.target)
			row := regexp.MustCompile(c.row)
			p.waitFor(20*time.Second, c.name+" row", func(s string) bool {
				return row.MatchString(s) && strings.Contains(s, c.header)
			})
			p.keys("q")
		})
	}
}
