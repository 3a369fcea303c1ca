package poll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Options configure a Loop.
type Options struct {
	// Interval is the floor between polls of a live target (--interval).
	Interval time.Duration
	// MaxShare is the stall budget (--max-stall); zero or less turns it
	// off: a full dump every Interval, the cost still measured.
	MaxShare float64
	// Groupings are how the loop groups every dump, a tracker each; the
	// first is the main one. Empty means GroupCode alone. A Stream is
	// read with the first only: its dumps go by once.
	Groupings []stackparse.Grouping
	// Track tunes the trackers.
	Track track.Options
	// FullOnly takes full dumps only, no cheap polls between: what a
	// recording holds.
	FullOnly bool
	// Stream splits a source that is one stream of dumps (standard
	// input) into a sample per dump as each arrives; without it the
	// whole stream is one sample.
	Stream bool
	// Clock, when set, dates every sample and paces a live target's
	// polls in its stead of the real clock: for tests that play hours of
	// polls in seconds.
	Clock func() time.Time
}

// Loop watches one target: it fetches its dumps (as often as the target
// can bear, when it is live), parses each under every grouping, and files
// it with a tracker per grouping. The UI, check, record and snapshot all
// drive one.
//
// Next is called from one goroutine at a time; the Views it returns, and
// Read, may be used from others meanwhile.
type Loop struct {
	src     source.Source
	opts    Options
	parsers []*stackparse.Parser
	poller  *Poller       // a live target, polled within the budget
	stream  chan streamed // standard input, split into dumps as they come
	stop    context.CancelFunc

	mu       sync.Mutex
	trackers []*track.Tracker
	log      []Cost
	polls    int // samples observed
	cheap    int // of them, cheap polls
}

// keepLog bounds the polls a Loop's log keeps.
const keepLog = 1000

type streamed struct {
	s   Sample
	err error
}

// NewLoop returns the loop of a source; it owns src and closes it.
func NewLoop(src source.Source, opts Options) *Loop {
	if len(opts.Groupings) == 0 {
		opts.Groupings = []stackparse.Grouping{stackparse.GroupCode}
	}
	if opts.Stream {
		opts.Groupings = opts.Groupings[:1]
	}
	l := &Loop{src: src, opts: opts}
	for _, g := range opts.Groupings {
		parser := stackparse.NewParser(g)
		parser.ShareCache(len(opts.Groupings))
		l.parsers = append(l.parsers, parser)
		l.trackers = append(l.trackers, track.New(opts.Track))
	}
	switch {
	case opts.Stream:
		ctx, stop := context.WithCancel(context.Background())
		l.stop = stop
		l.stream = make(chan streamed)
		go l.split(ctx)
	case src.Live():
		l.poller = NewPoller(src, NewPolicy(opts.Interval, opts.MaxShare), opts.FullOnly)
		l.poller.Now = opts.Clock
	}
	return l
}

// Source returns the source the loop reads.
func (l *Loop) Source() source.Source { return l.src }

// Groupings returns the groupings the loop tracks, the main one first.
func (l *Loop) Groupings() []stackparse.Grouping { return l.opts.Groupings }

// Next takes the next sample and files it with the trackers; io.EOF when
// a finite source is done. A live target's poll waits for its pace.
func (l *Loop) Next(ctx context.Context) (Sample, error) {
	s, err := l.fetch(ctx)
	if err != nil {
		return s, err
	}
	if l.opts.Clock != nil {
		s.Meta.At = l.opts.Clock()
	}
	if snap := s.Snap; snap == nil || snap.Total == 0 && len(snap.Warnings) == 0 {
		return Sample{}, fmt.Errorf("%s: %w", s.Meta.Source, ErrNotDump)
	}
	l.observe(&s)
	if l.poller != nil {
		// A rising group waits for a full dump to confirm or clear it:
		// the budget may bring it forward.
		group := ""
		if rises := s.View().Rises(); len(rises) > 0 {
			group = rises[0].Group.Top().Func
		}
		if group != "" || s.Pace.Confirming != "" {
			share := s.Pace.Share
			s.Pace = l.poller.Confirm(group)
			s.Pace.Share = share
		}
	}
	return s, nil
}

// fetch takes the next sample from the source.
func (l *Loop) fetch(ctx context.Context) (Sample, error) {
	switch {
	case l.stream != nil:
		select {
		case st, ok := <-l.stream:
			if !ok {
				return Sample{}, io.EOF
			}
			return st.s, st.err
		case <-ctx.Done():
			return Sample{}, ctx.Err()
		}
	case l.poller != nil:
		return l.poller.Next(ctx, l.parsers...)
	}
	var snaps []*stackparse.Snapshot
	meta, err := l.src.Next(ctx, func(r io.Reader) error {
		var err error
		snaps, err = ParseAll(r, l.parsers)
		return err
	})
	if errors.Is(err, ErrNotDump) {
		err = fmt.Errorf("%s: %w", meta.Source, err)
	}
	if err != nil {
		return Sample{}, err
	}
	if t := snaps[0].TakenAt; !t.IsZero() {
		// The time a file says it was taken (a pprof profile), rather than
		// its modification time: a directory of profiles copied from a
		// continuous profiler keeps its timeline.
		meta.At = t
	}
	return Sample{Snap: snaps[0], Meta: meta, snaps: snaps, Cost: Cost{Kind: Full, At: meta.At, Bytes: meta.Bytes}}, nil
}

// split reads standard input, one sample per dump as it arrives, each
// stamped with the time it came.
func (l *Loop) split(ctx context.Context) {
	defer close(l.stream)
	_, err := l.src.Next(ctx, func(r io.Reader) error {
		return l.parsers[0].ParseEach(r, func(snap *stackparse.Snapshot) error {
			m := source.Meta{Source: l.src.String(), At: time.Now(), Bytes: snap.Bytes}
			s := Sample{Snap: snap, Meta: m, snaps: []*stackparse.Snapshot{snap}, Cost: Cost{Kind: Full, At: m.At, Bytes: m.Bytes}}
			select {
			case l.stream <- streamed{s: s}:
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
	case l.stream <- streamed{err: err}:
	case <-ctx.Done():
	}
}

// observe files a sample with every tracker, and sets its views.
func (l *Loop) observe(s *Sample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.gs = l.opts.Groupings
	s.views = make([]*track.View, len(l.trackers))
	for i, tr := range l.trackers {
		snap := s.snaps[i]
		if snap.CountOnly {
			tr.ObserveCounts(s.Meta.At, snap)
		} else {
			tr.Observe(s.Meta.At, snap)
		}
		s.views[i] = tr.View()
	}
	l.polls++
	if s.Cost.Kind == Counts {
		l.cheap++
	}
	if l.src.Live() {
		if len(l.log) == keepLog {
			l.log = slices.Delete(l.log, 0, keepLog/10)
		}
		l.log = append(l.log, s.Cost)
	}
}

// Log returns what the latest polls of a live target cost, oldest first
// (at most keepLog).
func (l *Loop) Log() []Cost {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.log)
}

// Polls returns how many samples were observed, and how many of them were
// cheap polls.
func (l *Loop) Polls() (all, cheap int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.polls, l.cheap
}

// Close closes the loop's sources.
func (l *Loop) Close() error {
	if l.stop != nil {
		l.stop()
	}
	var err error
	if l.poller != nil {
		err = l.poller.Close()
	}
	return errors.Join(err, l.src.Close())
}

// Watch drives a loop for span, or until a finite source ends or ctx is
// done, calling each (if not nil) with every sample and every failed poll;
// an error each returns ends the watch with it. A live target is polled
// at its pace while a poll can start within the span, and the watch ends
// at its end, not at the last poll. A live target that fails is retried
// at its pace until the time is up; it is an error only if no poll
// succeeded at all. The last poll of a target that serves the
// goroutineleak profile comes from it, so that the verdict ends on the
// runtime's proof. It returns the last sample.
func Watch(ctx context.Context, l *Loop, span time.Duration, each func(Sample, error) error) (last Sample, err error) {
	deadline := time.Now().Add(span)
	polls := 0
	proofAsked := false // a poll past the deadline, for proof
	done := func(err error) (Sample, error) {
		if polls == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("%s: no goroutine dump found", l.src.String())
			}
			return last, err
		}
		return last, nil
	}
	// end ends the watch of a live target at the deadline, not at its
	// last poll: the pace leaves less than a poll's wait between the two,
	// and the watch lasts the span it was asked to.
	end := func(err error) (Sample, error) {
		if polls > 0 {
			waitUntil(ctx, deadline)
		}
		return done(err)
	}
	for {
		s, err := l.Next(ctx)
		if each != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil {
			if err := each(s, err); err != nil {
				return last, err
			}
		}
		p := l.poller
		switch {
		case errors.Is(err, io.EOF):
			return done(nil)
		case err != nil && (!l.src.Live() || ctx.Err() != nil):
			if polls == 0 || ctx.Err() == nil {
				return last, err
			}
			return last, nil
		case err != nil && p == nil:
			return done(err)
		case err != nil:
			// The poller paces failed polls too (an answer that was
			// no dump still cost a wait): never wait past the end.
			if p.NextAt().After(deadline) {
				return end(err)
			}
			continue
		}
		last = s
		polls++
		if p == nil {
			continue // files, directories and streams: read them whole
		}
		// The poller paces itself: the next poll waits out this one's
		// Wait inside Next. The last poll is a full dump, from the
		// goroutineleak profile where the target serves one. Should the
		// pace change so that the poll before the deadline was not that,
		// one more poll gives the proof.
		next := p.NextAt()
		switch {
		case next.After(deadline) && (s.Cost.Proof || !p.HasLeaks() || proofAsked):
			return end(nil)
		case next.After(deadline) || next.Add(s.Pace.Wait).After(deadline):
			p.ProveNext()
			proofAsked = proofAsked || next.After(deadline)
		}
	}
}

// waitUntil waits until t, or until ctx is done.
func waitUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
