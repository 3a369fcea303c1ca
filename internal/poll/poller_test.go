package poll

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// cutDump is a ?debug=2 dump as runtime/pprof serves one that did not
// fit 64 MiB: senders and nothing else, cut mid-goroutine at exactly
// 64 MiB. It returns the dump and how many goroutines it began to write.
func cutDump() (string, int) {
	var b strings.Builder
	id := 1
	for b.Len() < pprofLimit {
		fmt.Fprintf(&b, "goroutine %d [chan send]:\nmain.send(0x%x)\n\t/src/main.go:20 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:5 +0x25\n\n", id, id)
		id++
	}
	return b.String()[:pprofLimit], id - 1
}

// profile is the ?debug=1 profile of a process with n senders and 500
// goroutines in code the cut dump never reached.
func profile(n int) string {
	return fmt.Sprintf("goroutine profile: total %d\n%d @ 0x1 0x2\n#\t0x1\tmain.send+0x1d\t/src/main.go:20\n\n500 @ 0x3\n#\t0x3\tmain.late+0x1\t/src/late.go:30\n\n", n+500, n)
}

// serve serves h as a target's /debug/pprof/goroutine (and its siblings),
// with /debug/pprof/cmdline answered at once, as net/http/pprof does.
func serve(t *testing.T, h http.HandlerFunc) source.Source {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/cmdline") {
			fmt.Fprint(w, "/app\x00-flag")
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	tg, err := source.ParseTarget(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// A minute per fetch: the 64 MiB dump, parsed as it streams, takes
	// 7–8 s under -race alone, and took more than the default 10 s with
	// two test runs at once.
	src, err := source.Open(tg, source.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestPollerCompletesCutDump: a dump cut at 64 MiB is completed at once
// from the cheap profile, and observed as counts.
func TestPollerCompletesCutDump(t *testing.T) {
	dump, began := cutDump()
	const more = 70000
	src := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("debug") == "1" {
			fmt.Fprint(w, profile(began+more))
			return
		}
		fmt.Fprint(w, dump)
	})
	p := NewPoller(src, NewPolicy(time.Millisecond, DefaultMaxShare), false)
	defer p.Close()
	s, err := p.Next(context.Background(), stackparse.NewParser(stackparse.GroupCode))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Completed || !s.Snap.CountOnly || s.Cost.Kind != Full || !s.Snap.Truncated {
		t.Fatalf("sample: completed %v, count only %v, kind %v, truncated %v", s.Completed, s.Snap.CountOnly, s.Cost.Kind, s.Snap.Truncated)
	}
	if want := began + more + 500; s.Snap.Total != want {
		t.Errorf("total %d, want %d", s.Snap.Total, want)
	}
	if s.Cost.Walks != 7 || s.Cost.Bytes <= pprofLimit || s.Cost.Wait <= p.Policy.full.Wait {
		t.Errorf("cost %+v: want 7 walks, both fetches added up", s.Cost)
	}
	late := false
	for _, g := range s.Snap.Groups {
		late = late || g.State == stackparse.NotKnownState && g.Count() == 500
	}
	if !late || !strings.Contains(strings.Join(s.Snap.Warnings, " "), "counted from ?debug=1") {
		t.Errorf("no unknown group of 500, or no warning: %q", s.Snap.Warnings)
	}
}

// TestPollerWithoutCounts: a target that refuses ?debug=1 turns cheap
// polls off, says so once, and is then polled with full dumps only,
// spaced by the budget.
func TestPollerWithoutCounts(t *testing.T) {
	const small = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n"
	src := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("debug") == "1" {
			http.NotFound(w, r)
			return
		}
		time.Sleep(20 * time.Millisecond) // a dear dump: 2 s apart at 1 %
		fmt.Fprint(w, small)
	})
	now := time.Now()
	var slept time.Duration
	p := NewPoller(src, NewPolicy(time.Millisecond, DefaultMaxShare), false)
	p.Now = func() time.Time { return now }
	p.Sleep = func(_ context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil }
	defer p.Close()
	parser := stackparse.NewParser(stackparse.GroupCode)
	ctx := context.Background()
	if s, err := p.Next(ctx, parser); err != nil || s.Cost.Kind != Full {
		t.Fatalf("first poll: %v %v", s.Cost.Kind, err)
	}
	now = now.Add(time.Millisecond)
	if _, err := p.Next(ctx, parser); err == nil || !strings.Contains(err.Error(), "full dumps only") {
		t.Fatalf("cheap poll of a target without one: %v", err)
	}
	if p.counts != nil {
		t.Fatal("cheap polls still on")
	}
	s, err := p.Next(ctx, parser)
	// 20 ms a dump, less the round trip (well under 5 ms), at 1 %.
	if err != nil || s.Cost.Kind != Full || !s.Pace.Stretched || s.Pace.Wait < 1500*time.Millisecond {
		t.Fatalf("then: %v %v, wait %v stretched %v", s.Cost.Kind, err, s.Pace.Wait, s.Pace.Stretched)
	}
	if slept == 0 {
		t.Error("a poll asked for early did not wait")
	}
}

// TestPollerLeakProof: a target that serves the goroutineleak profile
// gives the first full dump from it, then one a LeakEvery, and one at
// once after ProveNext; one that answers 404 is asked once, and its plain
// dump serves that very poll.
func TestPollerLeakProof(t *testing.T) {
	const (
		plain  = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\ngoroutine 7 [chan send]:\nmain.send()\n\t/src/main.go:20 +0x1d\n"
		proven = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n\ngoroutine 7 [chan send (leaked)]:\nmain.send()\n\t/src/main.go:20 +0x1d\n"
	)
	for _, served := range []bool{true, false} {
		t.Run(fmt.Sprintf("served=%v", served), func(t *testing.T) {
			leakHits := 0
			src := serve(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/goroutineleak"):
					leakHits++
					if !served {
						http.Error(w, "Unknown profile", http.StatusNotFound)
						return
					}
					fmt.Fprint(w, proven)
				case r.URL.Query().Get("debug") == "1":
					fmt.Fprint(w, "goroutine profile: total 2\n1 @ 0x1\n#\t0x1\tmain.main+0x1d\t/src/main.go:10\n\n1 @ 0x2\n#\t0x2\tmain.send+0x1d\t/src/main.go:20\n\n")
				default:
					fmt.Fprint(w, plain)
				}
			})
			now := time.Now()
			p := NewPoller(src, NewPolicy(time.Second, DefaultMaxShare), false)
			p.Now = func() time.Time { return now }
			p.Sleep = func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
			defer p.Close()
			parser := stackparse.NewParser(stackparse.GroupCode)
			var proofs []bool
			poll := func(step time.Duration) Sample {
				t.Helper()
				now = now.Add(step)
				s, err := p.Next(context.Background(), parser)
				if err != nil || s.Snap == nil || s.Snap.Total != 2 {
					t.Fatalf("poll %d: %v, %+v", len(proofs)+1, err, s.Snap)
				}
				proofs = append(proofs, s.Cost.Proof)
				leaked := 0
				for _, g := range s.Snap.Groups {
					leaked += g.Leaked
				}
				if s.Cost.Proof && leaked != 1 || !s.Cost.Proof && s.Cost.Kind == Full && leaked != 0 {
					t.Errorf("poll %d (proof %v, %v): %d leaked", len(proofs), s.Cost.Proof, s.Cost.Kind, leaked)
				}
				if !strings.HasSuffix(s.Meta.Source, "/goroutine?debug=2") {
					t.Errorf("poll %d: source %s, want the target's", len(proofs), s.Meta.Source)
				}
				return s
			}
			poll(0)
			poll(2 * time.Second)
			poll(2 * time.Second)
			p.ProveNext()
			if s := poll(2 * time.Second); s.Cost.Kind != Full {
				t.Errorf("the poll after ProveNext: %v, want a full dump", s.Cost.Kind)
			}
			poll(DefaultLeakEvery)
			want := []bool{true, false, false, true, true}
			if !served {
				want = []bool{false, false, false, false, false}
			}
			if fmt.Sprint(proofs) != fmt.Sprint(want) {
				t.Errorf("proof at polls %v, want %v", proofs, want)
			}
			if wantHits := map[bool]int{true: 3, false: 1}[served]; leakHits != wantHits || p.HasLeaks() != served {
				t.Errorf("goroutineleak asked %d times, still on %v; want %d, %v", leakHits, p.HasLeaks(), wantHits, served)
			}
		})
	}
}

// TestPollerNetOfRoundTrip: the Poller probes /debug/pprof/cmdline before
// full dumps and charges them net of its wait. A target whose every answer
// comes 40 ms late (the network) keeps the pace asked; one whose dumps
// alone come 40 ms late (a stall) is spaced; one without the probe is
// charged whole waits.
func TestPollerNetOfRoundTrip(t *testing.T) {
	const small = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n"
	for _, c := range []struct {
		name            string
		late            func(r *http.Request) bool
		cmdline, spaced bool
	}{
		{"network", func(*http.Request) bool { return true }, true, false},
		{"stall", func(r *http.Request) bool { return !strings.HasSuffix(r.URL.Path, "/cmdline") }, true, true},
		{"no probe", func(*http.Request) bool { return true }, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.late(r) {
					time.Sleep(40 * time.Millisecond)
				}
				switch {
				case strings.HasSuffix(r.URL.Path, "/cmdline") && c.cmdline:
					fmt.Fprint(w, "/app")
				case strings.HasSuffix(r.URL.Path, "/goroutine") && r.URL.Query().Get("debug") == "2":
					fmt.Fprint(w, small)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			tg, _ := source.ParseTarget(srv.URL)
			src, err := source.Open(tg, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			p := NewPoller(src, NewPolicy(500*time.Millisecond, DefaultMaxShare), false)
			defer p.Close()
			s, err := p.Next(context.Background(), stackparse.NewParser(stackparse.GroupCode))
			if err != nil || s.Cost.Kind != Full {
				t.Fatalf("first poll: %v %v", s.Cost.Kind, err)
			}
			t.Logf("wait %v, round trip %v, charged %v, full dumps every %v", s.Cost.Wait, p.Policy.RoundTrip(), s.Cost.Stall, s.Pace.FullEvery)
			if s.Cost.Wait < 40*time.Millisecond {
				t.Fatalf("the dump waited %v, want 40 ms or more", s.Cost.Wait)
			}
			// Charged whole, 40 ms at 1 % is 4 s; net of the round
			// trip, a quarter of the wait: 1 s.
			if spaced := s.Pace.FullEvery >= 3*time.Second; spaced != c.spaced {
				t.Errorf("full dumps every %v (charged %v of a %v wait), spaced %v, want %v", s.Pace.FullEvery, s.Cost.Stall, s.Cost.Wait, spaced, c.spaced)
			}
		})
	}
}
