package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/tui"
)

// runIn runs gorotop in this process and returns its exit code, stdout
// and stderr. A command that starts the terminal UI fails the test: see
// runWithUI.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runWithUI(t, func(context.Context, tui.Config) error {
		t.Error("the terminal UI started: give the test one with runWithUI")
		return errors.New("no terminal UI in this test")
	}, stdin, args...)
}

// runWithUI is runIn with ui for the terminal UI.
func runWithUI(t *testing.T, ui func(context.Context, tui.Config) error, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, ui: ui})
	return code, out.String(), errOut.String()
}

// leakyLine finds the line of testdata/leaky/main.go where fn blocks: the
// line that declares it, since each leak function is a one-liner.
func leakyLine(t *testing.T, fn string) int {
	t.Helper()
	src, err := os.ReadFile("../../testdata/leaky/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "func "+fn+"(") {
			return i + 1
		}
	}
	t.Fatalf("no func %s in testdata/leaky/main.go", fn)
	return 0
}

// TestSnapshotOfLiveLeak is the end-to-end test: the real binary against a
// real Go process that leaks goroutines and serves net/http/pprof.
func TestSnapshotOfLiveLeak(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	addr := testproc.StartLeaky(t, "-mode", "steady,pool,churn", "-steady-rate", "20")
	var report export.Report
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command(bin, "snapshot", "--format", "json", addr).Output()
		if err != nil {
			t.Fatalf("gorotop snapshot: %v", err)
		}
		if err := json.Unmarshal(out, &report); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if leak := findGroup(report, "main.steadyLeak"); leak != nil && leak.Count >= 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if report.Schema != "gorotop/v1" || !strings.HasSuffix(report.Source, "/debug/pprof/goroutine?debug=2") {
		t.Errorf("schema %q source %q", report.Schema, report.Source)
	}
	leak := findGroup(report, "main.steadyLeak")
	if leak == nil {
		t.Fatalf("no group blocked in main.steadyLeak among %d groups", len(report.Groups))
	}
	if leak.State != "chan receive" || leak.Count < 20 || len(leak.GoroutineIDs) != leak.Count {
		t.Errorf("leak group: state %q count %d ids %d", leak.State, leak.Count, len(leak.GoroutineIDs))
	}
	if want := leakyLine(t, "steadyLeak"); leak.BlockedAt.Line != want || filepath.Base(leak.BlockedAt.File) != "main.go" {
		t.Errorf("blocked at %s:%d, want main.go:%d", leak.BlockedAt.File, leak.BlockedAt.Line, want)
	}
	if leak.CreatedBy == nil || leak.CreatedBy.Func != "main.(*leaky).steady" {
		t.Errorf("created by %+v, want main.(*leaky).steady", leak.CreatedBy)
	}
	pool := findGroup(report, "main.poolWorker")
	if pool == nil || pool.Count != 8 {
		t.Errorf("pool group %+v, want 8 workers", pool)
	}
	page, err := exec.Command(bin, "snapshot", "--format", "html", addr).Output()
	if err != nil {
		t.Fatalf("gorotop snapshot --format html: %v", err)
	}
	if !regexp.MustCompile(`<dt>poll cost</dt><dd>last: full dump, [\d.]+m?s, [\d.]+ KiB</dd>`).Match(page) {
		t.Errorf("the HTML snapshot does not say what its poll cost:\n%.1500s", page)
	}
}

// TestSnapshotOwnRequest: the goroutine serving the snapshot's own
// request (net/http/pprof's handler writing the dump) is said to write
// the dump, never to be blocked, in text and in JSON.
func TestSnapshotOwnRequest(t *testing.T) {
	t.Parallel()
	addr := testproc.StartLeaky(t, "-mode", "pool")
	code, out, errOut := runIn(t, "", "snapshot", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "blocked at pprof.go") || !regexp.MustCompile(`(?m)^#\d+  1  running, writing this dump\n(.*\n)*?    writing this dump at pprof\.go:\d+  net/http/pprof\.handler\.ServeHTTP$`).MatchString(out) {
		t.Errorf("the text snapshot does not say that its own request writes the dump:\n%s", out)
	}
	code, out, errOut = runIn(t, "", "snapshot", "--format", "json", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var report export.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	writers := 0
	for _, g := range report.Groups {
		if g.WritesDump {
			writers++
			if g.BlockedAt == nil || g.BlockedAt.Func != "net/http/pprof.handler.ServeHTTP" || g.Count != 1 {
				t.Errorf("writes_dump on %d goroutines at %+v", g.Count, g.BlockedAt)
			}
		}
	}
	if writers != 1 {
		t.Errorf("%d groups with writes_dump, want 1", writers)
	}
}

func findGroup(r export.Report, fn string) *export.Group {
	for i, g := range r.Groups {
		if g.BlockedAt != nil && g.BlockedAt.Func == fn {
			return &r.Groups[i]
		}
	}
	return nil
}

// TestCheckLastsFor: check watches a live target for the whole of --for,
// not until its last poll before the end (--for 60s ended after about
// 58 s at 2 s polls).
func TestCheckLastsFor(t *testing.T) {
	addr := testproc.StartLeaky(t, "-mode", "pool")
	start := time.Now()
	code, out, errOut := runIn(t, "", "check", "--for", "2500ms", "--interval", "1s", addr)
	if took := time.Since(start); took < 2500*time.Millisecond {
		t.Errorf("check --for 2500ms ended after %v", took)
	}
	if code != exitOK && code != exitNotJudged {
		t.Errorf("exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestCheckLiveTargets runs `gorotop check` as a CI job would, with its
// defaults, against a process leaking ten goroutines a second and against
// a healthy mix; and against the leak through a tunnel that holds every
// chunk 25 ms each way, as a port-forward to a far cluster does: the
// round trip is no stall of the target, so the stall budget must not
// space the full dumps for it (charged whole, 50 ms a dump at 1 % would
// have spaced them 10 s apart). 40 s: on a loaded machine the budget may
// space even these small targets' full dumps seconds apart, and then the
// counts of the cheap polls between must span 30 s to judge (20 s exited
// 3 in CI-like load).
func TestCheckLiveTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("watches live targets for 40 s")
	}
	bin := testproc.BuildGorotop(t)
	cases := []struct {
		name, mode string
		tunnel     time.Duration
		code       int
		want       string
	}{
		{"leak", "steady,pool,churn", 0, 1, "main.steadyLeak"},
		{"healthy", "healthy", 0, 0, "no suspected leak"},
		{"leak through a tunnel", "steady,pool,churn", 25 * time.Millisecond, 1, "main.steadyLeak"},
	}
	// The cases only wait, so they all run at once: from goroutines, as
	// t.Parallel would run them two by two on a two-core machine.
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				addr := testproc.StartLeaky(t, "-mode", c.mode)
				if c.tunnel > 0 {
					addr = testproc.Tunnel(t, addr, c.tunnel)
				}
				cmd := exec.Command(bin, "check", "--for", "40s", "--interval", "500ms", addr)
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				code := testproc.ExitCode(t, cmd.Run())
				t.Logf("exit %d:\n%s%s", code, out.String(), errOut.String())
				if code != c.code || !strings.Contains(out.String(), c.want) || strings.Contains(errOut.String(), "warning") {
					t.Errorf("exit %d, want %d with %q in the report and no warning", code, c.code, c.want)
				}
			})
		})
	}
	wg.Wait()
}

// TestSnapshotCorpus takes a snapshot of every file of the shared corpus:
// exit 0 and the total MANIFEST.tsv gives.
func TestSnapshotCorpus(t *testing.T) {
	const dir = "../../../shared/corpus"
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("shared corpus not found (%v): skipping", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		want, _ := strconv.Atoi(cols[4])
		n++
		code, out, errOut := runIn(t, "", "snapshot", "--format", "json", filepath.Join(dir, cols[0]))
		var r export.Report
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Errorf("%s: exit %d, stderr %q", cols[0], code, errOut)
			continue
		}
		if r.Total != want {
			t.Errorf("%s: total %d, MANIFEST.tsv says %d", cols[0], r.Total, want)
		}
	}
	if n != 27 {
		t.Errorf("read %d corpus rows, want 27", n)
	}
}

// TestErrorsAreOneLine checks exit codes and that failures say one line.
func TestErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	html := filepath.Join(dir, "page.html")
	os.WriteFile(html, []byte("<!DOCTYPE html><html><body>hi</body></html>"), 0o644)
	// A NATS client port: it speaks first, and not HTTP.
	nats, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Close()
	go func() {
		for {
			c, err := nats.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, `INFO {"server_id":"NDJWE4KOSQXBYSYAAQC3I2KQZ2","version":"2.10.14","proto":1}`+"\r\n")
			c.SetReadDeadline(time.Now().Add(time.Second))
			c.Read(make([]byte, 4096)) // the request, before the close
			c.Close()
		}
	}()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no target", []string{"snapshot"}, 2, "no TARGET"},
		{"missing file", []string{"snapshot", filepath.Join(dir, "nope.txt")}, 2, "no such file"},
		{"refused", []string{"snapshot", "127.0.0.1:1"}, 2, "nothing listening"},
		{"not HTTP", []string{"snapshot", nats.Addr().String()}, 2, `the port answered, but not in HTTP (it sent {"server_id":"NDJWE4KOSQXBYSYAAQC3I2KQZ2…: a NATS client port?); give the port that serves net/http/pprof`},
		{"bad flag", []string{"snapshot", "--bogus", "x"}, 2, "flag provided but not defined"},
		{"bad format", []string{"snapshot", "--format", "xml", "x"}, 2, "unknown format"},
		{"bad group", []string{"check", "--group", "nope", "x"}, 2, "unknown grouping"},
		{"not a dump", []string{"snapshot", html}, 2, "no goroutine dump"},
		{"help", []string{"snapshot", "--help"}, 0, ""},
		{"version", []string{"version"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runIn(t, "", c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			if c.code == 2 {
				if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
					t.Errorf("stderr %q: want one line with %q", errOut, c.want)
				}
			} else if errOut != "" || out == "" {
				t.Errorf("stdout %q stderr %q", out, errOut)
			}
		})
	}
}

// TestSnapshotStdinStream reads dumps from standard input.
func TestSnapshotStdinStream(t *testing.T) {
	t.Parallel()
	in := "junk\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n\ngoroutine 7 [chan receive, 2 minutes]:\nmain.f()\n\t/src/main.go:9 +0x1\ncreated by main.main in goroutine 1\n\t/src/main.go:5 +0x2\n"
	code, out, errOut := runIn(t, in, "snapshot", "-")
	if code != 0 || !strings.Contains(out, "2 goroutines in 2 groups") || !strings.Contains(out, "blocked at main.go:9") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestOutputIsAtomicAndNoClobber writes with -o twice.
func TestOutputIsAtomicAndNoClobber(t *testing.T) {
	t.Parallel()
	dump := filepath.Join(t.TempDir(), "dump.txt")
	os.WriteFile(dump, []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out.json")
	if code, _, errOut := runIn(t, "", "snapshot", "--format", "json", "-o", out, dump); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := runIn(t, "", "snapshot", "-o", out, dump); code != 2 || !strings.Contains(errOut, "--force") {
		t.Errorf("second write: exit %d %q, want 2 and a hint about --force", code, errOut)
	}
	if code, _, _ := runIn(t, "", "snapshot", "--force", "-o", out, dump); code != 0 {
		t.Errorf("--force: exit %d", code)
	}
}

// TestCheckProvenFile: a dump in which the runtime marked goroutines
// (leaked) fails a check even with no history to judge growth by, and the
// report names the proven group apart.
func TestCheckProvenFile(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "leak.txt")
	text := "goroutine 1 [IO wait]:\nmain.main()\n\t/src/main.go:10 +0x1\n\n" +
		"goroutine 7 [chan send (leaked), 3 minutes]:\nmain.orphan(0xc000012345)\n\t/src/main.go:20 +0x1\ncreated by main.ask in goroutine 1\n\t/src/main.go:15 +0x2\n\n" +
		"goroutine 8 [chan send (leaked), 2 minutes]:\nmain.orphan(0xc000054321)\n\t/src/main.go:20 +0x1\ncreated by main.ask in goroutine 1\n\t/src/main.go:15 +0x2\n"
	if err := os.WriteFile(dump, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, "", "check", dump)
	for _, want := range []string{
		"no group suspected from its growth",
		"1 group(s) the runtime proved leaked (goroutineleak profile)",
		"  PROVEN 2 goroutines  chan send  main.go:20  main.orphan\n       2 proven leaked\n       created by main.ask  main.go:15",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code != exitLeak || strings.Contains(out, "main.main") {
		t.Errorf("exit %d (want 1), stderr %q; the healthy main is reported:\n%s", code, errOut, out)
	}
}

// TestCheckNotJudged: a check whose polls could not have shown a leak
// (too short, or full dumps spaced far apart by the stall budget) exits 3,
// never 0, and says how long it would need. The target answers its dumps
// 30 ms late, so at 1 % full dumps come 3 s or more apart.
func TestCheckNotJudged(t *testing.T) {
	t.Parallel()
	url := slowServe(t, 30*time.Millisecond)
	for _, c := range []struct {
		args []string
		pace string
	}{
		{[]string{"check", "--for", "3s", "-i", "100ms", url}, ` and cheap polls every [\d.]+m?s`},
		{[]string{"check", "--for", "3s", "-i", "100ms", "--max-stall", "off", url}, `, one every 100ms`},
	} {
		code, stdout, stderr := recordRun(context.Background(), c.args...)
		msg := regexp.MustCompile(`(?m)^gorotop: could not judge: --for 3s took \d+ full dumps?` + c.pace + `; a verdict needs polls over 30s no more than 10s apart, or 4 full dumps over 10s; run it --for (\d+m)?\d+s or more(, or raise --max-stall)?$`)
		if code != exitNotJudged || !msg.MatchString(stderr) || !strings.Contains(stdout, "could not judge: the polls could not have shown a leak") {
			t.Errorf("%s: exit %d, want 3\n%s%s", strings.Join(c.args, " "), code, stdout, stderr)
		}
	}
}

// TestExportDirChecked starts the UI with an --export-dir that cannot be
// written: gorotop says so at start, not when e is first pressed.
func TestExportDirChecked(t *testing.T) {
	t.Parallel()
	started, ui := fakeUI(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	cases := map[string]string{
		filepath.Join(dir, "missing"): "no such directory",
		file:                          "not a directory",
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		cases[ro] = "cannot write there"
	}
	for exportDir, want := range cases {
		code, _, errOut := runWithUI(t, ui, "", "--export-dir", exportDir, "127.0.0.1:1")
		if code != exitProblem || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--export-dir "+exportDir+": "+want) {
			t.Errorf("--export-dir %s: exit %d, %q; want 2 and %q", exportDir, code, errOut, want)
		}
	}
	if started.Targets != nil {
		t.Fatal("the UI started")
	}
	if code, _, errOut := runWithUI(t, ui, "", "--export-dir", dir, "127.0.0.1:1"); code != 0 || started.Targets == nil {
		t.Fatalf("a writable --export-dir: exit %d, %s", code, errOut)
	}
}
