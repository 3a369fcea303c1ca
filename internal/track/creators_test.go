package track

import (
	"slices"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// TestCreators counts, per creation site, the goroutines seen born, gone
// and alive, across the groups the site's goroutines fall in.
func TestCreators(t *testing.T) {
	s := newSim()
	bg := newBackground(s)
	s.shape("job.busy", "running")
	s.createdBy("jobs.start", "job.wait", "job.busy")
	s.spawnAged("job.wait", 5, time.Minute) // there before gorotop: not seen born
	var jobs []int64
	tr := New(Options{})
	run(s, tr, bg, time.Minute, func(s *sim, elapsed time.Duration) {
		if elapsed == 0 {
			return
		}
		// 3 new jobs a poll; each runs one poll, waits one, then ends.
		for _, id := range jobs {
			switch s.live[id].key {
			case "job.busy":
				s.move(id, "job.wait")
			default:
				s.exit(id)
			}
		}
		jobs = slices.DeleteFunc(jobs, func(id int64) bool { return s.live[id] == nil })
		jobs = append(jobs, s.spawn("job.busy", 3)...)
	})
	var job CreatorStat
	for _, c := range tr.Creators() {
		if c.Site.Func == "example.com/app.jobs.start" {
			job = c
		}
	}
	// 30 polls after the first: 90 born; the last 3 are running, the 3
	// before are waiting with the 5 found at the start; 84 gone.
	want := CreatorStat{Spawned: 90, Exited: 84, Alive: 11}
	if job.Spawned != want.Spawned || job.Exited != want.Exited || job.Alive != want.Alive {
		t.Errorf("jobs.start: spawned %d, exited %d, alive %d; want %d, %d, %d", job.Spawned, job.Exited, job.Alive, want.Spawned, want.Exited, want.Alive)
	}
	if !slices.Equal(job.Groups, []string{"job.wait", "job.busy"}) || job.Suspect {
		t.Errorf("jobs.start: groups %v, suspect %v", job.Groups, job.Suspect)
	}
}

// TestParents tells a group whose parents are all gone from one whose
// parent is alive, and where the live parent is.
func TestParents(t *testing.T) {
	s := newSim()
	bg := newBackground(s)
	listener := s.members(bgListener)[0]
	dial := persistConns(30, 0)(s)
	tr := New(Options{})
	run(s, tr, bg, time.Minute, func(s *sim, elapsed time.Duration) {
		dial(s, elapsed)
		if elapsed > 0 {
			s.spawnBy("conn.serve", listener, 1)
		}
	})
	conns := tr.View().Parents("conn.serve")
	if conns.Parents != 1 || conns.Alive != 1 || conns.Goroutines != 30 || !slices.Equal(conns.Groups, []string{bgListener}) {
		t.Errorf("conn.serve: %+v", conns)
	}
	if got := conns.String(); got != "spawned by one live parent" {
		t.Errorf("conn.serve: %q", got)
	}
	reads := tr.View().Parents("http.(*persistConn).readLoop")
	if reads.Parents != 30 || reads.Alive != 0 || reads.Gone() != 30 || reads.String() != "spawned by 30 parents, all gone" {
		t.Errorf("readLoop: %+v %q", reads, reads.String())
	}
	if got := tr.View().Parents(bgSignal); got.Parents != 0 || got.String() != "parent unknown" {
		t.Errorf("signal: %+v", got)
	}
	if got := (ParentStat{Parents: 5, Alive: 2}).String(); got != "spawned by 5 parents, 2 alive, 3 gone" {
		t.Errorf("mixed: %q", got)
	}
}

// TestLabels pivots a group on a pprof label's values.
func TestLabels(t *testing.T) {
	s := newSim()
	ids := s.spawn("handler", 4)
	a := []stackparse.Label{{Key: "route", Value: "/a"}, {Key: "tenant", Value: "acme"}}
	b := []stackparse.Label{{Key: "tenant", Value: "bolt"}}
	s.live[ids[0]].labels = a
	s.live[ids[1]].labels = a
	s.live[ids[2]].labels = b
	s.spawn("other", 1)
	s.live[s.members("other")[0]].labels = []stackparse.Label{{Key: "job", Value: "x"}}
	tr := New(Options{})
	tr.Observe(s.now, s.snapshot())
	got := tr.View().LabelValues("handler", "tenant")
	want := []ValueCount{{Value: "acme", Count: 2}, {Value: "bolt", Count: 1}, {Count: 1, Unset: true}}
	if !slices.Equal(got, want) {
		t.Errorf("tenant values %+v, want %+v", got, want)
	}
	if got := tr.View().LabelKeys("handler"); !slices.Equal(got, []string{"route", "tenant"}) {
		t.Errorf("handler keys %v", got)
	}
	if got := tr.View().LabelKeys(""); !slices.Equal(got, []string{"job", "route", "tenant"}) {
		t.Errorf("all keys %v", got)
	}
	if got := tr.View().LabelValues("nope", "tenant"); got != nil {
		t.Errorf("unknown group: %v", got)
	}

	// Three more for bolt a minute later: they joined, the others were
	// there from the first poll; past the window, none joined lately.
	s.advance(time.Minute)
	for _, id := range s.spawn("handler", 3) {
		s.live[id].labels = b
	}
	tr.Observe(s.now, s.snapshot())
	got = tr.View().LabelValues("handler", "tenant")
	want = []ValueCount{{Value: "bolt", Count: 4, Joined: 3}, {Value: "acme", Count: 2}, {Count: 1, Unset: true}}
	if !slices.Equal(got, want) {
		t.Errorf("after a minute: tenant values %+v, want %+v", got, want)
	}
	s.advance(tr.View().Options().Window + time.Second)
	tr.Observe(s.now, s.snapshot())
	if got := tr.View().LabelValues("handler", "tenant"); got[0].Joined != 0 {
		t.Errorf("a window later: %+v, want none joined lately", got)
	}
}
