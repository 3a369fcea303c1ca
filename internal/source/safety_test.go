package source

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	rpprof "runtime/pprof"
	"strings"
	"testing"

	"github.com/gorotop/gorotop/internal/record"
)

// teamServer serves this test binary's net/http/pprof (the profiles and
// the command line, as importing it does) to requests with the header
// X-Team: team-7f3a, and returns it with a Source of its full dumps that
// sends the header.
func teamServer(t *testing.T) (*httptest.Server, Source) {
	t.Helper()
	team := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Team") != "team-7f3a" {
				http.Error(w, "no header", http.StatusForbidden)
				return
			}
			h(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", team(pprof.Index))
	mux.HandleFunc("/debug/pprof/cmdline", team(pprof.Cmdline))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, open(t, srv.URL, Options{Headers: http.Header{"X-Team": {"team-7f3a"}}})
}

// TestCounts fetches both profiles of a real process (this test binary)
// through net/http/pprof, with a header that must reach both.
func TestCounts(t *testing.T) {
	srv, full := teamServer(t)
	counts, ok := Counts(full)
	if !ok {
		t.Fatal("no counts source for a pprof target")
	}
	defer counts.Close()
	if want := srv.URL + "/debug/pprof/goroutine?debug=1"; counts.String() != want {
		t.Errorf("counts source %s, want %s", counts.String(), want)
	}
	var body string
	meta, err := counts.Next(context.Background(), func(r io.Reader) error {
		b, err := io.ReadAll(r)
		body = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body, "goroutine profile: total ") || meta.Wait <= 0 || meta.Bytes != int64(len(body)) {
		t.Errorf("counts: meta %+v, body starts %.40q", meta, body)
	}
	if _, body, err := fetchOnce(t, srv.URL, Options{Headers: http.Header{"X-Team": {"team-7f3a"}}}); err != nil || !strings.HasPrefix(body, "goroutine ") {
		t.Errorf("full dump: %v, %.40q", err, body)
	}
}

func TestCountsNone(t *testing.T) {
	for _, target := range []string{
		"http://127.0.0.1:1/admin/goroutines",
		"http://127.0.0.1:1/debug/pprof/goroutineleak",
		"http://127.0.0.1:1/debug/pprof/goroutine?debug=1",
		"-",
	} {
		if _, ok := Counts(open(t, target, Options{Stdin: strings.NewReader("")})); ok {
			t.Errorf("%s: a counts source", target)
		}
	}
	src := open(t, "http://127.0.0.1:1/x/debug/pprof/goroutine?debug=2&seconds=0", Options{})
	c, ok := Counts(src)
	if !ok || c.String() != "http://127.0.0.1:1/x/debug/pprof/goroutine?debug=1&seconds=0" {
		t.Errorf("counts of a prefixed path: %v %v", c, ok)
	}
}

// TestLeaks: the goroutineleak source of a target is its sibling path
// with debug=2, over the same settings; a Go built without the experiment
// answers 404, which reads as ErrNotFound.
func TestLeaks(t *testing.T) {
	srv, full := teamServer(t)
	leaks, ok := Leaks(full)
	if !ok {
		t.Fatal("no goroutineleak source for a pprof target")
	}
	defer leaks.Close()
	if want := srv.URL + "/debug/pprof/goroutineleak?debug=2"; leaks.String() != want {
		t.Errorf("goroutineleak source %s, want %s", leaks.String(), want)
	}
	_, err := leaks.Next(context.Background(), func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !pprofHasLeakProfile() && !errors.Is(err, ErrNotFound) {
		t.Errorf("goroutineleak of a Go without the experiment: %v, want ErrNotFound", err)
	}
	for _, target := range []string{"http://127.0.0.1:1/debug/pprof/goroutineleak", "-"} {
		if _, ok := Leaks(open(t, target, Options{Stdin: strings.NewReader("")})); ok {
			t.Errorf("%s: a goroutineleak source", target)
		}
	}
	src := open(t, "http://127.0.0.1:1/x/debug/pprof/goroutine?debug=2&seconds=0", Options{})
	if l, ok := Leaks(src); !ok || l.String() != "http://127.0.0.1:1/x/debug/pprof/goroutineleak?debug=2&seconds=0" {
		t.Errorf("goroutineleak of a prefixed path: %v %v", l, ok)
	}
}

// pprofHasLeakProfile reports whether this test binary's runtime/pprof
// has the goroutineleak profile (built with the experiment).
func pprofHasLeakProfile() bool {
	return rpprof.Lookup("goroutineleak") != nil
}

// TestLeaksRecorded: through a Tee, the goroutineleak source records its
// dumps into the same recording; the cheap profile is not offered.
func TestLeaksRecorded(t *testing.T) {
	const dump = "goroutine 7 [chan send (leaked)]:\nmain.send()\n\t/src/main.go:20 +0x1d\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, dump)
	}))
	defer srv.Close()
	rec, err := record.Create(filepath.Join(t.TempDir(), "s.rec"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	tee := Tee(open(t, srv.URL, Options{}), rec)
	if _, ok := Counts(tee); ok {
		t.Error("a cheap profile offered through a recording")
	}
	leaks, ok := Leaks(tee)
	if !ok || leaks.String() != srv.URL+"/debug/pprof/goroutineleak?debug=2" {
		t.Fatalf("goroutineleak through a recording: %v %v", leaks, ok)
	}
	if _, err := leaks.Next(context.Background(), func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }); err != nil {
		t.Fatal(err)
	}
	if rec.Count() != 1 {
		t.Errorf("%d dumps recorded, want the goroutineleak one", rec.Count())
	}
}

// TestRoundTrip probes a real net/http/pprof (this test binary's) for its
// round trip: /debug/pprof/cmdline, sent with the same headers as the
// dumps; a target without it answers 404, one that refuses us 403; a file
// has no probe.
func TestRoundTrip(t *testing.T) {
	srv, full := teamServer(t)
	// A service that exposes the goroutine profile alone.
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/goroutine") {
			http.NotFound(w, r)
			return
		}
		pprof.Handler("goroutine").ServeHTTP(w, r)
	}))
	defer bare.Close()
	ctx := context.Background()

	probe, ok := RoundTrip(full)
	if !ok {
		t.Fatal("no probe for a pprof target")
	}
	if d, err := probe(ctx); err != nil || d <= 0 {
		t.Errorf("probe: %v, %v; want a round trip", d, err)
	}
	probe, _ = RoundTrip(open(t, srv.URL, Options{}))
	if _, err := probe(ctx); !errors.Is(err, ErrAuth) {
		t.Errorf("probe without the header: %v, want an auth error", err)
	}
	probe, _ = RoundTrip(open(t, bare.URL, Options{}))
	if _, err := probe(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("probe of a target without cmdline: %v, want 404", err)
	}
	file := filepath.Join(t.TempDir(), "dump.txt")
	if err := os.WriteFile(file, []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:1 +0x1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := RoundTrip(open(t, file, Options{})); ok {
		t.Error("a file has a round-trip probe")
	}
}
