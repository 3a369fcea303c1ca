package poll

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// parked is what the loop test's goroutines block in.
//
//go:noinline
func parked(release <-chan struct{}, ready *sync.WaitGroup) {
	ready.Done()
	<-release
}

// park starts n goroutines in parked and waits until they have started.
//
//go:noinline
func park(n int, release <-chan struct{}) {
	var ready sync.WaitGroup
	ready.Add(n)
	for range n {
		go parked(release, &ready)
	}
	ready.Wait()
	time.Sleep(20 * time.Millisecond) // until they block
}

// parkedGroup finds the group of goroutines blocked in parked.
func parkedGroup(snap *stackparse.Snapshot) *stackparse.Group {
	for _, g := range snap.Groups {
		if g.Top().Func == "github.com/gorotop/gorotop/internal/poll.parked" {
			return g
		}
	}
	return nil
}

// openURL opens a loop on url.
func openURL(t *testing.T, url string, opts Options) *Loop {
	t.Helper()
	tg, err := source.ParseTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(tg, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoop(src, opts)
	t.Cleanup(func() { l.Close() })
	return l
}

// TestLoopSpares polls this test binary through net/http/pprof, with a
// budget that makes its full dumps too dear to take at every poll: the
// loop takes a full dump, then cheap ?debug=1 polls, then a full dump
// again; the parked goroutines keep their group through both kinds, under
// every grouping, with their growth counted at cheap polls and their
// births at the next full one, and none read as exited.
func TestLoopSpares(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	park(300, release)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	const interval = 20 * time.Millisecond
	// A dump of a few hundred goroutines waits a millisecond or so: a
	// budget of 0.2 % spaces full dumps half a second or more apart, with
	// cheap polls every 20 ms between.
	l := openURL(t, srv.URL, Options{Interval: interval, MaxShare: 0.002, Groupings: stackparse.Groupings})
	if l.poller.counts == nil {
		t.Fatal("no cheap profile for a net/http/pprof target")
	}
	ctx := context.Background()
	var kinds []Kind
	var key string
	fulls, grown, bornSeen := 0, false, false
	for i := 0; fulls < 3 && i < 2000; i++ {
		s, err := l.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, s.Cost.Kind)
		if s.Cost.Kind == Full {
			fulls++
		}
		if s.Pace.Wait < interval || s.Pace.Share <= 0 {
			t.Errorf("poll %d: pace %+v", i, s.Pace)
		}
		for _, gr := range stackparse.Groupings {
			snap, v := s.For(gr)
			if snap == nil || v == nil {
				t.Fatalf("poll %d: nothing under grouping %s", i, gr)
			}
			if snap.CountOnly != (s.Cost.Kind == Counts) || len(v.Totals()) != fulls {
				t.Errorf("poll %d (%v), %s: count only %v, %d full polls in the tracker, want %d", i, s.Cost.Kind, gr, snap.CountOnly, len(v.Totals()), fulls)
			}
		}
		g := parkedGroup(s.Snap)
		if g == nil {
			t.Fatalf("poll %d (%v): no group of parked goroutines", i, s.Cost.Kind)
		}
		if key == "" {
			key = g.Key
		} else if g.Key != key {
			t.Fatalf("poll %d (%v): parked goroutines under key %s, then %s", i, s.Cost.Kind, key, g.Key)
		}
		want := 300
		if grown {
			want = 350
		}
		trend := s.View().Trend(key)
		if g.Count() != want || trend.Count != want {
			t.Errorf("poll %d (%v): %d parked, tracker %d; want %d", i, s.Cost.Kind, g.Count(), trend.Count, want)
		}
		if p := trend.History[len(trend.History)-1]; p.Exited != 0 || (s.Snap.CountOnly && p.Born != 0) {
			t.Errorf("poll %d (%v): %+v", i, s.Cost.Kind, p)
		}
		if s.Snap.CountOnly && !grown && fulls == 1 {
			park(50, release) // grows between two full dumps
			grown = true
		}
		if s.Cost.Kind == Full && grown && fulls == 2 {
			if p := trend.History[len(trend.History)-1]; p.Born != 50 {
				t.Errorf("the full dump after the growth: %+v, want 50 born", p)
			}
			bornSeen = true
		}
		time.Sleep(interval)
	}
	if fulls < 3 || kinds[0] != Full || kinds[1] != Counts {
		t.Fatalf("kinds %v: want full, counts …, full, …, full", kinds)
	}
	if !bornSeen {
		t.Error("no full dump after the growth")
	}
	// How many cheap polls fit between two full dumps depends on how long
	// each kind waits here: under -race and load ?debug=1 can wait as
	// long as the small full dump, and then the policy rightly leaves no
	// room for one between two later full dumps (seen in CI: full,
	// counts, counts, full, full). A cheap poll follows the first.
	all, cheap := l.Polls()
	if all != len(kinds) || cheap != len(kinds)-fulls {
		t.Errorf("Polls: %d, %d cheap; want %d, %d", all, cheap, len(kinds), len(kinds)-fulls)
	}
	if log := l.Log(); len(log) != len(kinds) || log[0].Kind != Full || log[1].Kind != Counts {
		t.Errorf("log of %d polls, want %d", len(log), len(kinds))
	}
	t.Logf("%d polls, %d full: %v", len(kinds), fulls, kinds)
}

// TestLoopFiles: a directory of dumps is read file by file, a sample each
// with its file's time, then io.EOF; a file that holds no dump is an
// error naming it, and the files after it are still read.
func TestLoopFiles(t *testing.T) {
	dir := t.TempDir()
	dump := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n\ngoroutine 7 [chan receive]:\nmain.wait()\n\t/src/main.go:9 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:6 +0x25\n\n"
	for i, body := range []string{dump, "nothing here\n", dump} {
		path := filepath.Join(dir, "d"+string(rune('1'+i))+".txt")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 1, 0, i, 0, 0, time.UTC)
		os.Chtimes(path, at, at)
	}
	tg, err := source.ParseTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(tg, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoop(src, Options{Groupings: stackparse.Groupings})
	defer l.Close()
	ctx := context.Background()
	var got []string
	for {
		s, err := l.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case err != nil && errors.Is(err, ErrNotDump):
			got = append(got, "not a dump")
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, s.Meta.At.Format("15:04"))
			if snap, v := s.For(stackparse.GroupPointer); v == nil || v.Trend(snap.Groups[0].Key) == nil {
				t.Errorf("%s: not filed under every grouping", s.Meta.Source)
			}
		}
	}
	if want := "00:00,not a dump,00:02"; join(got) != want {
		t.Errorf("samples %s, want %s", join(got), want)
	}
	if all, _ := l.Polls(); all != 2 || len(l.Log()) != 0 {
		t.Errorf("%d polls, %d logged; want 2 and none (files cost the target nothing)", all, len(l.Log()))
	}
}

func join(s []string) string { return strings.Join(s, ",") }

// TestWatchLastsItsSpan: a watch of a live target ends at its deadline,
// not at its last poll before it (check --for 60s ended after about 58 s
// at 2 s polls).
func TestWatchLastsItsSpan(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const span, interval = 1500 * time.Millisecond, 400 * time.Millisecond
	l := openURL(t, srv.URL, Options{Interval: interval})
	start := time.Now()
	var at []time.Time
	_, err := Watch(context.Background(), l, span, func(s Sample, err error) error {
		if err != nil {
			return err
		}
		at = append(at, time.Now())
		return nil
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took < span {
		t.Errorf("the watch of %v ended after %v", span, took)
	}
	if len(at) < 3 {
		t.Errorf("%d polls in %v at %v: the watch did not poll at its pace", len(at), span, interval)
	}
}
