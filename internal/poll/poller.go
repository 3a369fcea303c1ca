package poll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

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
	// last holds the latest full dump under each parser's grouping, the
	// parsers it was parsed with, for cheap polls to map onto.
	last        []*stackparse.Snapshot
	lastParsers []*stackparse.Parser
	next        time.Time // the next poll's earliest start
	start       time.Time // the latest poll's start
	confirming  string    // the rising group a full dump is brought forward for
}

// NewPoller returns a Poller of full dumps from full, of cheap profiles
// from the same target when source.Counts finds one (unless fullOnly),
// and of proof from its goroutineleak profile when it serves one (see
// Prover).
func NewPoller(full source.Source, policy *Policy, fullOnly bool) *Poller {
	p := &Poller{Policy: policy, full: full, proof: NewProver(full)}
	if c, ok := source.Counts(full); ok && !fullOnly {
		p.counts = c
	}
	p.trips = NewRoundTrips(full)
	return p
}

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

// Next polls once, parsing what it fetches with each parser (a grouping
// each; the sample's Snap is the first's). Called before the previous
// poll's Wait is over, it waits (or until ctx is done): the budget holds
// whatever the caller's pace. The first poll, and the first with other
// parsers (other groupings), is a full dump, whatever the budget: a cheap
// profile needs a full dump of the same groupings to map onto.
//
// A cheap profile that the target does not serve (an error status, an
// HTML page, not a profile) turns cheap polls off for good; the error is
// returned once, saying so.
func (p *Poller) Next(ctx context.Context, parsers ...*stackparse.Parser) (Sample, error) {
	if d := p.next.Sub(p.now()); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			return Sample{}, err
		}
	}
	start := p.now()
	canCount := p.counts != nil && p.last != nil && slices.Equal(p.lastParsers, parsers)
	var (
		s   Sample
		err error
	)
	if !p.prove && p.Policy.Plan(start, canCount) == Counts {
		s, err = p.cheap(ctx, parsers)
	} else {
		s, err = p.dump(ctx, parsers, start)
	}
	p.start = start
	s.Pace = p.pace()
	s.Cost.Share = s.Pace.Share
	return s, err
}

// pace plans the next poll after the latest and says when it comes.
func (p *Poller) pace() Pace {
	canCount := p.counts != nil && p.last != nil
	pc := Pace{
		Wait:       p.Policy.Wait(p.start, canCount),
		FullEvery:  p.Policy.FullEvery(canCount),
		NextFull:   p.Policy.NextFull(),
		Share:      p.Policy.Share(canCount),
		Confirming: p.confirming,
	}
	pc.Stretched = pc.Wait > p.Policy.Interval
	if canCount && !p.Policy.Off() {
		pc.CountsEvery = p.Policy.CountsEvery()
	}
	p.next = p.start.Add(pc.Wait)
	return pc
}

// Confirm asks for the next full dump sooner than the pace, within the
// budget over a longer horizon (Policy.NextFull), to confirm or clear the
// rise of the group named (its function); "" stops asking. It plans the
// next poll anew and returns the pace that follows the latest poll.
func (p *Poller) Confirm(group string) Pace {
	p.confirming = group
	p.Policy.Confirm(group != "" && p.counts != nil)
	return p.pace()
}

// cheap fetches the cheap profile and maps it onto the last full dump
// under each grouping.
func (p *Poller) cheap(ctx context.Context, parsers []*stackparse.Parser) (Sample, error) {
	prof, meta, err := p.profile(ctx)
	if err != nil {
		return Sample{Cost: Cost{Kind: Counts}}, err
	}
	c := p.Policy.Record(NewCost(Counts, meta.At, meta.Wait, meta.Duration, meta.Bytes))
	meta.Source = p.full.String() // the sample is of the target, not of ?debug=1
	s := Sample{Meta: meta, Cost: c}
	for i, parser := range parsers {
		s.snaps = append(s.snaps, prof.Estimate(p.last[i], parser.Grouping()))
	}
	s.Snap = s.snaps[0]
	return s, nil
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
func (p *Poller) dump(ctx context.Context, parsers []*stackparse.Parser, start time.Time) (Sample, error) {
	var snaps []*stackparse.Snapshot
	parse := func(r io.Reader) error {
		var err error
		snaps, err = ParseAll(r, parsers)
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
		if proof && err != nil && ctx.Err() == nil {
			// The proof failed, not refused (the network, a target that
			// speaks another protocol): the poll is the plain dump's,
			// and so is its error; the proof is tried again later.
			proof = false
		}
	}
	p.prove = false
	if proof {
		meta.Source = p.full.String() // the sample is of the target
	} else {
		snaps = nil // nothing of a refused try
		meta, err = p.full.Next(ctx, parse)
	}
	if errors.Is(err, ErrNotDump) {
		err = fmt.Errorf("%s: %w", p.full.String(), err)
	}
	s := Sample{Meta: meta, Cost: Cost{Kind: Full, Proof: proof}}
	if err != nil {
		return s, err
	}
	p.trips.Measure(ctx, p.Policy) // again: the smaller of two is charged
	s.Cost = p.Policy.Record(NewCost(Full, meta.At, meta.Wait, meta.Duration, meta.Bytes))
	s.Cost.Proof = proof
	if snaps == nil {
		return s, nil
	}
	s.snaps = snaps
	if snaps[0].Truncated && meta.Bytes == pprofLimit {
		p.complete(ctx, &s, parsers)
	}
	s.Snap = s.snaps[0]
	p.last, p.lastParsers = s.snaps, slices.Clone(parsers)
	return s, nil
}

// complete fills in a dump runtime/pprof cut at 64 MiB from a cheap
// profile fetched right after it; the snapshots are count-only either
// way, their IDs a part of the process's.
func (p *Poller) complete(ctx context.Context, s *Sample, parsers []*stackparse.Parser) {
	for _, snap := range s.snaps {
		snap.CountOnly = true
	}
	if p.counts == nil {
		return
	}
	prof, cmeta, err := p.profile(ctx)
	if err != nil {
		for _, snap := range s.snaps {
			snap.Warnings = append(snap.Warnings, "could not complete the cut dump from ?debug=1: "+err.Error())
		}
		return
	}
	c := p.Policy.Record(NewCost(Counts, cmeta.At, cmeta.Wait, cmeta.Duration, cmeta.Bytes))
	for i, parser := range parsers {
		s.snaps[i] = prof.Complete(s.snaps[i], parser.Grouping())
	}
	s.Completed = true
	s.Cost.Wait += c.Wait
	s.Cost.Duration = cmeta.At.Add(cmeta.Duration).Sub(s.Meta.At)
	s.Cost.Bytes += c.Bytes
	s.Cost.Stall += c.Stall
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
