package source

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strings"
	"testing"
)

// TestCounts fetches both profiles of a real process (this test binary)
// through net/http/pprof, with a header that must reach both.
func TestCounts(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Team") != "gorotop" {
			http.Error(w, "no header", http.StatusForbidden)
			return
		}
		pprof.Index(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	full := open(t, srv.URL, Options{Headers: http.Header{"X-Team": {"gorotop"}}})
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
	if _, body, err := fetchOnce(t, srv.URL, Options{Headers: http.Header{"X-Team": {"gorotop"}}}); err != nil || !strings.HasPrefix(body, "goroutine ") {
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
