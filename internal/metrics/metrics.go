// Package metrics serves what gorotop sees as Prometheus metrics, in the
// OpenMetrics and Prometheus text formats, so that a leak that grows for
// days pages someone instead of waiting to be looked at.
//
// An Exporter keeps, for each target, what its tracker knew at its
// latest poll (a track.View) and what that poll cost the target; Observe
// (or Update) takes it, from any goroutine, and Handler serves it.
// Metrics, all prefixed gorotop_:
//
//	goroutines{target}                      goroutines at the latest poll
//	groups{target}                          groups at the latest poll
//	groups_omitted{target}                  groups left out of the group_* series (over the bounds)
//	groups_flagged{target,verdict}          groups per verdict: suspect, rising, proven, stuck
//	group_goroutines{target,group,function,site,state}
//	group_growth_per_minute{…}              the group's growth over the tracker's window
//	group_suspect{…} group_rising{…}        1 when the group has the verdict, else 0
//	group_proven{…} group_stuck{…}
//	polls_total{target,kind}                polls taken: kind full (?debug=2) or counts (?debug=1)
//	poll_duration_seconds{target}           the latest poll's fetch, request to last byte
//	poll_bytes{target}                      the latest poll's body
//	stall_seconds_total{target}             stall charged to the target by polls
//	stall_share{target}                     the target's stall share at the current pace (0–1)
//	restarts_total{target}                  restarts of the target seen
//	last_poll_timestamp_seconds{target}     when the latest poll started
//	targets_dropped_total                   targets refused over Options.MaxTargets
//
// group is the group's key (the same code has the same key in every poll
// and every process), function and site name its blocking frame (file:
// line), state its wait state.
//
// # Bounds
//
// A target decides how many groups it has and what its function names
// hold, so the series are bounded: per target, the TopGroups largest
// groups and at most MaxFlagged more that have a verdict (every suspect,
// while there are no more than that), and at most MaxTargets targets.
// Label values are cleaned of control characters and invalid UTF-8 and
// cut to a fixed length. What is left out is counted (groups_omitted,
// targets_dropped_total), never silently lost.
package metrics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Options bound what an Exporter serves. The zero value is ready to use.
type Options struct {
	// TopGroups is how many of a target's largest groups get series.
	// Zero means 20.
	TopGroups int
	// MaxFlagged is how many more groups with a verdict (suspect, rising,
	// proven, stuck), most suspicious first, get series. Zero means 100.
	MaxFlagged int
	// MaxTargets is how many targets an Exporter serves. Zero means 64.
	MaxTargets int
}

func (o Options) withDefaults() Options {
	if o.TopGroups <= 0 {
		o.TopGroups = 20
	}
	if o.MaxFlagged <= 0 {
		o.MaxFlagged = 100
	}
	if o.MaxTargets <= 0 {
		o.MaxTargets = 64
	}
	return o
}

// Cost is what one poll cost the target, as the poller measured and
// charged it.
type Cost struct {
	// Kind is "full" (a ?debug=2 dump) or "counts" (a ?debug=1 profile);
	// anything else counts as "other".
	Kind string
	// Duration is the fetch, from request to last byte.
	Duration time.Duration
	// Stall is what the poll is charged as stalling the target.
	Stall time.Duration
	// Bytes is the size of the body.
	Bytes int64
	// Share is the target's stall share of wall time at the current pace,
	// from 0 to 1.
	Share float64
}

// Label value lengths, in runes.
const (
	maxTarget   = 128
	maxFunction = 160
	maxSite     = 80
	maxState    = 48
)

// ErrTooManyTargets is returned by Update for a new target beyond
// Options.MaxTargets.
var ErrTooManyTargets = errors.New("metrics: too many targets")

// Exporter serves the latest state of each target. It is safe for
// concurrent use.
type Exporter struct {
	opts Options
	reg  *prometheus.Registry

	mu      sync.Mutex
	targets map[string]*target // by the target's name as given
	dropped int
}

// target is what an Exporter keeps of one target.
type target struct {
	label      string
	at         time.Time
	goroutines int
	groups     int
	omitted    int
	flagged    [len(verdicts)]int
	rows       []row
	restarts   int

	polls    map[string]int
	stall    time.Duration
	duration time.Duration
	bytes    int64
	share    float64
}

// row is one group's series.
type row struct {
	key, function, site, state string
	count                      int
	growth                     float64
	verdicts                   [len(verdicts)]bool
}

// verdicts name what a group may be judged, in the order of row.verdicts.
var verdicts = [...]string{"suspect", "rising", "proven", "stuck"}

// verdictsOf judges one group. It is the one place that reads the
// tracker's verdicts.
func verdictsOf(tr *track.Trend) [len(verdicts)]bool {
	return [len(verdicts)]bool{tr.Suspect, tr.Rising, tr.Proven, tr.Stuck}
}

// New returns an empty Exporter.
func New(opts Options) *Exporter {
	e := &Exporter{opts: opts.withDefaults(), reg: prometheus.NewRegistry(), targets: map[string]*target{}}
	e.reg.MustRegister(collector{e})
	return e
}

// Observe records a target's state after a poll: what its tracker knew
// then, and what the poll cost. See Update.
func (e *Exporter) Observe(name string, s poll.Sample) error {
	v := s.View()
	if v == nil {
		return nil // not filed with a tracker: nothing to tell
	}
	c := s.Cost
	return e.Update(name, v, Cost{Kind: c.Kind.String(), Duration: c.Duration, Stall: c.Stall, Bytes: c.Bytes, Share: s.Pace.Share})
}

// Update records a target's state after a poll: what its tracker knew
// then (v), and what the poll cost. A new target beyond
// Options.MaxTargets is not recorded: Update returns ErrTooManyTargets
// and counts it in gorotop_targets_dropped_total.
func (e *Exporter) Update(name string, v *track.View, cost Cost) error {
	t := e.snapshot(v)
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.targets[name]
	if old == nil {
		if len(e.targets) >= e.opts.MaxTargets {
			e.dropped++
			return fmt.Errorf("%w: %d served, %s left out", ErrTooManyTargets, e.opts.MaxTargets, clean(name, maxTarget))
		}
		old = &target{polls: map[string]int{}}
	}
	t.label = clean(name, maxTarget)
	t.polls, t.stall = old.polls, old.stall
	kind := cost.Kind
	if kind != "full" && kind != "counts" {
		kind = "other"
	}
	t.polls[kind]++
	t.stall += cost.Stall
	t.duration, t.bytes, t.share = cost.Duration, cost.Bytes, cost.Share
	e.targets[name] = t
	return nil
}

// Forget drops a target's series (a pod gone).
func (e *Exporter) Forget(name string) {
	e.mu.Lock()
	delete(e.targets, name)
	e.mu.Unlock()
}

// snapshot copies what the series need from a view, bounded.
func (e *Exporter) snapshot(v *track.View) *target {
	t := &target{at: v.Last(), restarts: len(v.Restarts())}
	var present []*track.Trend
	for _, tn := range v.Trends() {
		if tn.Present {
			present = append(present, tn)
			// The groups' counts at the latest poll, a cheap one
			// included (the totals hold full polls only).
			t.goroutines += tn.Count
		}
	}
	t.groups = len(present)

	keep := map[*track.Trend]bool{}
	// Trends come most suspicious first: flagged groups in that order.
	flagged := 0
	for _, tn := range present {
		judged := false
		for i, v := range verdictsOf(tn) {
			if v {
				t.flagged[i]++
				judged = true
			}
		}
		if judged && flagged < e.opts.MaxFlagged {
			keep[tn] = true
			flagged++
		}
	}
	bySize := slices.Clone(present)
	slices.SortStableFunc(bySize, func(a, b *track.Trend) int { return cmp.Compare(b.Count, a.Count) })
	for _, tn := range bySize[:min(len(bySize), e.opts.TopGroups)] {
		keep[tn] = true
	}
	for _, tn := range present {
		if keep[tn] {
			t.rows = append(t.rows, rowOf(tn))
		}
	}
	t.omitted = t.groups - len(t.rows)
	return t
}

// rowOf makes a group's series labels and values.
func rowOf(tn *track.Trend) row {
	r := row{key: clean(tn.Key, 64), count: tn.Count, growth: tn.GrowthPerMin, verdicts: verdictsOf(tn)}
	if g := tn.Group; g != nil {
		top := g.Top()
		r.function = clean(top.Func, maxFunction)
		r.site = clean(top.Site(), maxSite)
		r.state = clean(g.State, maxState)
	}
	return r
}

// clean makes a label value from text a target sent: printable, valid
// UTF-8, at most most runes.
func clean(s string, most int) string { return stackparse.Clean(s, most) }

// Handler serves the metrics, in OpenMetrics when the scraper asks for
// it (Prometheus does) and in the Prometheus text format otherwise.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// Serve serves Handler at /metrics on ln until ctx is done, and then
// returns nil.
func (e *Exporter) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", e.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "gorotop: metrics at /metrics")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	shut := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(shut)
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-shut
		return nil
	}
	return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
}
