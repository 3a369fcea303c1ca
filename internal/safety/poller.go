package safety

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// Sample is one poll's result.
type Sample struct {
	// Snap is the snapshot: the full dump, or the cheap profile's counts
	// on the last full dump's groups (stackparse.Profile.Estimate), or a
	// dump cut at 64 MiB completed from a cheap profile.
	Snap *stackparse.Snapshot
	// Meta is the fetch the snapshot is dated by: the cheap profile's, or
	// the full dump's (also when completed).
	Meta source.Meta
	// Kind is what the poll fetched first.
	Kind Kind
	// CountOnly says Snap's goroutine IDs are not to be accounted (a cheap
	// poll, or a cut dump, whose IDs are a part of the process's): observe
	// it with track.Tracker.ObserveCounts.
	CountOnly bool
	// Completed says Snap is a dump cut at 64 MiB completed from a cheap
	// profile fetched right after it.
	Completed bool
	// Proof says the full dump came from the goroutineleak profile: a
	// leak-detecting garbage collection ran first, and the goroutines it
	// proved leaked are marked (leaked).
	Proof bool
	// Cost is what the poll cost the target; for a completed dump, both
	// fetches: times, bytes and stall added up.
	Cost Cost
	// Wait is how long after this poll's start the next should start.
	Wait time.Duration
	// Stretched says Wait is longer than the Policy's Interval.
	Stretched bool
	// FullEvery is the time between full dumps at the current pace;
	// CountsEvery that between cheap polls, zero when there are none.
	FullEvery, CountsEvery time.Duration
	// Share is the share of wall time the target spends stalled by polls
	// at the current pace (Policy.Share).
	Share float64
}

// Poller polls a target's full dumps and, where it can, its cheap
// profile, as its Policy says. A Poller is not safe for concurrent use.
type Poller struct {
	// Policy decides what to fetch and when.
	Policy *Policy
	// Now and Sleep are the clock; nil means the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	full, counts source.Source // counts is nil when there is none
	trips        *RoundTrips   // probed before full dumps
	proof        *Prover
	prove        bool // the next poll is a full dump from proof
	last         *stackparse.Snapshot
	lastParser   *stackparse.Parser
	next         time.Time // the next poll's earliest start
}

// NewPoller returns a Poller of full dumps from full, of cheap profiles
// from the same target when source.Counts finds one, and of proof from
// its goroutineleak profile when it serves one (see Prover).
func NewPoller(full source.Source, policy *Policy) *Poller {
	p := &Poller{Policy: policy, full: full, proof: NewProver(full)}
	if c, ok := source.Counts(full); ok {
		p.counts = c
	}
	p.trips = NewRoundTrips(full)
	return p
}

// HasCounts reports whether the Poller can use a cheap profile.
func (p *Poller) HasCounts() bool { return p.counts != nil }

// HasLeaks reports whether the Poller still tries the goroutineleak
// profile: until the target answers that it does not serve it.
func (p *Poller) HasLeaks() bool { return p.proof.On() }

// NextAt is when the next poll may start, after a failed poll too: Next
// waits until then.
func (p *Poller) NextAt() time.Time { return p.next }

// ProveNext makes the next poll a full dump from the goroutineleak
// profile, whatever the pace, when the target serves one: for the last
// poll of a check, whose verdict should carry the latest proof.
func (p *Poller) ProveNext() { p.prove = p.proof.On() }

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Next polls once, grouping with parser. Called before the previous
// poll's Wait is over, it waits (or until ctx is done): the budget holds
// whatever the caller's pace. The first poll, and the first with another
// parser (another grouping), is a full dump, whatever the budget: a cheap
// profile needs a full dump of the same grouping to map onto.
//
// A cheap profile that the target does not serve (an error status, an
// HTML page, not a profile) turns cheap polls off for good; the error is
// returned once, saying so.
func (p *Poller) Next(ctx context.Context, parser *stackparse.Parser) (Sample, error) {
	if d := p.next.Sub(p.now()); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			return Sample{}, err
		}
	}
	start := p.now()
	canCount := p.counts != nil && p.last != nil && p.lastParser == parser
	var (
		s   Sample
		err error
	)
	if !p.prove && p.Policy.Plan(start, canCount) == Counts {
		s, err = p.cheap(ctx, parser)
	} else {
		s, err = p.dump(ctx, parser, start)
	}
	canCount = p.counts != nil && p.last != nil
	s.Wait = p.Policy.Wait(start, canCount)
	s.Stretched = s.Wait > p.Policy.Interval
	s.FullEvery = p.Policy.FullEvery(canCount)
	if canCount && !p.Policy.Off() {
		s.CountsEvery = p.Policy.CountsEvery()
	}
	s.Share = p.Policy.Share(canCount)
	p.next = start.Add(s.Wait)
	return s, err
}

// cheap fetches the cheap profile and maps it onto the last full dump.
func (p *Poller) cheap(ctx context.Context, parser *stackparse.Parser) (Sample, error) {
	prof, meta, err := p.profile(ctx)
	if err != nil {
		return Sample{Kind: Counts}, err
	}
	c := p.Policy.Record(NewCost(Counts, meta.At, meta.Wait, meta.Duration, meta.Bytes))
	meta.Source = p.full.String() // the sample is of the target, not of ?debug=1
	return Sample{
		Snap:      prof.Estimate(p.last, parser.Grouping()),
		Meta:      meta,
		Kind:      Counts,
		CountOnly: true,
		Cost:      c,
	}, nil
}

// profile fetches and reads the cheap profile; when the target does not
// serve one, it turns cheap polls off.
func (p *Poller) profile(ctx context.Context) (*stackparse.Profile, source.Meta, error) {
	var prof *stackparse.Profile
	var perr error
	meta, err := p.counts.Next(ctx, func(r io.Reader) error {
		prof, perr = stackparse.ParseProfile(r)
		return perr
	})
	if err == nil {
		return prof, meta, nil
	}
	if perr != nil || Refused(err) {
		name := p.counts.String()
		p.counts.Close()
		p.counts = nil
		return nil, meta, fmt.Errorf("%s: %w; taking full dumps only, spaced to spare the target", name, err)
	}
	return nil, meta, err
}

// Refused reports whether the target answered, but not with a profile:
// an auth failure, 404, another error status, an HTML page or nothing.
func Refused(err error) bool {
	for _, k := range []source.ErrorKind{source.ErrAuth, source.ErrNotFound, source.ErrStatus, source.ErrHTML, source.ErrEmpty} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// dump fetches a full dump, from the goroutineleak profile when one is
// due, and completes it from the cheap profile when runtime/pprof cut it
// at 64 MiB.
func (p *Poller) dump(ctx context.Context, parser *stackparse.Parser, start time.Time) (Sample, error) {
	var snap *stackparse.Snapshot
	parse := func(r io.Reader) error {
		var err error
		snap, err = parser.Parse(r)
		return err
	}
	var (
		meta  source.Meta
		err   error
		proof bool
	)
	p.trips.Measure(ctx, p.Policy)
	if p.prove || p.proof.Due(start) {
		meta, proof, err = p.proof.Next(ctx, start, parse)
	}
	p.prove = false
	if proof {
		meta.Source = p.full.String() // the sample is of the target
	} else {
		snap = nil // nothing of a refused try
		meta, err = p.full.Next(ctx, parse)
	}
	s := Sample{Snap: snap, Meta: meta, Kind: Full, Proof: proof}
	if err != nil {
		return s, err
	}
	p.trips.Measure(ctx, p.Policy) // again: the smaller of two is charged
	s.Cost = p.Policy.Record(NewCost(Full, meta.At, meta.Wait, meta.Duration, meta.Bytes))
	if snap == nil {
		return s, nil
	}
	cut := snap.Truncated && meta.Bytes == pprofLimit
	snap.CountOnly = snap.CountOnly || cut
	if cut && p.counts != nil {
		if prof, cmeta, err := p.profile(ctx); err == nil {
			c := p.Policy.Record(NewCost(Counts, cmeta.At, cmeta.Wait, cmeta.Duration, cmeta.Bytes))
			s.Snap = prof.Complete(snap, parser.Grouping())
			s.Completed = true
			s.Cost.Wait += c.Wait
			s.Cost.Duration = cmeta.At.Add(cmeta.Duration).Sub(meta.At)
			s.Cost.Bytes += c.Bytes
			s.Cost.Stall += c.Stall
		} else {
			snap.Warnings = append(snap.Warnings, "could not complete the cut dump from ?debug=1: "+err.Error())
		}
	}
	s.CountOnly = s.Snap.CountOnly
	p.last, p.lastParser = s.Snap, parser
	return s, nil
}

// Close closes the sources of the cheap and goroutineleak profiles (not
// the full one, which the caller gave).
func (p *Poller) Close() error {
	err := p.proof.Close()
	if p.counts != nil {
		err = errors.Join(err, p.counts.Close())
	}
	return err
}
