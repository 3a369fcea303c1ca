package poll

import (
	"context"
	"errors"
	"math/bits"
	"slices"
	"time"

	"github.com/gorotop/gorotop/internal/source"
)

// Kind is what a poll fetched.
type Kind int

// The kinds of poll.
const (
	Full   Kind = iota + 1 // a ?debug=2 dump: every goroutine, stopping the world
	Counts                 // a ?debug=1 profile: counts per stack
)

func (k Kind) String() string {
	switch k {
	case Full:
		return "full"
	case Counts:
		return "counts"
	}
	return "none"
}

// Defaults.
const (
	// DefaultInterval is the least time between two polls.
	DefaultInterval = 2 * time.Second
	// DefaultMaxShare is the share of wall time the target may spend
	// stalled by gorotop.
	DefaultMaxShare = 0.01
	// CountsWeight is the part of a cheap poll's wait charged as stall.
	// A ?debug=1 request holds other requests up for a small part of its
	// wait, which is mostly one goroutine's work beside the running
	// program (internal/stallmeter measures both). A tenth of the wait
	// leaves a margin, and, with cheap polls held to half the budget,
	// keeps their whole wait (their work on the target) under 5 % of wall
	// time at the default budget.
	CountsWeight = 0.1
	// pprofStart and pprofLimit bound runtime/pprof's ?debug=2 buffer.
	pprofStart = 1 << 20
	pprofLimit = 64 << 20
)

// Cost is what one fetch cost the target.
type Cost struct {
	Kind Kind
	// Proof says a full dump came from the goroutineleak profile: a
	// leak-detecting garbage collection ran first, and the goroutines it
	// proved leaked are marked (leaked).
	Proof bool
	// At is when the fetch started.
	At time.Time
	// Wait is from sending the request to the response header.
	Wait time.Duration
	// Duration is from sending the request to the last byte.
	Duration time.Duration
	// Bytes is the size of the body.
	Bytes int64
	// Walks is how many stopped-world stack walks runtime/pprof made for
	// a full dump of this size (see Walks); 0 for a cheap poll.
	Walks int
	// Stall is what the policy charges: Wait for a full dump, Wait ×
	// CountsWeight for a cheap poll, the round trip taken off Wait first
	// once one is known, down to a quarter of it (Policy.Record).
	Stall time.Duration
	// Share is the target's stall share at the pace after this poll, as
	// the loop's log keeps it; zero when not measured.
	Share float64
}

// NewCost makes the Cost of a fetch of kind.
func NewCost(kind Kind, at time.Time, wait, duration time.Duration, bytes int64) Cost {
	c := Cost{Kind: kind, At: at, Wait: wait, Duration: duration, Bytes: bytes, Stall: wait}
	if kind == Full {
		c.Walks = Walks(bytes)
	} else {
		c.Stall = time.Duration(float64(wait) * CountsWeight)
	}
	return c
}

// Walks returns how many times runtime/pprof walked every stack, the
// world stopped, to write a ?debug=2 dump of n bytes: it tries a 1 MiB
// buffer, doubles it while the dump fills it, and stops at 64 MiB (a dump
// of exactly 64 MiB was cut there). So 1 + ceil(log2(n / 1 MiB)), at
// most 7.
func Walks(n int64) int {
	if n < pprofStart {
		return 1
	}
	if n >= pprofLimit {
		return 7
	}
	// The smallest k with n < 1 MiB << k.
	return 1 + bits.Len64(uint64(n)/pprofStart)
}

// Policy decides, poll by poll, whether to take a full dump or a cheap
// profile, and how long to wait before the next poll. The zero Policy is
// not usable; see NewPolicy. A Policy is not safe for concurrent use.
type Policy struct {
	// Interval is the floor between polls (--interval).
	Interval time.Duration
	// MaxShare is the share of wall time the target may spend stalled;
	// zero or less turns the budget off: a full dump every Interval, the
	// cost still measured.
	MaxShare float64

	full, counts Cost // the latest of each kind
	// charges are the latest cheap polls' stalls, at most keepCharges:
	// cheap polls are paced by their median, so that one slow answer (the
	// target descheduled for a moment) does not space them out for long.
	charges []time.Duration
	// trips are the latest round-trip probes, at most keepTrips.
	trips []time.Duration
	// fulls are the full dumps charged within the latest horizon, oldest
	// first; confirm asks for the next full dump sooner than the pace, to
	// confirm a rising group, and borrowed says the latest full dump may
	// have come sooner: the ones after it pay the horizon back.
	fulls             []Cost
	confirm, borrowed bool
}

// The horizon over which full dumps brought forward keep the stall share
// within the budget: twice the time between full dumps at the pace, and
// at least minHorizon.
const minHorizon = 5 * time.Minute

// keepFulls bounds Policy.fulls.
const keepFulls = 64

// keepCharges is how many cheap polls' charges pace the next ones.
const keepCharges = 5

// keepTrips is how many round-trip probes the smallest is taken from:
// two a full dump, so the latest ten full dumps'.
const keepTrips = 20

// minCharged is the share of a wait charged however long the round trip.
const minCharged = 0.25

// NewPolicy returns a Policy with the given floor and budget.
func NewPolicy(interval time.Duration, maxShare float64) *Policy {
	return &Policy{Interval: interval, MaxShare: maxShare}
}

// Off reports whether the budget is off.
func (p *Policy) Off() bool { return p.MaxShare <= 0 }

// Record notes what a fetch cost and returns it as charged: with the
// round trip, once known, taken off its wait, but never below a quarter
// of the wait (minCharged). A probe waits for the network and for the
// target's scheduler alike: on a busy machine one that waited as long as
// the dump would leave a real stall uncharged.
func (p *Policy) Record(c Cost) Cost {
	if rt := p.RoundTrip(); rt > 0 {
		net := max(c.Wait-rt, time.Duration(float64(c.Wait)*minCharged))
		c.Stall = net
		if c.Kind != Full {
			c.Stall = time.Duration(float64(net) * CountsWeight)
		}
	}
	if c.Kind == Full {
		p.full = c
		p.borrowed = p.confirm
		p.fulls = append(p.fulls, c)
		from := c.At.Add(-p.horizon())
		for len(p.fulls) > 1 && (len(p.fulls) > keepFulls || p.fulls[0].At.Before(from)) {
			p.fulls = p.fulls[1:]
		}
		return c
	}
	p.counts = c
	p.charges = latest(p.charges, c.Stall, keepCharges)
	return c
}

// RecordRoundTrip notes the wait of a request the target answers at once:
// the network's part of every wait.
func (p *Policy) RecordRoundTrip(d time.Duration) { p.trips = latest(p.trips, d, keepTrips) }

// RoundTrip is the smallest of the latest round trips noted, 0 if none:
// the smallest, so that a slow moment of the network is never taken off
// a dump's wait as if it were no stall.
func (p *Policy) RoundTrip() time.Duration {
	if len(p.trips) == 0 {
		return 0
	}
	return slices.Min(p.trips)
}

// latest appends d to the latest durations, keeping n.
func latest(ds []time.Duration, d time.Duration, n int) []time.Duration {
	if len(ds) == n {
		ds = ds[1:]
	}
	return append(ds, d)
}

// countsCharge is the median charge of the latest cheap polls.
func (p *Policy) countsCharge() time.Duration {
	if len(p.charges) == 0 {
		return 0
	}
	sorted := slices.Clone(p.charges)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// Plan says what to fetch at now. canCount says a cheap profile can be
// used: there is one, and a full dump to map it onto. Without one, and
// when the budget is off, every poll is a full dump.
func (p *Policy) Plan(now time.Time, canCount bool) Kind {
	if p.Off() || !canCount || p.full.At.IsZero() || !now.Before(p.NextFull()) {
		return Full
	}
	return Counts
}

// Wait returns how long after the poll that started at start (and was
// just recorded) the next poll should start: Interval, stretched by the
// budget, and no later than when the next full dump is due.
func (p *Policy) Wait(start time.Time, canCount bool) time.Duration {
	switch {
	case p.Off():
		return p.Interval
	case !canCount:
		return p.FullEvery(false)
	}
	return max(p.Interval, min(p.CountsEvery(), p.NextFull().Sub(start)))
}

// NextFull is when the next full dump is due.
//
// While Confirm asks for it, the next full dump comes sooner: as soon as
// three cheap polls (or three intervals) have come since the last one,
// and the full dumps of the latest horizon (twice the time between full
// dumps, five minutes at least) with it stay within the budget left by
// the cheap polls. The full dumps after one brought forward wait until
// the horizon affords them too, so the share over the horizon holds.
func (p *Policy) NextFull() time.Time {
	next := p.full.At.Add(p.FullEvery(true))
	if p.Off() || p.full.At.IsZero() {
		return next
	}
	if soon := p.full.At.Add(max(3*p.CountsEvery(), 3*p.Interval)); p.confirm && soon.Before(next) {
		next = soon
	}
	if p.confirm || p.borrowed {
		next = p.affordable(next)
	}
	return next
}

// Confirm asks for the next full dump sooner than the pace, to confirm or
// clear a rising group, or stops asking.
func (p *Policy) Confirm(on bool) { p.confirm = on }

// horizon is the time over which full dumps brought forward keep the
// stall share within the budget.
func (p *Policy) horizon() time.Duration { return max(minHorizon, 2*p.FullEvery(true)) }

// affordable returns the earliest time from t on at which a full dump as
// dear as the latest keeps the full dumps of the horizon before it within
// the budget the cheap polls leave.
func (p *Policy) affordable(t time.Time) time.Time {
	h := p.horizon()
	budget := time.Duration(float64(h) * (p.MaxShare - p.countsShare()))
	for {
		charged, first := p.full.Stall, time.Time{}
		for _, c := range p.fulls {
			if c.At.After(t.Add(-h)) {
				if first.IsZero() {
					first = c.At
				}
				charged += c.Stall
			}
		}
		// A hundredth of slack: the pace itself spends the budget to
		// the last nanosecond.
		if charged <= budget+budget/100 || first.IsZero() {
			return t
		}
		t = first.Add(h) // when the oldest dump charged leaves the horizon
	}
}

// CountsEvery is the time between cheap polls: Interval, or more if their
// charge (the median of the latest few) would take more than half the
// budget.
func (p *Policy) CountsEvery() time.Duration {
	if p.Off() {
		return p.Interval
	}
	return max(p.Interval, time.Duration(float64(p.countsCharge())/(p.MaxShare/2)))
}

// countsShare is the share of wall time cheap polls are charged.
func (p *Policy) countsShare() float64 {
	if p.counts.At.IsZero() {
		return 0
	}
	return float64(p.countsCharge()) / float64(p.CountsEvery())
}

// FullEvery is the time between full dumps: Interval, or what the latest
// full dump's stall needs to stay within the budget left by cheap polls
// (withCounts) or the whole budget.
func (p *Policy) FullEvery(withCounts bool) time.Duration {
	if p.Off() {
		return p.Interval
	}
	budget := p.MaxShare
	if withCounts {
		budget -= p.countsShare()
	}
	return max(p.Interval, time.Duration(float64(p.full.Stall)/budget))
}

// Share is the share of wall time the target spends stalled by polls at
// the current pace: the latest full dump's stall over the time between
// full dumps, plus the cheap polls' charge over theirs when they are
// used.
func (p *Policy) Share(canCount bool) float64 {
	if p.full.At.IsZero() {
		return 0
	}
	if !canCount || p.Off() {
		return float64(p.full.Stall) / float64(p.FullEvery(false))
	}
	return float64(p.full.Stall)/float64(p.FullEvery(true)) + p.countsShare()
}

// RoundTrips probes a target's network round trip for a Policy, before
// and after each full dump (see source.RoundTrip), so that the dump's wait
// is charged net of the network: net of the smallest round trip of the
// latest probes, so that one slow probe (the network or the machine busy
// for a moment) is not taken off a dump's wait.
type RoundTrips struct {
	probe func(context.Context) (time.Duration, error) // nil: off
}

// NewRoundTrips returns the probes of src's target; they do nothing where
// source.RoundTrip finds no probe.
func NewRoundTrips(src source.Source) *RoundTrips {
	probe, _ := source.RoundTrip(src)
	return &RoundTrips{probe: probe}
}

// Measure probes once and notes the round trip in p. A target that does
// not serve /debug/pprof/cmdline (404, or not to us: 401, 403) turns the
// probes off; another failure (the network, a 5xx) leaves the round trips
// noted before.
func (r *RoundTrips) Measure(ctx context.Context, p *Policy) {
	if r.probe == nil {
		return
	}
	d, err := r.probe(ctx)
	switch {
	case err == nil:
		p.RecordRoundTrip(d)
	case errors.Is(err, source.ErrNotFound), errors.Is(err, source.ErrAuth):
		r.probe = nil
	}
}
