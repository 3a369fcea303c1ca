package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/pprof/profile"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/record"
	"github.com/gorotop/gorotop/internal/testproc"
)

// The tests here feed the real binary broken and hostile input over real
// loopback HTTP and from files: each gets one line on stderr and exit 2,
// and no byte of a dump reaches the terminal as a control sequence.

// Terminal sequences a hostile dump carries.
const (
	oscClipboard = "\x1b]52;c;cHduZWQ=\x07" // OSC 52: write "pwned" to the clipboard
	oscTitle     = "\x1b]0;pwned\x07"       // OSC 0: set the window title
	csiClear     = "\x1b[2J\x1b[H"          // clear the screen, cursor home
	rawC1        = "\x9b31m"                // C1 CSI as a raw byte (invalid UTF-8)
	utf8C1       = "\u009b31m"              // C1 CSI as UTF-8
	bidi         = "\u202egnp.exe"          // right-to-left override
	scriptTag    = "<script>alert(1)</script>"
)

// hostileDump is a goroutine dump whose panic message, states, function
// names, file paths and labels carry what a terminal would act on, invalid
// UTF-8 and HTML, after the dump the Go runtime really wrote
// (testdata/dumps/escapes.txt).
func hostileDump(t testing.TB) []byte {
	t.Helper()
	real, err := os.ReadFile("../../testdata/dumps/escapes.txt")
	if err != nil {
		t.Fatal(err)
	}
	evil := oscClipboard + oscTitle + csiClear + rawC1 + utf8C1 + bidi + "\xff\xfe"
	var b bytes.Buffer
	b.Write(real)
	b.WriteString("\npanic: hostile " + evil + "\n\t" + scriptTag + "\n\n")
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1\n\n")
	for id := 40; id < 43; id++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive%s, 3 minutes labels:{\"k%s\": \"%s%s\"}]:\n", id, oscTitle, oscClipboard, scriptTag, evil)
		fmt.Fprintf(&b, "main.(*Evil%s).run%s(...)\n\t/srv/%s/%s/evil%s.go:12 +0x1\n", oscClipboard, oscTitle, scriptTag, evil, csiClear)
		fmt.Fprintf(&b, "created by main.spawn%s in goroutine 1\n\t/srv/x%s.go:3 +0x2\n\n", oscTitle, bidi)
	}
	// panicparse panicked on %-escapes it unescaped past the name's start.
	b.WriteString("goroutine 50 [select]:\na/b.c%41%41%41()\n\t/x.go:3 +0x1\n\n")
	return b.Bytes()
}

// goroutineText is one goroutine of a plausible dump, numbered id.
func goroutineText(id int) string {
	return fmt.Sprintf("goroutine %d [chan receive, 2 minutes]:\nexample.com/app/queue.(*MemQueue).scheduleFlush.func1()\n\t/src/app/queue/queue.go:88 +0x5c\ncreated by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine 1\n\t/src/app/queue/queue.go:84 +0x8e\n\n", id)
}

// plainDump is a small, valid dump of n goroutines.
func plainDump(n int) []byte {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1\n\n")
	for i := range n {
		b.WriteString(goroutineText(100 + i))
	}
	return []byte(b.String())
}

// hostileServer serves the broken and hostile inputs, one path each. sent
// counts the body bytes written on the endless and huge paths.
type hostileServer struct {
	*httptest.Server
	sent atomic.Int64
}

// hugeSize is the 2 GB body: streamed, never held.
const hugeSize = 2_000_000_000

func startHostile(t testing.TB) *hostileServer {
	t.Helper()
	hs := &hostileServer{}
	hostile := hostileDump(t)
	partial := plainDump(20)
	partial = partial[:len(partial)-len(goroutineText(0))/2] // ends mid-goroutine
	random := randomBytes(64 << 10)
	// stream writes goroutines until the client goes, max bytes are out or
	// the request's context ends; perByte, if set, sleeps between bytes.
	stream := func(w http.ResponseWriter, r *http.Request, max int64, perByte time.Duration) {
		f := http.NewResponseController(w)
		bw := bufio.NewWriterSize(w, 64<<10)
		var n int64
		for id := 1; n < max && r.Context().Err() == nil; id++ {
			g := goroutineText(id)
			if perByte > 0 {
				for i := 0; i < len(g) && r.Context().Err() == nil; i++ {
					if _, err := w.Write([]byte{g[i]}); err != nil {
						return
					}
					f.Flush()
					hs.sent.Add(1)
					time.Sleep(perByte)
				}
				continue
			}
			if int64(len(g)) > max-n {
				g = g[:max-n]
			}
			k, err := bw.WriteString(g)
			n += int64(k)
			hs.sent.Add(int64(k))
			if err != nil {
				return
			}
		}
		bw.Flush()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>user <input name=u></form></body></html>\n")
	})
	mux.HandleFunc("/401", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pprof"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	mux.HandleFunc("/403", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "forbidden", http.StatusForbidden) })
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error "+oscTitle+csiClear+"\xff", http.StatusInternalServerError)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		// The connection drops in the middle of a goroutine, before the
		// Content-Length promised is there.
		body := plainDump(20)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)-len(goroutineText(0))/2])
		http.NewResponseController(w).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	mux.HandleFunc("/partial", func(w http.ResponseWriter, r *http.Request) { w.Write(partial) })
	mux.HandleFunc("/random", func(w http.ResponseWriter, r *http.Request) { w.Write(random) })
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) { stream(w, r, 1<<62, 0) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { stream(w, r, 1<<62, time.Second) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(hugeSize))
		stream(w, r, hugeSize, 0)
	})
	mux.HandleFunc("/huge-chunked", func(w http.ResponseWriter, r *http.Request) { stream(w, r, hugeSize, 0) })
	mux.HandleFunc("/huge-junk", func(w http.ResponseWriter, r *http.Request) {
		line := []byte("2026/11/25 19:00:00 worker: flush failed " + csiClear + " retrying\n")
		bw := bufio.NewWriterSize(w, 64<<10)
		for n := 0; n < hugeSize && r.Context().Err() == nil; n += len(line) {
			if _, err := bw.Write(line); err != nil {
				return
			}
			hs.sent.Add(int64(len(line)))
		}
		bw.Flush()
	})
	mux.HandleFunc("/escapes", func(w http.ResponseWriter, r *http.Request) { w.Write(hostile) })
	hs.Server = httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

// runBin runs the binary with args and returns its exit code, stdout,
// stderr, wall time and peak resident set size in bytes.
func runBin(t testing.TB, bin string, env []string, args ...string) (code int, stdout, stderr []byte, took time.Duration, maxRSS int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	code = testproc.ExitCode(t, err)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return code, out.Bytes(), errOut.Bytes(), took, maxRSS
}

// unsafeBytes describes the first bytes of b that a terminal could act
// on: C0 controls but newline and tab, DEL, C1 controls (raw or UTF-8),
// bidirectional overrides and invalid UTF-8. "" means none.
func unsafeBytes(b []byte) string {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Sprintf("invalid UTF-8 %q at %d", b[i:min(i+8, len(b))], i)
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("%U at %d: %q", r, i, b[max(i-20, 0):min(i+20, len(b))])
		}
		i += size
	}
	return ""
}

// unsafeText is unsafeBytes for a string that must be one line.
func unsafeText(s string) string {
	if strings.ContainsAny(s, "\n\t") {
		return fmt.Sprintf("line break or tab in %q", s)
	}
	return unsafeBytes([]byte(s))
}

// checkJSONStrings fails t if any string in the JSON document, decoded,
// holds a control character.
func checkJSONStrings(t *testing.T, what string, doc []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%s: not JSON: %v", what, err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if bad := unsafeText(v); bad != "" {
				t.Errorf("%s: a decoded string holds %s", what, bad)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				walk(k)
				walk(e)
			}
		}
	}
	walk(v)
}

// checkProfileStrings fails t if any string of a pprof profile (names,
// files, labels, comments: all in its text form) holds a control
// character.
func checkProfileStrings(t *testing.T, what string, b []byte) {
	t.Helper()
	if _, err := gzip.NewReader(bytes.NewReader(b)); err != nil {
		t.Fatalf("%s: not gzip: %v", what, err)
	}
	p, err := profile.ParseData(b)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	text := p.String()
	if bad := unsafeBytes([]byte(text)); bad != "" {
		t.Errorf("%s: the profile holds %s", what, bad)
	}
	if !strings.Contains(text, `\x1b]0;pwned\x07`) {
		t.Errorf("%s: the escapes are not in the profile as text:\n%s", what, text)
	}
}

// oneCleanLine fails t unless stderr is exactly one printable line
// holding want, with no stack trace.
func oneCleanLine(t *testing.T, stderr []byte, want string) {
	t.Helper()
	s := string(stderr)
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr is not one line: %q", s)
	}
	if bad := unsafeBytes(stderr); bad != "" {
		t.Errorf("stderr holds %s", bad)
	}
	if strings.Contains(s, "goroutine ") && strings.Contains(s, ".go:") || strings.Contains(s, "panic") {
		t.Errorf("stderr looks like a stack trace: %q", s)
	}
	if !strings.Contains(s, want) {
		t.Errorf("stderr %q does not say %q", s, want)
	}
}

// matrixCase is one row of the input matrix.
type matrixCase struct {
	name  string
	path  string   // on the hostile server; "" for file cases
	file  []byte   // for file cases: the file's content
	flags []string // before TARGET
	code  int
	want  string        // in stderr
	most  time.Duration // longest the command may take
}

var errorMatrix = []matrixCase{
	{name: "empty body", path: "/empty", code: 2, want: "the response was empty"},
	{name: "HTML page", path: "/html", code: 2, want: "got an HTML page"},
	{name: "401", path: "/401", code: 2, want: "401 Unauthorized; send credentials with --bearer-token-file"},
	{name: "403", path: "/403", code: 2, want: "403 Forbidden"},
	{name: "404", path: "/404", code: 2, want: "net/http/pprof is not registered at /debug/pprof/ on this port"},
	{name: "500 with escapes", path: "/500", code: 2, want: "HTTP 500 Internal Server Error (internal error"},
	{name: "redirect loop", path: "/loop", code: 2, want: "redirect loop; give the final URL"},
	{name: "connection cut mid-goroutine", path: "/cut", code: 2, want: "the dump was cut off"},
	{name: "random bytes", path: "/random", code: 2, want: "no goroutine dump found"},
	{name: "endless body, --max-bytes 8MiB", path: "/endless", flags: []string{"--max-bytes", "8MiB"}, code: 2, want: "dump larger than --max-bytes 8MiB; raise --max-bytes", most: 15 * time.Second},
	{name: "endless body, --timeout 2s", path: "/endless", flags: []string{"--timeout", "2s", "--max-bytes", "64GiB"}, code: 2, want: "no complete dump within 2s", most: 15 * time.Second},
	{name: "1 byte a second, --timeout 2s", path: "/slow", flags: []string{"--timeout", "2s"}, code: 2, want: "no complete dump within 2s", most: 15 * time.Second},
	{name: "empty file", file: []byte{}, code: 2, want: "no goroutine dump found"},
	{name: "HTML file", file: []byte("<!DOCTYPE html><html><body>hi</body></html>\n"), code: 2, want: "no goroutine dump found"},
	{name: "random file", file: randomBytes(64 << 10), code: 2, want: "no goroutine dump found"},
	{name: "escapes and junk, no dump", file: []byte("log " + oscTitle + csiClear + oscClipboard + "\xff\n"), code: 2, want: "no goroutine dump found"},
}

// randomBytes returns n bytes of a fixed random stream.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{2}).Read(b)
	return b
}

// TestHostileMatrix runs snapshot and check of the real binary against
// every broken input: exit 2, one printable line on stderr that says what
// went wrong and what to try, in bounded time.
func TestHostileMatrix(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	hs := startHostile(t)
	dir := t.TempDir()
	for i, c := range errorMatrix {
		target := hs.URL + c.path
		if c.path == "" {
			target = filepath.Join(dir, fmt.Sprintf("input-%d.txt", i))
			if err := os.WriteFile(target, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		most := c.most
		if most == 0 {
			most = 5 * time.Second
		}
		for _, cmd := range [][]string{{"snapshot"}, {"check", "--for", "1s", "--interval", "250ms"}} {
			if cmd[0] == "check" && (c.most > 0 || c.path == "") {
				continue // slow inputs once; a file reads the same either way
			}
			t.Run(cmd[0]+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				args := append(append(append([]string{}, cmd...), c.flags...), target)
				code, out, errOut, took, rss := runBin(t, bin, nil, args...)
				t.Logf("MATRIX | %s | %s | %s | exit %d | %v | %d MiB", cmd[0], c.name, strings.TrimSpace(string(errOut)), code, took.Round(100*time.Millisecond), rss>>20)
				if code != c.code {
					t.Errorf("exit %d, want %d; stdout %q", code, c.code, out)
				}
				oneCleanLine(t, errOut, c.want)
				if len(out) != 0 {
					t.Errorf("stdout %q, want nothing", out)
				}
				if took > most {
					t.Errorf("took %v, want at most %v", took, most)
				}
			})
		}
	}
}

// TestHostileTruncatedDump reads a dump that ends in the middle of a
// goroutine, over HTTP (a complete response) and from a file: what came
// before the cut is used, and the cut is said.
func TestHostileTruncatedDump(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	hs := startHostile(t)
	file := filepath.Join(t.TempDir(), "truncated.txt")
	resp, err := http.Get(hs.URL + "/partial")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	os.WriteFile(file, body, 0o644)
	for _, target := range []string{hs.URL + "/partial", file} {
		code, out, errOut, _, _ := runBin(t, bin, nil, "snapshot", target)
		t.Logf("MATRIX | snapshot | dump truncated mid-goroutine (%s) | %s | exit %d | %s", filepath.Base(target), strings.TrimSpace(string(errOut)), code, strings.SplitN(string(out), "\n", 4)[1:3])
		if code != 0 {
			t.Errorf("%s: exit %d, stderr %q", target, code, errOut)
		}
		if !bytes.Contains(out, []byte("TRUNCATED")) {
			t.Errorf("%s: the report does not say the dump was cut:\n%s", target, out)
		}
		if bad := unsafeBytes(append(out, errOut...)); bad != "" {
			t.Errorf("%s: output holds %s", target, bad)
		}
	}
}

// TestHostileEscapes takes snapshots of a dump full of terminal escapes,
// invalid UTF-8 and HTML, from HTTP, a file and standard input, in every
// format: exit 0, and not one control byte of the input in the output;
// HTML escaped. The escapes reach the groups (so the test means
// something), shown as text.
func TestHostileEscapes(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	hs := startHostile(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "escapes.txt")
	if err := os.WriteFile(file, hostileDump(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{hs.URL + "/escapes", file} {
		for _, format := range []string{"text", "json", "html", "pprof"} {
			name := fmt.Sprintf("%s/%s", format, map[bool]string{true: "http", false: "file"}[target != file])
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				outFile := filepath.Join(t.TempDir(), "out")
				args := []string{"snapshot", "--format", format, target}
				if format == "pprof" {
					args = append(args[:len(args)-1], "-o", outFile, target)
				}
				code, out, errOut, _, _ := runBin(t, bin, nil, args...)
				if code != 0 {
					t.Fatalf("exit %d, stderr %q", code, errOut)
				}
				if bad := unsafeBytes(errOut); bad != "" {
					t.Errorf("stderr holds %s", bad)
				}
				if format == "pprof" {
					b, err := os.ReadFile(outFile)
					if err != nil {
						t.Fatal(err)
					}
					checkProfileStrings(t, name, b)
					return
				}
				if bad := unsafeBytes(out); bad != "" {
					t.Errorf("output holds %s", bad)
				}
				for _, seq := range []string{"\x1b", "\x07", "\x9b", "\u009b", "\u202e", "\r"} {
					if bytes.Contains(out, []byte(seq)) {
						t.Errorf("output holds %q", seq)
					}
				}
				switch format {
				case "json":
					checkJSONStrings(t, name, out)
					if !bytes.Contains(out, []byte(`\\x1b]0;pwned\\x07`)) || !bytes.Contains(out, []byte(`Evil\\x1b]52;c;cHduZWQ=\\x07`)) {
						t.Errorf("the escapes did not reach the groups as text:\n%.2000s", out)
					}
				case "html":
					if bytes.Contains(bytes.ToLower(out), []byte("<script>alert")) {
						t.Error("the HTML holds the dump's <script> unescaped")
					}
					if !bytes.Contains(out, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
						t.Errorf("the dump's <script> is not in the HTML, escaped")
					}
				case "text":
					if !bytes.Contains(out, []byte(`\x1b]0;pwned\x07`)) {
						t.Errorf("the escapes are not shown as text:\n%s", out)
					}
				}
			})
		}
	}
	t.Run("stdin", func(t *testing.T) {
		cmd := exec.Command(bin, "snapshot", "-")
		cmd.Stdin = bytes.NewReader(hostileDump(t))
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if bad := unsafeBytes(out); bad != "" {
			t.Errorf("output holds %s", bad)
		}
	})
	t.Run("check", func(t *testing.T) {
		for _, format := range []string{"text", "json"} {
			// A check of a second cannot judge: exit 3, and it says so.
			code, out, errOut, _, _ := runBin(t, bin, nil, "check", "--format", format, "--for", "1s", "--interval", "300ms", hs.URL+"/escapes")
			if code != exitNotJudged {
				t.Errorf("check --format %s: exit %d, stderr %q", format, code, errOut)
			}
			if bad := unsafeBytes(append(out, errOut...)); bad != "" {
				t.Errorf("check --format %s: output holds %s", format, bad)
			}
		}
	})
}

// TestHostileHugeBody refuses a 2 GB body at the default --max-bytes of
// 1 GiB without holding it. Announced by Content-Length, it is refused
// before a byte is read. Streamed without one (as net/http/pprof sends
// its dumps), gorotop reads up to the cap and stops: text that is not a
// dump costs no memory however long it is; goroutines cost what the
// groups of those parsed so far need, never a copy of the body.
func TestHostileHugeBody(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	hs := startHostile(t)
	code, _, _, _, base := runBin(t, bin, nil, "snapshot", "--format", "json", hs.URL+"/escapes")
	if code != 0 {
		t.Fatalf("baseline snapshot: exit %d", code)
	}
	cases := []struct {
		name, path string
		flags      []string
		want       []string // one of these in stderr
		most       time.Duration
		extraRSS   func(sent int64) int64 // above the baseline
	}{
		{"2 GB body, Content-Length", "/huge", nil, []string{"dump larger than --max-bytes 1GiB; raise --max-bytes"}, 3 * time.Second,
			func(int64) int64 { return 32 << 20 }},
		// A bound, not a benchmark: 60.4 s with two CI runs at once.
		{"2 GB of log lines, chunked", "/huge-junk", []string{"--timeout", "2m"}, []string{"dump larger than --max-bytes 1GiB; raise --max-bytes"}, 100 * time.Second,
			func(int64) int64 { return 64 << 20 }},
		{"2 GB of goroutines, chunked", "/huge-chunked", nil, []string{"dump larger than --max-bytes 1GiB", "no complete dump within 10s"}, 15 * time.Second,
			func(sent int64) int64 { return 2*sent + 64<<20 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.path != "/huge" {
				t.Skip("reads up to 1 GiB")
			}
			t.Parallel()
			hs := startHostile(t) // its own count of bytes sent
			code, _, errOut, took, rss := runBin(t, bin, nil, append(append([]string{"snapshot"}, c.flags...), hs.URL+c.path)...)
			sent := hs.sent.Load()
			t.Logf("MATRIX | snapshot | %s | %s | exit %d | %v | peak RSS %d MiB (baseline %d MiB), server sent %d MiB",
				c.name, strings.TrimSpace(string(errOut)), code, took.Round(time.Millisecond), rss>>20, base>>20, sent>>20)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			want := c.want[0]
			for _, w := range c.want {
				if bytes.Contains(errOut, []byte(w)) {
					want = w
				}
			}
			oneCleanLine(t, errOut, want)
			if took > c.most {
				t.Errorf("took %v, want at most %v", took, c.most)
			}
			if sent > 1<<30+16<<20 {
				t.Errorf("the server sent %d MiB before gorotop stopped reading", sent>>20)
			}
			if extra := c.extraRSS(sent); rss > base+extra {
				t.Errorf("peak RSS %d MiB, want at most %d MiB above the baseline of %d MiB", rss>>20, extra>>20, base>>20)
			}
		})
	}
}

// The secrets the file and UI tests send: none may reach a file gorotop
// writes or its standard error.
const (
	secretHeader = "s3cr3t-hdr-9f2c"
	secretToken  = "s3cr3t-tok-7a1e"
	secretAuth   = "s3cr3t-auth-4b0d"
)

var secrets = []string{secretHeader, secretToken, secretAuth}

// flakyTarget serves the hostile dump, or, while failing is set, errors
// that carry escapes: a 500, an HTML page and random bytes in turn. It
// notes when each failing request came, and every secret it was sent.
type flakyTarget struct {
	*httptest.Server
	failing  atomic.Bool
	requests atomic.Int64
	mu       chan struct{} // guards fails and got
	fails    []time.Time
	got      map[string]bool
}

func startFlaky(t *testing.T) *flakyTarget {
	t.Helper()
	ft := &flakyTarget{mu: make(chan struct{}, 1), got: map[string]bool{}}
	dump := hostileDump(t)
	ft.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ft.requests.Add(1)
		ft.mu <- struct{}{}
		for name, vs := range r.Header {
			for _, s := range secrets {
				if strings.Contains(strings.Join(vs, " "), s) {
					ft.got[name+": "+s] = true
				}
			}
		}
		failing := ft.failing.Load()
		if failing && !strings.HasSuffix(r.URL.Path, "/cmdline") { // polls, not round-trip probes
			ft.fails = append(ft.fails, time.Now())
		}
		<-ft.mu
		if !failing {
			// The dump grows by a goroutine a poll, so the table moves.
			w.Write(dump)
			for i := range n % 50 {
				io.WriteString(w, goroutineText(1000+int(i)))
			}
			return
		}
		switch n % 3 {
		case 0:
			http.Error(w, "internal error "+oscTitle+csiClear+oscClipboard+"\xff "+r.Header.Get("X-Secret"), http.StatusInternalServerError)
		case 1:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><title>"+oscTitle+"</title></html>")
		default:
			w.Write(randomBytes(4096))
		}
	}))
	t.Cleanup(ft.Close)
	return ft
}

// failTimes returns when the failing requests came.
func (ft *flakyTarget) failTimes() []time.Time {
	ft.mu <- struct{}{}
	defer func() { <-ft.mu }()
	return append([]time.Time(nil), ft.fails...)
}

// sent reports which secrets the target received, as "Header: secret".
func (ft *flakyTarget) sent() []string {
	ft.mu <- struct{}{}
	defer func() { <-ft.mu }()
	var out []string
	for k := range ft.got {
		out = append(out, k)
	}
	return out
}

// controlSequences are what the hostile dump carries and the terminal
// must never receive. Without colour, gorotop writes no OSC at all.
var controlSequences = []string{"\x1b]", "\x07", "\x9b", "\u009b", "\u202e", csiClear}

// TestTmuxHostile runs the UI of the real binary, without colour, in a
// tmux pane against a target that serves a dump full of escapes, then
// fails with errors full of escapes, then recovers. The raw bytes gorotop
// writes to the terminal never hold a sequence from the input; the error
// shows in the header while polling goes on with a growing backoff; the
// groups seen before stay on screen; the export (e) and the recording
// (--record) hold no secret and no control byte.
func TestTmuxHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a failing target for 15 s")
	}
	bin := testproc.BuildGorotop(t)
	ft := startFlaky(t)
	dir := t.TempDir()
	raw, start, rec := filepath.Join(dir, "raw"), filepath.Join(dir, "start"), filepath.Join(dir, "ui.rec")
	// --max-stall off: the test watches the UI react to the target's
	// failures within seconds, and under load a dump of this small target
	// took 249 ms, which at the default budget rightly spaced the next
	// full dump (all a recording session takes) 25 s away.
	cmd := fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done; NO_COLOR=1 GOROTOP_BEARER_TOKEN=%s exec %s -i 300ms --max-stall off -H 'X-Secret: %s' --export-dir %s --record %s %s",
		start, secretToken, bin, secretHeader, dir, rec, ft.URL)
	p := startPane(t, cmd)
	p.run("pipe-pane", "-o", "-t", p.name, "cat >> "+raw)
	os.WriteFile(start, nil, 0o644)

	p.waitFor(15*time.Second, "the hostile groups", func(s string) bool {
		return strings.Contains(s, "● live") && strings.Contains(s, `pwned\x07`) && len(paneRows(s)) > 2
	})
	p.keys("e")
	p.waitFor(5*time.Second, "the export notice", func(s string) bool { return strings.Contains(s, "exported to") })
	before := paneRows(p.screen())

	ft.failing.Store(true)
	screen := p.waitFor(10*time.Second, "the error in the header", func(s string) bool {
		return strings.Contains(s, "✗ error, retrying in") && strings.Contains(s, "failures in a row")
	})
	t.Logf("failing:\n%s", screen)
	if rows := paneRows(screen); len(rows) < len(before)-1 || !strings.Contains(screen, `pwned\x07`) {
		t.Errorf("the groups seen before the errors are gone:\n%s", screen)
	}
	deadline := time.Now().Add(12 * time.Second)
	for len(ft.failTimes()) < 4 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	fails := ft.failTimes()
	var gaps []time.Duration
	for i := 1; i < len(fails); i++ {
		gaps = append(gaps, fails[i].Sub(fails[i-1]).Round(100*time.Millisecond))
	}
	t.Logf("gaps between failing polls: %v", gaps)
	if len(gaps) < 3 || gaps[2] < gaps[0]+500*time.Millisecond || gaps[2] < 1500*time.Millisecond {
		t.Errorf("no growing backoff between failing polls: %v", gaps)
	}
	ft.failing.Store(false)
	p.waitFor(40*time.Second, "recovery", func(s string) bool {
		return strings.Contains(s, "● live") && !strings.Contains(s, "✗")
	})
	p.keys("q")
	deadline = time.Now().Add(5 * time.Second)
	for !p.dead() {
		if time.Now().After(deadline) {
			t.Fatalf("q did not end gorotop:\n%s", p.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}

	stream, err := os.ReadFile(raw)
	if err != nil || len(stream) == 0 {
		t.Fatalf("no terminal stream captured: %v", err)
	}
	for _, seq := range controlSequences {
		if i := bytes.Index(stream, []byte(seq)); i >= 0 {
			t.Errorf("the terminal received %q from the input: %q", seq, stream[max(i-40, 0):min(i+40, len(stream))])
		}
	}
	if !bytes.Contains(stream, []byte(`\x1b]0;pwned`)) {
		t.Error("the escapes were never shown as text: the test saw nothing hostile")
	}
	if got := ft.sent(); len(got) != 2 {
		t.Errorf("the target received %v, want the header and the token", got)
	}
	exports, _ := filepath.Glob(filepath.Join(dir, "gorotop-*"))
	if len(exports) != 1 {
		t.Fatalf("exports %v, want one", exports)
	}
	checkWritten(t, exports[0], plainFile)
	checkWritten(t, rec, recordingFile)
}

// What a file gorotop wrote holds, for checkWritten.
const (
	plainFile     = iota // text, JSON, HTML: no control byte
	binaryFile           // a pprof profile: its strings are checked apart
	recordingFile        // checked decompressed too; mode 0600
)

// checkWritten fails t if a file gorotop wrote holds a secret, or, for a
// plain file, a control byte. A recording is read back and its dumps and
// sources checked too.
func checkWritten(t *testing.T, path string, kind int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	contents := [][]byte{b}
	switch kind {
	case plainFile:
		if bad := unsafeBytes(b); bad != "" {
			t.Errorf("%s holds %s", filepath.Base(path), bad)
		}
	case recordingFile:
		contents = append(contents, recordingText(t, path))
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (%v)", filepath.Base(path), fi.Mode().Perm(), err)
		}
	case binaryFile:
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if raw, err := io.ReadAll(zr); err == nil {
				contents = append(contents, raw)
			}
		}
	}
	for _, c := range contents {
		for _, s := range secrets {
			if bytes.Contains(c, []byte(s)) {
				t.Errorf("%s holds the secret %q", filepath.Base(path), s)
			}
		}
	}
}

// recordingText returns every source and dump of a recording, one after
// another.
func recordingText(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := record.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Close()
	var all bytes.Buffer
	n := 0
	for {
		meta, body, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		all.WriteString(meta.Source + "\n")
		io.Copy(&all, body)
		n++
	}
	if n == 0 {
		t.Errorf("%s holds no dump", path)
	}
	return all.Bytes()
}

// TestSecretsStayOut sends a header (-H) and a bearer token (from
// GOROTOP_BEARER_TOKEN, --bearer-token-file or -H Authorization) to a
// target that needs them and echoes them into its dump (in a goroutine's
// labels, function and file), and to one that echoes them back in its
// error pages: no secret reaches a file gorotop writes (snapshot and
// check in every format, recordings) nor its standard error.
func TestSecretsStayOut(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	dump := hostileDump(t)
	var authorized atomic.Int64
	t.Cleanup(func() {
		if !t.Failed() && authorized.Load() == 0 && t.Name() == "TestSecretsStayOut" {
			t.Error("the target never saw the right credentials: the test checked nothing")
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr, auth := r.Header.Get("X-Secret"), r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/dump":
			if hdr != secretHeader || auth != "Bearer "+secretToken && auth != "Bearer "+secretAuth {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			authorized.Add(1)
			w.Write(dump)
			// The target echoes what it was sent into the dump: a
			// label holding the request's headers, a function named
			// after one.
			fmt.Fprintf(w, "\ngoroutine 9999 [select labels:{\"auth\": %q, \"secret\": %q}]:\nmain.handle_%s()\n\t/src/app/%s/main.go:7 +0x1\n",
				auth, hdr, hdr, strings.TrimPrefix(auth, "Bearer "))
		case "/echo-500":
			http.Error(w, "rejected X-Secret="+hdr+" Authorization="+auth, http.StatusInternalServerError)
		case "/echo-400":
			http.Error(w, strings.TrimPrefix(auth, "Bearer ")+" is not a valid token; "+hdr, http.StatusBadRequest)
		case "/echo-404":
			http.Error(w, "no profile for "+hdr, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(secretToken+"\n"), 0o600)
	withEnv := []string{"GOROTOP_BEARER_TOKEN=" + secretToken}
	header := []string{"-H", "X-Secret: " + secretHeader}
	creds := []struct {
		name  string
		env   []string
		flags []string
	}{
		{"env token", withEnv, header},
		{"token file", nil, append([]string{"--bearer-token-file", tokenFile}, header...)},
		{"-H Authorization", nil, append([]string{"-H", "Authorization: Bearer " + secretAuth}, header...)},
	}
	checkStderr := func(t *testing.T, what string, stderr []byte) {
		t.Helper()
		for _, s := range secrets {
			if bytes.Contains(stderr, []byte(s)) {
				t.Errorf("%s: stderr holds the secret %q: %q", what, s, stderr)
			}
		}
	}
	for _, c := range creds {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			outDir, n := t.TempDir(), 0
			out := func(ext string) string {
				n++
				return filepath.Join(outDir, fmt.Sprintf("out-%d%s", n, ext))
			}
			run := func(args ...string) (int, []byte) {
				t.Helper()
				code, _, stderr, _, _ := runBin(t, bin, c.env, append(append([]string{args[0]}, c.flags...), args[1:]...)...)
				checkStderr(t, strings.Join(args, " "), stderr)
				return code, stderr
			}
			for _, format := range []string{"text", "json", "html", "pprof"} {
				path := out("." + format)
				if code, stderr := run("snapshot", "--format", format, "-o", path, srv.URL+"/dump"); code != 0 {
					t.Fatalf("snapshot --format %s: exit %d, %s", format, code, stderr)
				}
				kind := plainFile
				if format == "pprof" {
					kind = binaryFile
				}
				checkWritten(t, path, kind)
			}
			path := out(".json")
			if code, stderr := run("check", "--for", "1s", "--interval", "300ms", "--format", "json", "-o", path, srv.URL+"/dump"); code != exitNotJudged {
				t.Fatalf("check: exit %d, %s", code, stderr)
			}
			checkWritten(t, path, plainFile)
			path = out(".rec")
			if code, stderr := run("record", "-o", path, "--for", "1s", "--interval", "300ms", srv.URL+"/dump"); code != 0 {
				t.Fatalf("record: exit %d, %s", code, stderr)
			}
			checkWritten(t, path, recordingFile)
			for _, echo := range []string{"/echo-500", "/echo-400", "/echo-404"} {
				code, stderr := run("snapshot", srv.URL+echo)
				t.Logf("snapshot %s: exit %d: %s", echo, code, bytes.TrimSpace(stderr))
				if code != 2 {
					t.Errorf("snapshot %s: exit %d, want 2", echo, code)
				}
				run("check", "--for", "600ms", "--interval", "200ms", srv.URL+echo)
				run("record", "-o", out(".rec"), "--for", "600ms", "--interval", "200ms", srv.URL+echo)
			}
		})
	}
	t.Run("malformed -H", func(t *testing.T) {
		for _, h := range []string{"X-Secret " + secretHeader, "X-Secret: " + secretHeader + "\x01", "X Secret: " + secretHeader} {
			code, _, stderr, _, _ := runBin(t, bin, nil, "snapshot", "-H", h, srv.URL+"/dump")
			t.Logf("-H %q: exit %d: %s", h, code, bytes.TrimSpace(stderr))
			if code != 2 {
				t.Errorf("-H %q: exit %d, want 2", h, code)
			}
			checkStderr(t, "-H "+h, stderr)
		}
	})
}

// mountTmpfs mounts a tmpfs of size bytes with extra mount options at a
// new directory, for the life of the test, or skips t where mounting is
// not allowed (not root, no CAP_SYS_ADMIN, not Linux).
func mountTmpfs(t *testing.T, size int, opts string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	data := "size=" + strconv.Itoa(size)
	if opts != "" {
		data += "," + opts
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, data); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): skipped", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// readOnlyDir returns a directory nothing can be created in: a read-only
// tmpfs as root (who ignores directory modes), mode 0555 otherwise.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		return mountTmpfs(t, 1<<20, "ro")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o555)
	return dir
}

// fullDir returns a directory on a tmpfs of a few KiB, filled.
func fullDir(t *testing.T) string {
	t.Helper()
	dir := mountTmpfs(t, 64<<10, "")
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	return dir
}

// fileCommands are the commands that write files, with the output file
// last but one (before TARGET or CURRENT).
func fileCommands(dump string) map[string]func(out string) []string {
	return map[string]func(out string) []string{
		"snapshot -o":   func(out string) []string { return []string{"snapshot", "--format", "json", "-o", out, dump} },
		"snapshot html": func(out string) []string { return []string{"snapshot", "--format", "html", "-o", out, dump} },
		"check -o":      func(out string) []string { return []string{"check", "-o", out, dump} },
		"diff -o":       func(out string) []string { return []string{"diff", "-o", out, dump, dump} },
		"record -o":     func(out string) []string { return []string{"record", "--for", "300ms", "-o", out, dump} },
		"UI --record":   func(out string) []string { return []string{"--record", out, dump} },
	}
}

// TestFilesNeverClobbered runs every command that writes a file at a path
// that exists: each refuses in one line that names --force, leaves the
// file as it was and nothing beside it.
func TestFilesNeverClobbered(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	dump := filepath.Join(t.TempDir(), "dump.txt")
	os.WriteFile(dump, hostileDump(t), 0o644)
	for name, args := range fileCommands(dump) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "precious")
			os.WriteFile(out, []byte("precious"), 0o644)
			code, _, stderr, _, _ := runBin(t, bin, nil, args(out)...)
			t.Logf("%s: exit %d: %s", name, code, bytes.TrimSpace(stderr))
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			oneCleanLine(t, stderr, "--force")
			if b, _ := os.ReadFile(out); string(b) != "precious" {
				t.Errorf("the file was replaced: %.40q", b)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("left beside it: %v", entries)
			}
			if name == "UI --record" {
				return // needs a terminal to go on
			}
			code, _, stderr, _, _ = runBin(t, bin, nil, append([]string{args(out)[0], "--force"}, args(out)[1:]...)...)
			if b, _ := os.ReadFile(out); code != 0 && code != exitNotJudged || string(b) == "precious" {
				t.Errorf("--force: exit %d (%s), file %.40q", code, stderr, b)
			}
			if name == "record -o" {
				checkWritten(t, out, recordingFile)
			}
		})
	}
}

// TestFilesReadOnlyAndFull writes with every command into a read-only
// directory and onto a full disk: exit 2, one line that says why, and no
// file or temporary file left.
func TestFilesReadOnlyAndFull(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	dump := filepath.Join(t.TempDir(), "dump.txt")
	os.WriteFile(dump, hostileDump(t), 0o644)
	for _, place := range []struct {
		name string
		dir  func(*testing.T) string
		want []string
	}{
		{"read-only", readOnlyDir, []string{"read-only file system", "permission denied"}},
		{"full", fullDir, []string{"no space left on device"}},
	} {
		t.Run(place.name, func(t *testing.T) {
			dir := place.dir(t)
			before, _ := os.ReadDir(dir)
			for name, args := range fileCommands(dump) {
				code, _, stderr, _, _ := runBin(t, bin, nil, args(filepath.Join(dir, strings.ReplaceAll(name, " ", "_")))...)
				t.Logf("MATRIX | %s | %s dir | %s | exit %d", name, place.name, bytes.TrimSpace(stderr), code)
				if code != 2 {
					t.Errorf("%s: exit %d, want 2", name, code)
				}
				want := place.want[0]
				for _, w := range place.want {
					if bytes.Contains(stderr, []byte(w)) {
						want = w
					}
				}
				oneCleanLine(t, stderr, want)
			}
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("left behind: %v", after)
			}
		})
	}
}

// TestRecordDiskFillsUp records a target until the disk is full: record
// says so, stops, keeps every dump written before, and exits 2.
func TestRecordDiskFillsUp(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	dir := mountTmpfs(t, 96<<10, "")
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Random names compress badly: the disk fills in a few polls.
		rnd := rand.New(rand.NewPCG(uint64(polls.Add(1)), 1))
		for i := range 300 {
			fmt.Fprintf(w, "goroutine %d [chan receive]:\nmain.f%x()\n\t/src/%x.go:%d +0x1\n\n", i+1, rnd.Uint64(), rnd.Uint64(), rnd.IntN(1000))
		}
	}))
	defer srv.Close()
	out := filepath.Join(dir, "x.rec")
	code, _, stderr, took, _ := runBin(t, bin, nil, "record", "-o", out, "--for", "20s", "-i", "50ms", srv.URL)
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	last := lines[len(lines)-1]
	t.Logf("MATRIX | record | disk fills up after %d polls | %s | exit %d | %v", polls.Load(), last, code, took.Round(100*time.Millisecond))
	if code != 2 || !strings.Contains(last, "no space left on device") || took > 10*time.Second {
		t.Errorf("exit %d after %v, last line %q: want 2, at once, saying the disk is full", code, took, last)
	}
	code, stdout, stderr, _, _ := runBin(t, bin, nil, "snapshot", out)
	if code != 0 || !bytes.Contains(stdout, []byte("300 goroutines")) {
		t.Errorf("the dumps recorded before the disk filled do not replay: exit %d %s", code, stderr)
	}
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestCheckReportFails: the text report of check says when it could not
// be written, so that -o on a full disk is an error, not an empty file.
func TestCheckReportFails(t *testing.T) {
	t.Parallel()
	path := "../../testdata/dumps/escapes.txt"
	l, _, err := (&options{group: "code", format: "text"}).open("check", path, nil, poll.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := l.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := export.Input{Source: path, TakenAt: s.Meta.At, Snap: s.Snap, History: s.View()}
	if err := checkReport(failingWriter{}, in, "1 polls", warnings{}); err == nil {
		t.Error("checkReport to a full disk: no error")
	}
}

// TestPanicparsePoison: a function name panicparse panics on
// ("a/b.c%41%41%41") is read line by line, and the groups beside it keep
// the keys they have in any other dump, so that diff and the combined
// view still match them.
func TestPanicparsePoison(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clean, poisoned := filepath.Join(dir, "clean.txt"), filepath.Join(dir, "poisoned.txt")
	normal := string(plainDump(3))
	os.WriteFile(clean, []byte(normal), 0o644)
	os.WriteFile(poisoned, []byte(normal+"goroutine 9 [select]:\na/b.c%41%41%41()\n\t/x.go:3 +0x1\n\n"), 0o644)
	keys := func(path string) map[string]string {
		code, out, stderr := runIn(t, "", "snapshot", "--format", "json", path)
		var r export.Report
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("%s: exit %d, %s", path, code, stderr)
		}
		k := map[string]string{}
		for _, g := range r.Groups {
			k[g.Frames[0].Func] = g.Key
		}
		return k
	}
	a, b := keys(clean), keys(poisoned)
	if len(b) != len(a)+1 || b["a/b.c%41%41%41"] == "" {
		t.Errorf("groups %v, want those of %v and the poisoned one", b, a)
	}
	for fn, key := range a {
		if b[fn] != key {
			t.Errorf("%s: key %s beside the poisoned shape, %s without", fn, b[fn], key)
		}
	}
}

// TestRefusedProxy fetches through a proxy from the environment that
// refuses connections: the error names the proxy and what to try, not
// the target as if nothing listened there.
func TestRefusedProxy(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	env := []string{"HTTP_PROXY=http://127.0.0.1:1", "http_proxy=http://127.0.0.1:1", "NO_PROXY=", "no_proxy="}
	code, _, stderr, _, _ := runBin(t, bin, env, "snapshot", "--timeout", "5s", "http://10.11.12.13:6060/")
	line := strings.TrimSpace(string(stderr))
	if code != exitProblem || !strings.Contains(line, "the proxy http://127.0.0.1:1 refused the connection") || !strings.Contains(line, "NO_PROXY") {
		t.Fatalf("exit %d, %q: want the proxy named", code, line)
	}
}

// TestCheckSaysBoundsHit: a bound of the parser hit by a dump (here a
// goroutine deeper than the frames kept) is said in check's report, with
// how many polls hit it, as snapshot and the UI's header say it.
func TestCheckSaysBoundsHit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "main.f%d()\n\t/src/main.go:%d +0x1d\n", i, i+1)
	}
	b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:1 +0x1d\n")
	path := filepath.Join(t.TempDir(), "deep.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIn(t, "", "check", path)
	want := "warning (1 of 1 polls): 1 goroutine is deeper than 256 frames (the runtime prints at most 100): the innermost 256 of each are kept, 44 more left out"
	if code != exitNotJudged || !strings.Contains(out, want) {
		t.Errorf("exit %d, report:\n%s\nwant exit %d and %q", code, out, exitNotJudged, want)
	}
}
