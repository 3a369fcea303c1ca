package poll

import (
	"context"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/source"
)

// DefaultLeakEvery is how often, at most, a full dump comes from the
// goroutineleak profile when the target serves one. Each such fetch runs
// a leak-detecting garbage collection, a whole GC cycle: the runtime
// forces one every two minutes anyway, and one a minute more is little
// next to what a busy service collects. It replaces a full dump, so the
// stall budget holds.
const DefaultLeakEvery = time.Minute

// Prover takes full dumps from a target's goroutineleak profile (see
// source.Leaks), whose goroutines the runtime proved leaked are marked
// "(leaked)": the first full dump, then at most one every
// DefaultLeakEvery, until the target answers that it has none. The zero
// Prover, or one of a target without the profile, is off.
type Prover struct {
	src source.Source // nil when off
	at  time.Time     // the latest try
}

// NewProver returns the Prover of the target full polls.
func NewProver(full source.Source) *Prover {
	p := &Prover{}
	if l, ok := source.Leaks(full); ok {
		p.src = l
	}
	return p
}

// On reports whether the Prover still tries the goroutineleak profile.
func (p *Prover) On() bool { return p.src != nil }

// Due reports whether a full dump taken at now should come from the
// goroutineleak profile.
func (p *Prover) Due(now time.Time) bool {
	return p.src != nil && (p.at.IsZero() || now.Sub(p.at) >= DefaultLeakEvery)
}

// Next fetches a dump from the goroutineleak profile into read; a failed
// try counts too, so that the next waits its turn. ok is false when the
// target refused (not built with the experiment, a proxy that serves
// only the goroutine profile): the Prover is then off for good, and the
// caller takes a plain dump instead.
func (p *Prover) Next(ctx context.Context, now time.Time, read func(io.Reader) error) (meta source.Meta, ok bool, err error) {
	if p.src == nil {
		return source.Meta{}, false, nil
	}
	p.at = now
	meta, err = p.src.Next(ctx, read)
	if err != nil && Refused(err) {
		p.Close()
		return meta, false, nil
	}
	return meta, true, err
}

// Close turns the Prover off and closes its source.
func (p *Prover) Close() error {
	if p.src == nil {
		return nil
	}
	err := p.src.Close()
	p.src = nil
	return err
}
