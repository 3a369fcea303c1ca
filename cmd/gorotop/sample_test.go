package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/safety"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// parked is what the sampler test's goroutines block in.
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

// TestSamplerSpares polls this test binary through net/http/pprof, with
// a budget that makes its full dumps too dear to take at every poll: the
// sampler takes a full dump, then cheap ?debug=1 polls, then a full dump
// again; the parked goroutines keep their group through both kinds, with
// their growth counted at cheap polls and their births at the next full
// one, and none read as exited.
func TestSamplerSpares(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	park(300, release)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	s, err := openSampler(srv.URL, source.Options{}, stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	const interval = 20 * time.Millisecond
	// A dump of a few hundred goroutines waits a millisecond or so: a
	// budget of 0.2 % spaces full dumps half a second or more apart, with
	// cheap polls every 20 ms between.
	s.spare(interval, 0.002)
	if !s.poller.HasCounts() {
		t.Fatal("no cheap profile for a net/http/pprof target")
	}
	tr := track.New(track.Options{})
	ctx := context.Background()
	var kinds []safety.Kind
	var key string
	fulls, grown, bornSeen := 0, false, false
	for i := 0; fulls < 3 && i < 2000; i++ {
		smp, err := s.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		smp.observe(tr)
		kinds = append(kinds, smp.safe.Kind)
		if smp.safe.Kind == safety.Full {
			fulls++
		}
		if smp.safe.Wait < interval || smp.safe.Share <= 0 {
			t.Errorf("poll %d: wait %v, share %v", i, smp.safe.Wait, smp.safe.Share)
		}
		g := parkedGroup(smp.snap)
		if g == nil {
			t.Fatalf("poll %d (%v): no group of parked goroutines", i, smp.safe.Kind)
		}
		if key == "" {
			key = g.Key
		} else if g.Key != key {
			t.Fatalf("poll %d (%v): parked goroutines under key %s, then %s", i, smp.safe.Kind, key, g.Key)
		}
		want := 300
		if grown {
			want = 350
		}
		trend := tr.Trend(key)
		if g.Count() != want || trend.Count != want {
			t.Errorf("poll %d (%v): %d parked, tracker %d; want %d", i, smp.safe.Kind, g.Count(), trend.Count, want)
		}
		if p := trend.History[len(trend.History)-1]; p.Exited != 0 || (smp.snap.CountOnly && p.Born != 0) {
			t.Errorf("poll %d (%v): %+v", i, smp.safe.Kind, p)
		}
		if smp.snap.CountOnly && !grown && fulls == 1 {
			park(50, release) // grows between two full dumps
			grown = true
		}
		if smp.safe.Kind == safety.Full && grown && fulls == 2 {
			if p := trend.History[len(trend.History)-1]; p.Born != 50 {
				t.Errorf("the full dump after the growth: %+v, want 50 born", p)
			}
			bornSeen = true
		}
		time.Sleep(interval)
	}
	if fulls < 3 || kinds[0] != safety.Full || kinds[1] != safety.Counts {
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
	t.Logf("%d polls, %d full: %v", len(kinds), fulls, kinds)
}

// parkedGroup finds the group of goroutines blocked in parked.
func parkedGroup(snap *stackparse.Snapshot) *stackparse.Group {
	for _, g := range snap.Groups {
		if g.Top().Func == "github.com/gorotop/gorotop/cmd/gorotop.parked" {
			return g
		}
	}
	return nil
}

func TestStallBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1%", 0.01, true}, {"0.5%", 0.005, true}, {"off", 0, true}, {"0", 0, true},
		{"1", 0, false}, {"200%", 0, false}, {"-1%", 0, false}, {"x%", 0, false},
	} {
		var b stallBudget
		err := b.Set(c.in)
		if (err == nil) != c.ok || err == nil && float64(b) != c.want {
			t.Errorf("%q: %v, %v", c.in, float64(b), err)
		}
	}
	b := stallBudget(safety.DefaultMaxShare)
	if b.String() != "1%" {
		t.Errorf("default %s, want 1%%", b.String())
	}
}

// TestPollLog: the log of poll costs stays bounded, keeps the latest, and
// names each kind of poll.
func TestPollLog(t *testing.T) {
	var l pollLog
	at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for i := range 2500 {
		l.add(sample{meta: source.Meta{At: at.Add(time.Duration(i) * time.Second)}}.poll())
	}
	got := l.list()
	if len(got) > keepPolls || len(got) < keepPolls*9/10 || !got[len(got)-1].At.Equal(at.Add(2499*time.Second)) {
		t.Errorf("%d polls kept, the last at %v", len(got), got[len(got)-1].At)
	}
	for _, c := range []struct {
		safe *safety.Sample
		want string
	}{
		{nil, "full"},
		{&safety.Sample{Kind: safety.Full}, "full"},
		{&safety.Sample{Kind: safety.Full, Proof: true}, "proof"},
		{&safety.Sample{Kind: safety.Counts, CountOnly: true, Share: 0.004}, "counts"},
	} {
		if p := (sample{safe: c.safe}).poll(); p.Kind != c.want {
			t.Errorf("%+v: kind %q, want %q", c.safe, p.Kind, c.want)
		}
	}
}
