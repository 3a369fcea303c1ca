package source

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const dump = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n"

// fetchOnce opens target and reads one dump from it.
func fetchOnce(t *testing.T, target string, opts Options) (Meta, string, error) {
	t.Helper()
	src := open(t, target, opts)
	var body []byte
	meta, err := src.Next(context.Background(), func(r io.Reader) error {
		var err error
		body, err = io.ReadAll(r)
		return err
	})
	checkMessage(t, err)
	return meta, string(body), err
}

func open(t *testing.T, target string, opts Options) Source {
	t.Helper()
	tg, err := ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Open(tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// checkMessage fails if an error's text could upset a terminal or spans
// lines.
func checkMessage(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, r := range msg {
		if r < ' ' || r == 0x7f || r == '\uFFFD' {
			t.Errorf("message %q holds %U", msg, r)
		}
	}
}

func wantKind(t *testing.T, err error, kind ErrorKind, says ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
	t.Logf("%v: %v", kind, err)
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
}

// serve starts a loopback server for h and returns its host:port.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestRealPprofHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	meta, body, err := fetchOnce(t, ":"+port, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body, "goroutine ") {
		t.Errorf("body starts %q, want a goroutine dump", body[:min(len(body), 40)])
	}
	if want := "http://127.0.0.1:" + port + "/debug/pprof/goroutine?debug=2"; meta.Source != want {
		t.Errorf("Source = %q, want %q", meta.Source, want)
	}
	if meta.Bytes != int64(len(body)) || meta.Wait <= 0 || meta.Duration < meta.Wait || meta.At.IsZero() {
		t.Errorf("meta = %+v for %d bytes", meta, len(body))
	}
}

func TestLiveAndString(t *testing.T) {
	src := open(t, "localhost:6060", Options{})
	if !src.Live() || src.String() != "http://localhost:6060/debug/pprof/goroutine?debug=2" {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, _, err = fetchOnce(t, addr, Options{})
	wantKind(t, err, ErrRefused, "nothing listening on "+addr, "port-forward")
}

func TestDNS(t *testing.T) {
	_, _, err := fetchOnce(t, "http://gorotop-test.invalid:6060/", Options{Timeout: 5 * time.Second})
	wantKind(t, err, ErrDNS, `"gorotop-test.invalid"`)
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, dump)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	defer srv.Close()

	_, _, err := fetchOnce(t, srv.URL, Options{})
	wantKind(t, err, ErrTLS, "certificate", "--insecure-skip-verify")

	_, body, err := fetchOnce(t, srv.URL, Options{InsecureSkipVerify: true})
	if err != nil || body != dump {
		t.Fatalf("with --insecure-skip-verify: %q, %v", body, err)
	}

	plain := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, dump) })
	_, _, err = fetchOnce(t, "https://"+plain, Options{})
	wantKind(t, err, ErrTLS, "http://")
	if strings.Contains(err.Error(), "insecure") {
		t.Errorf("%q suggests --insecure-skip-verify for a non-certificate failure", err)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		code int
		body string
		kind ErrorKind
		says []string
	}{
		{401, "", ErrAuth, []string{"401 Unauthorized", "--bearer-token-file", "-H"}},
		{403, "", ErrAuth, []string{"403 Forbidden", "--bearer-token-file"}},
		{404, "404 page not found\n", ErrNotFound, []string{"404", "(404 page not found)", "net/http/pprof is not registered at /debug/pprof/"}},
		{500, "boom\x1b[2J\nsecond line", ErrStatus, []string{"HTTP 500 Internal Server Error (boom?[2J)"}},
		{502, "<html>bad gateway</html>", ErrStatus, []string{"HTTP 502 Bad Gateway"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				io.WriteString(w, tt.body)
			})
			_, _, err := fetchOnce(t, addr, Options{})
			wantKind(t, err, tt.kind, tt.says...)
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.code {
				t.Errorf("Status = %v, want %d", e, tt.code)
			}
		})
	}
}

// rawServer accepts one connection at a time and answers with whatever
// respond writes, for responses net/http will not send.
func rawServer(t *testing.T, respond func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			http.ReadRequest(bufio.NewReader(c))
			respond(c)
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestStatusTextSanitised(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 500 \x1b]0;pwned\x07\xff\r\nContent-Length: 0\r\n\r\n")
	})
	_, _, err := fetchOnce(t, addr, Options{})
	wantKind(t, err, ErrStatus, "HTTP 500 ?]0;pwned??")
}

func TestHTMLAndEmpty(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		kind              ErrorKind // 0: a dump
	}{
		{"doctype", "text/plain", "<!DOCTYPE html><html><body>login</body></html>", ErrHTML},
		{"html after blank", "", "\r\n  <HTML lang=en>", ErrHTML},
		{"html content type", "text/html; charset=utf-8", "<p>hello</p>", ErrHTML},
		{"empty", "text/plain", "", ErrEmpty},
		{"blank", "text/plain", " \n\n", ErrEmpty},
		{"dump", "text/plain; charset=utf-8", dump, 0},
		{"angle but not html", "text/plain", "<goroutine>", 0},
		{"short angle", "text/plain", "<h", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				io.WriteString(w, tt.body)
			})
			_, body, err := fetchOnce(t, addr, Options{})
			if tt.kind == 0 {
				if err != nil || body != tt.body {
					t.Fatalf("got %q, %v; want the body", body, err)
				}
				return
			}
			wantKind(t, err, tt.kind)
		})
	}
}

func TestTooBig(t *testing.T) {
	body := strings.Repeat(dump, 100)
	chunked := serve(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(body); i += 512 {
			io.WriteString(w, body[i:min(i+512, len(body))])
			w.(http.Flusher).Flush() // no Content-Length: caught while streaming
		}
	})
	sized := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		io.WriteString(w, body)
	})
	for _, addr := range []string{chunked, sized} {
		meta, got, err := fetchOnce(t, addr, Options{MaxBytes: 1000})
		wantKind(t, err, ErrTooBig, "dump larger than --max-bytes 1000B; raise --max-bytes")
		if len(got) > 1000 || meta.Bytes > 1000 {
			t.Errorf("read %d bytes (meta %d) past a 1000-byte cap", len(got), meta.Bytes)
		}
	}
	// Exactly the cap is fine.
	_, got, err := fetchOnce(t, chunked, Options{MaxBytes: int64(len(body))})
	if err != nil || got != body {
		t.Errorf("at the cap: %d bytes, %v", len(got), err)
	}
	_, _, err = fetchOnce(t, chunked, Options{MaxBytes: -1})
	if err != nil {
		t.Errorf("no cap: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	hang := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	slow := serve(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 50; i++ {
			io.WriteString(w, "g")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	for _, addr := range []string{hang, slow} {
		start := time.Now()
		meta, _, err := fetchOnce(t, addr, Options{Timeout: 300 * time.Millisecond})
		wantKind(t, err, ErrTimeout, "within 300ms", "--timeout")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("timed out after %v", d)
		}
		if addr == slow && meta.Bytes == 0 {
			t.Errorf("slow body: meta.Bytes = 0, want the bytes read before the timeout")
		}
	}
}

func TestTruncated(t *testing.T) {
	short := rawServer(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n"+dump)
	})
	chunk := rawServer(t, func(c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(dump), dump)
	})
	hijack := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000")
		io.WriteString(w, dump)
		w.(http.Flusher).Flush()
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.(*net.TCPConn).SetLinger(0) // reset, not a clean close
			c.Close()
		}
	})
	for _, addr := range []string{short, chunk, hijack} {
		_, body, err := fetchOnce(t, addr, Options{})
		wantKind(t, err, ErrTruncated, "cut off")
		if body != dump {
			t.Errorf("read %q before the cut, want %q", body, dump)
		}
	}
}

func TestRedirects(t *testing.T) {
	loop := serve(t, func(w http.ResponseWriter, r *http.Request) {
		next := map[string]string{"/a": "/b", "/b": "/a"}[r.URL.Path]
		http.Redirect(w, r, next, http.StatusFound)
	})
	_, _, err := fetchOnce(t, "http://"+loop+"/a", Options{})
	wantKind(t, err, ErrRedirect, "redirect loop")

	var n int
	endless := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n), http.StatusFound)
	})
	_, _, err = fetchOnce(t, "http://"+endless+"/", Options{})
	wantKind(t, err, ErrRedirect, "more than 10 redirects")
}

// headerRecorder serves a dump and keeps the headers of the last request.
type headerRecorder struct {
	mu   sync.Mutex
	last http.Header
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.last = r.Header.Clone()
	h.last.Set("Host", r.Host)
	h.mu.Unlock()
	io.WriteString(w, dump)
}

func (h *headerRecorder) get(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last.Get(name)
}

func headers(lines ...string) http.Header {
	h := http.Header{}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	return h
}

func TestHeaders(t *testing.T) {
	rec := &headerRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	h := headers("X-Scope-OrgID: tenant-1", "host: svc.internal", "Authorization: Basic dTpw")
	if _, _, err := fetchOnce(t, srv.URL, Options{Headers: h}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"X-Scope-Orgid": "tenant-1", "Host": "svc.internal",
		"Authorization": "Basic dTpw", "User-Agent": "gorotop",
	} {
		if got := rec.get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, _, err := fetchOnce(t, srv.URL, Options{UserAgent: "gorotop/1.2"}); err != nil || rec.get("User-Agent") != "gorotop/1.2" {
		t.Errorf("User-Agent = %q, %v", rec.get("User-Agent"), err)
	}
}

// TestBadHeaders: a header that is not an HTTP token, or a value that
// could smuggle in more headers, is refused before any request, and the
// error never repeats the value, which may be a secret.
func TestBadHeaders(t *testing.T) {
	for _, h := range []http.Header{
		{"Bad name": {"x"}},
		{"": {"x"}},
		{"X-Evil": {"a\r\nInjected: s3cret"}},
		{"X\x1b": {"y"}},
		{"X": {"a\nb"}},
	} {
		_, err := Open(Target{Kind: URL, URL: &url.URL{Scheme: "http", Host: "h:1"}}, Options{Headers: h})
		wantKind(t, err, ErrOption)
		checkMessage(t, err)
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("header %q: %q repeats the value", h, err)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBearerToken(t *testing.T) {
	rec := &headerRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	file := writeFile(t, "token", "  file-token\n")

	t.Setenv(TokenEnv, "env-token")
	fetchOnce(t, srv.URL, Options{})
	if got := rec.get("Authorization"); got != "Bearer env-token" {
		t.Errorf("from $%s: Authorization = %q", TokenEnv, got)
	}
	src := open(t, srv.URL, Options{BearerTokenFile: file}) // the file wins over the environment
	next := func() {
		if _, err := src.Next(context.Background(), func(r io.Reader) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	next()
	if got := rec.get("Authorization"); got != "Bearer file-token" {
		t.Errorf("from file: Authorization = %q", got)
	}
	os.WriteFile(file, []byte("rotated-token"), 0o600)
	next()
	if got := rec.get("Authorization"); got != "Bearer rotated-token" {
		t.Errorf("after rotation: Authorization = %q", got)
	}
	fetchOnce(t, srv.URL, Options{Headers: headers("Authorization: Basic dTpw")}) // -H wins over the environment
	if got := rec.get("Authorization"); got != "Basic dTpw" {
		t.Errorf("with -H: Authorization = %q", got)
	}

	tg, _ := ParseTarget(srv.URL)
	for name, opts := range map[string]Options{
		"missing file": {BearerTokenFile: filepath.Join(t.TempDir(), "nope")},
		"empty file":   {BearerTokenFile: writeFile(t, "empty", "\n")},
		"two lines":    {BearerTokenFile: writeFile(t, "two", "a\nb")},
		"file and -H":  {BearerTokenFile: file, Headers: headers("Authorization: Basic dTpw")},
	} {
		if _, err := Open(tg, opts); !errors.Is(err, ErrOption) {
			t.Errorf("%s: Open = %v, want %v", name, err, ErrOption)
		}
	}
}

func TestRedirectCredentials(t *testing.T) {
	final := &headerRecorder{}
	other := httptest.NewServer(final)
	defer other.Close()
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())

	var to string
	start := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		final.ServeHTTP(w, r)
	})
	t.Setenv(TokenEnv, "tok-123")
	opts := Options{Headers: headers("X-Tenant: t1")}

	to = "/debug/pprof/goroutine?debug=2" // same scheme, host and port
	if _, _, err := fetchOnce(t, "http://"+start+"/start", opts); err != nil {
		t.Fatal(err)
	}
	if final.get("Authorization") != "Bearer tok-123" || final.get("X-Tenant") != "t1" {
		t.Errorf("same-host redirect: Authorization %q, X-Tenant %q; want both kept", final.get("Authorization"), final.get("X-Tenant"))
	}

	for _, to = range []string{
		"http://localhost:" + otherPort + "/", // another host name
		"http://127.0.0.1:" + otherPort + "/", // same host, another port: net/http alone would send the token
	} {
		if _, _, err := fetchOnce(t, "http://"+start+"/start", opts); err != nil {
			t.Fatal(err)
		}
		if final.get("Authorization") != "" || final.get("X-Tenant") != "" {
			t.Errorf("redirect to %s: Authorization %q, X-Tenant %q; want both dropped", to, final.get("Authorization"), final.get("X-Tenant"))
		}
	}
}

// TestNetHTTPRedirectCredentials pins down what net/http does on its own,
// which is why checkRedirect is stricter: it keeps Authorization for
// another port on the same host name.
func TestNetHTTPRedirectCredentials(t *testing.T) {
	final := &headerRecorder{}
	other := httptest.NewServer(final)
	defer other.Close()
	start := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/", http.StatusFound)
	})
	req, _ := http.NewRequest("GET", "http://"+start+"/", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if final.get("Authorization") != "Bearer x" {
		t.Errorf("net/http now drops Authorization across ports; checkRedirect may be simpler")
	}
}

func TestTokenNeverShown(t *testing.T) {
	const token = "tok-9f8e7d6c5b4a"
	t.Setenv(TokenEnv, token)
	echoAuth := func(code int) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			io.WriteString(w, "rejected "+r.Header.Get("Authorization"))
		})
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := ln.Addr().String()
	ln.Close()
	loop := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) })
	html := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>"+r.Header.Get("Authorization"))
	})
	big := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat(dump, 10)) })

	for _, target := range []string{echoAuth(401), echoAuth(403), echoAuth(404), echoAuth(500), refused, loop, html, big} {
		src := open(t, target, Options{MaxBytes: 100})
		_, err := src.Next(context.Background(), func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
		if err == nil {
			t.Fatalf("%s: no error", target)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(fmt.Sprintf("%+v", err), token) || strings.Contains(src.String(), token) {
			t.Errorf("%s: the token shows in %q", target, err)
		}
	}
}

func TestCanceledAndReadErrors(t *testing.T) {
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, dump) })
	src := open(t, addr, Options{})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := src.Next(ctx, func(r io.Reader) error { return nil })
	wantKind(t, err, ErrCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}

	errParse := errors.New("parse failed")
	_, err = src.Next(context.Background(), func(r io.Reader) error { return errParse })
	if err != errParse {
		t.Errorf("read's error came back as %v", err)
	}
}

// TestNoCompression fetches from a target that compresses when asked: a
// fetch never asks (Go's transport would, and inflate a few megabytes of
// gzip up to the --max-bytes cap), so the dump comes as text.
func TestNoCompression(t *testing.T) {
	const dump = "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n"
	asked := make(chan string, 1)
	target := serve(t, func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Header.Get("Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, dump)
			zw.Close()
			return
		}
		io.WriteString(w, dump)
	})
	src := open(t, target, Options{})
	var body []byte
	if _, err := src.Next(context.Background(), func(r io.Reader) (err error) { body, err = io.ReadAll(r); return err }); err != nil {
		t.Fatal(err)
	}
	if enc := <-asked; enc != "" || string(body) != dump {
		t.Fatalf("Accept-Encoding %q, body %q", enc, body)
	}
}

// TestNotHTTP: a port that answers in another protocol is said to do so
// in one line, with the start of what it sent and what to try, never as
// net/http's "malformed HTTP status code" with escaped quotes.
func TestNotHTTP(t *testing.T) {
	nats := `INFO {"server_id":"NDJWE4KOSQXBYSYAAQC3I2KQZ2","server_name":"n1","version":"2.10.14","proto":1,"go":"go1.22.2","host":"0.0.0.0","port":4222,"headers":true,"max_payload":1048576}` + "\r\n"
	for _, c := range []struct {
		name, hello string
		says        []string
	}{
		{"nats", nats, []string{`the port answered, but not in HTTP (it sent {"server_id":"NDJWE4KOSQXBYSYAAQC3I2KQZ2…: a NATS client port?)`, "give the port that serves net/http/pprof"}},
		{"ssh", "SSH-2.0-OpenSSH_9.6\r\n", []string{"not in HTTP (it sent SSH-2.0-OpenSSH_9.6: an SSH server?)"}},
		{"tls", "\x15\x03\x01\x00\x02\x02\x46", []string{"answered in TLS", "https://"}},
		{"closes", "", []string{"closed it without an HTTP answer"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A server of another protocol: what it sends is all the
			// answer there is, whether it speaks first (NATS, SSH) or not.
			addr := rawServer(t, func(conn net.Conn) { io.WriteString(conn, c.hello) })
			_, _, err := fetchOnce(t, addr, Options{Timeout: 5 * time.Second})
			wantKind(t, err, ErrNotHTTP, c.says...)
			if msg := err.Error(); strings.Contains(msg, `\"`) || strings.Contains(msg, "malformed") {
				t.Errorf("the message repeats net/http's words: %s", msg)
			}
		})
	}

	// When the greeting arrives before the request is written, net/http
	// says only "readLoopPeekFailLocked" (and logs the greeting): the port
	// is asked again for its first words. The race cannot be caused on
	// demand, so its error is handed to fetchErr as net/http words it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, nats) // before any request, as NATS does
			c.Close()
		}
	}()
	s := open(t, ln.Addr().String(), Options{Timeout: 5 * time.Second}).(*httpSource)
	raced := &url.Error{Op: "Get", URL: s.url.String(), Err: errors.New("readLoopPeekFailLocked: %!w(<nil>)")}
	err = s.fetchErr(context.Background(), context.Background(), raced)
	wantKind(t, err, ErrNotHTTP, `the port answered, but not in HTTP (it sent {"server_id":"NDJWE4KOSQXBYSYAAQC3I2KQZ2…: a NATS client port?)`)
	quiet := rawServer(t, func(conn net.Conn) { io.Copy(io.Discard, conn) })
	s = open(t, quiet, Options{Timeout: 5 * time.Second}).(*httpSource)
	err = s.fetchErr(context.Background(), context.Background(), &url.Error{Op: "Get", URL: s.url.String(), Err: raced.Err})
	wantKind(t, err, ErrNetwork, "cannot reach")
}

// TestNotFoundHint: a 404 points where net/http/pprof answers on the
// same port, or says that it is not registered there; never at a URL
// that 404s too.
func TestNotFoundHint(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	withPprof := httptest.NewServer(mux)
	t.Cleanup(withPprof.Close)
	_, _, err := fetchOnce(t, withPprof.URL+"/metrics/goroutines", Options{})
	want := "the pprof index answers at " + withPprof.URL + "/debug/pprof/: try " + withPprof.URL + "/debug/pprof/goroutine?debug=2"
	wantKind(t, err, ErrNotFound, "HTTP 404", want)
	_, body, err := fetchOnce(t, withPprof.URL+"/debug/pprof/goroutine?debug=2", Options{})
	if err != nil || !strings.HasPrefix(body, "goroutine ") {
		t.Fatalf("the URL the hint gives: %v", err)
	}

	bare := serve(t, http.NotFound)
	_, _, err = fetchOnce(t, bare, Options{})
	wantKind(t, err, ErrNotFound, "HTTP 404", "(404 page not found)", `net/http/pprof is not registered at /debug/pprof/ on this port: import _ "net/http/pprof"`)
	if strings.Contains(err.Error(), "try http") {
		t.Errorf("the hint points at a URL that 404s too: %s", err)
	}
}
