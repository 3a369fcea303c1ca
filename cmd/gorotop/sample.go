package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/safety"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
	"github.com/gorotop/gorotop/tui"
)

// sample is one dump, parsed.
type sample struct {
	snap *stackparse.Snapshot
	meta source.Meta
	// safe says what the poll was and cost when the sampler spares the
	// target (see spare); nil otherwise.
	safe *safety.Sample
}

// observe files the sample with a tracker: count-only samples through
// ObserveCounts, so that they do not read as goroutines exiting.
func (smp sample) observe(tr *track.Tracker) {
	if smp.snap.CountOnly {
		tr.ObserveCounts(smp.meta.At, smp.snap)
		return
	}
	tr.Observe(smp.meta.At, smp.snap)
}

// interval is the time to wait before the next poll when the sampler
// stretched it past --interval to spare the target (tui.Sample.Interval);
// zero otherwise.
func (smp sample) interval() time.Duration {
	if smp.safe == nil || !smp.safe.Stretched {
		return 0
	}
	return smp.safe.Wait
}

// cost says what the poll cost the target, for the UI's header; zero
// when the sampler does not spare the target.
func (smp sample) cost() tui.PollCost {
	if smp.safe == nil {
		return tui.PollCost{}
	}
	s := smp.safe
	return tui.PollCost{
		Counts:    s.Kind == safety.Counts,
		Completed: s.Completed,
		Proof:     s.Proof,
		Stall:     s.Cost.Stall,
		Walks:     s.Cost.Walks,
		Share:     s.Share,
		FullEvery: s.FullEvery,
	}
}

// sampler takes samples from a source, one per dump. A file is one sample
// (with every dump in it); a directory is one sample per file; standard
// input is one sample per dump in the stream, each stamped with the time it
// arrived. A live target polled with spare on takes a full dump only as
// often as the stall budget allows, and cheap ?debug=1 polls between.
type sampler struct {
	src    source.Source
	parser *stackparse.Parser
	stream chan streamed  // standard input: dumps as they arrive
	poller *safety.Poller // live targets, once spare is called
	cheap  int            // cheap polls taken
	log    pollLog        // what the latest polls of a live target cost
}

// keepPolls bounds the polls a pollLog keeps.
const keepPolls = 1000

// pollLog keeps what the latest polls cost, for exports. It is safe for
// concurrent use: the UI exports while it polls.
type pollLog struct {
	mu    sync.Mutex
	polls []export.Poll
}

func (l *pollLog) add(p export.Poll) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.polls) == keepPolls {
		l.polls = slices.Delete(l.polls, 0, keepPolls/10)
	}
	l.polls = append(l.polls, p)
}

// list returns a copy of the polls kept, oldest first.
func (l *pollLog) list() []export.Poll {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.polls)
}

// poll says what the sample's fetch cost, for exports.
func (smp sample) poll() export.Poll {
	p := export.Poll{At: smp.meta.At, Kind: "full", Duration: smp.meta.Duration, Bytes: smp.meta.Bytes, Stall: smp.meta.Wait}
	if s := smp.safe; s != nil {
		p.Duration, p.Bytes, p.Stall, p.Share = s.Cost.Duration, s.Cost.Bytes, s.Cost.Stall, s.Share
		switch {
		case s.Kind == safety.Counts:
			p.Kind = "counts"
		case s.Proof:
			p.Kind = "proof"
		}
	}
	return p
}

// spare makes the sampler of a live target keep the target's stall share
// within maxShare (see package safety), with interval as the floor
// between polls; maxShare <= 0 only measures what each poll costs. Files,
// directories, recordings and streams are read as they are.
func (s *sampler) spare(interval time.Duration, maxShare float64) {
	if s.stream != nil || !s.src.Live() {
		return
	}
	if s.poller != nil {
		s.poller.Close()
	}
	s.poller = safety.NewPoller(s.src, safety.NewPolicy(interval, maxShare))
}

type streamed struct {
	s   sample
	err error
}

func openSampler(target string, opts source.Options, g stackparse.Grouping) (*sampler, error) {
	t, err := source.ParseTarget(target)
	if err != nil {
		return nil, err
	}
	src, err := source.Open(t, opts)
	if err != nil {
		return nil, err
	}
	return &sampler{src: src, parser: stackparse.NewParser(g)}, nil
}

// streaming makes the sampler split its input into dumps as they arrive;
// for standard input.
func (s *sampler) streaming(ctx context.Context) {
	s.stream = make(chan streamed)
	go func() {
		defer close(s.stream)
		_, err := s.src.Next(ctx, func(r io.Reader) error {
			return s.parser.ParseEach(r, func(snap *stackparse.Snapshot) error {
				m := source.Meta{Source: s.src.String(), At: time.Now(), Bytes: snap.Bytes}
				select {
				case s.stream <- streamed{s: sample{snap: snap, meta: m}}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		})
		if err == nil {
			err = io.EOF
		}
		select {
		case s.stream <- streamed{err: err}:
		case <-ctx.Done():
		}
	}()
}

// next returns the next sample; io.EOF when a finite source is done.
func (s *sampler) next(ctx context.Context) (sample, error) {
	return s.nextWith(ctx, s.parser)
}

// nextWith is next with another parser (another grouping); a stream keeps
// its own.
func (s *sampler) nextWith(ctx context.Context, p *stackparse.Parser) (sample, error) {
	if s.stream != nil {
		select {
		case st, ok := <-s.stream:
			if !ok {
				return sample{}, io.EOF
			}
			return st.s, st.err
		case <-ctx.Done():
			return sample{}, ctx.Err()
		}
	}
	var smp sample
	if s.poller != nil {
		ps, err := s.poller.Next(ctx, p)
		if err != nil {
			return sample{}, err
		}
		smp = sample{snap: ps.Snap, meta: ps.Meta, safe: &ps}
		if ps.Kind == safety.Counts {
			s.cheap++
		}
	} else {
		var snap *stackparse.Snapshot
		meta, err := s.src.Next(ctx, func(r io.Reader) error {
			var err error
			snap, err = p.Parse(r)
			return err
		})
		if err != nil {
			return sample{}, err
		}
		smp = sample{snap: snap, meta: meta}
	}
	if snap := smp.snap; snap == nil || snap.Total == 0 && len(snap.Warnings) == 0 {
		return sample{}, errors.New(smp.meta.Source + ": no goroutine dump found (is this a debug=2 goroutine dump?)")
	}
	if s.src.Live() {
		s.log.add(smp.poll())
	}
	return smp, nil
}

func (s *sampler) close() {
	if s.poller != nil {
		s.poller.Close()
	}
	s.src.Close()
}

// stallBudget is the --max-stall flag: the share of wall time the target
// may spend stalled by gorotop's polls, as a percentage ("1%", "0.5%") or
// "off" (a full dump at every --interval, whatever it costs).
type stallBudget float64

func (b stallBudget) String() string {
	if b <= 0 {
		return "off"
	}
	return strconv.FormatFloat(float64(b)*100, 'f', -1, 64) + "%"
}

func (b *stallBudget) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "off" || v == "0" || v == "0%" {
		*b = 0
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || !strings.HasSuffix(v, "%") || f <= 0 || f > 100 {
		return fmt.Errorf("want a percentage of wall time such as 1%% or 0.5%%, or off")
	}
	*b = stallBudget(f / 100)
	return nil
}

// version is the module version when installed with go install.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
