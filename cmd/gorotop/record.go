package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/record"
	"github.com/gorotop/gorotop/internal/safety"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

const recordUsage = `Usage: gorotop record -o FILE [flags] TARGET

Watch TARGET headless and record every goroutine dump, byte for byte and
compressed, with the time and cost of its fetch, into FILE: for --for, or
until interrupted (ctrl-c or SIGTERM leave a complete file). Each dump is
on disk once its poll is done, so even kill -9 loses at most the dump being
written. One line per poll on stderr says how it goes; a body that is not a
goroutine dump (an HTML page, an error) is not recorded.

A recording is a TARGET like any other: the UI replays it, snapshot takes
its last dump, check judges all of it. It is written with mode 0600: dumps
show argument values.

Examples:
  gorotop record -o api.rec --for 10m :6060
  gorotop record -o night.rec --for 8h --interval 30s http://10.0.0.7:6060
  gorotop api.rec                          # replay it in the UI
  gorotop check api.rec                    # was anything leaking?
`

// errNotDump refuses a body that holds no goroutine.
var errNotDump = errors.New("not a goroutine dump (is this a debug=2 goroutine dump?); not recorded")

func runRecord(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o options
	fs := newFlags("record", recordUsage)
	o.register(fs, commandFlags["record"])
	rest, err := parseArgs(fs, "record", args, stdout)
	if err != nil {
		return err
	}
	target, err := oneTarget("record", rest)
	if err != nil {
		return err
	}
	switch {
	case o.output == "" || o.output == "-":
		return usagef("record", "give the file to record into with -o FILE")
	case o.interval <= 0 || o.forDur <= 0:
		return usagef("record", "--interval and --for must be positive")
	}
	g, err := stackparse.ParseGrouping(o.group)
	if err != nil {
		return usagef("record", "--group: %v", err)
	}
	t, err := source.ParseTarget(target)
	if err != nil {
		return err
	}
	src, err := source.Open(t, o.sourceOptions(stdin))
	if err != nil {
		return err
	}
	defer src.Close()
	w, err := record.Create(o.output, o.force)
	if err != nil {
		return err
	}
	defer w.Close()

	tee := source.Tee(src, w)
	r := &recorder{src: tee, w: w, parser: stackparse.NewParser(g), log: stderr,
		policy: safety.NewPolicy(o.interval, float64(o.maxStall)), proof: safety.NewProver(tee), trips: safety.NewRoundTrips(tee)}
	defer r.proof.Close()
	err = r.run(ctx, o.forDur)
	printWarnings(stderr, src)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", o.output, cerr)
	}
	if errors.Is(err, record.ErrReplaced) {
		return err // the file at the path is another recorder's
	}
	if w.Count() == 0 {
		w.Remove()
		if err == nil {
			err = errors.New(src.String() + ": no goroutine dump recorded")
		}
		return err
	}
	fmt.Fprintf(stderr, "recorded %s of %s in %s: %s of dumps in %s (%.1f %%)\n",
		snapshots(w.Count()), stackparse.Clean(src.String(), 0), o.output, sizeOf(w.Raw()), sizeOf(w.Size()), 100*float64(w.Size())/float64(max(w.Raw(), 1)))
	return err
}

// recorder polls a source that records what it yields (source.Tee),
// parsing each body to refuse what is not a dump and to report progress.
type recorder struct {
	src    source.Source
	w      *record.Writer
	parser *stackparse.Parser
	log    io.Writer
	// policy paces the polls: every Interval, stretched to keep the
	// target's stall share within budget. A recording holds full dumps
	// only, so no cheap polls come between them.
	policy *safety.Policy
	// proof takes dumps from the target's goroutineleak profile when it
	// serves one, recorded like the rest (source.Leaks through the Tee).
	proof *safety.Prover
	// trips measures the network's round trip before each dump.
	trips *safety.RoundTrips
}

// run polls every interval for span, or until ctx ends or a finite source
// is done. Failed polls of a live target are reported and retried; an
// interruption is not an error.
func (r *recorder) run(ctx context.Context, span time.Duration) error {
	deadline := time.Now().Add(span)
	var lastErr error
	for {
		start := time.Now()
		r.trips.Measure(ctx, r.policy)
		meta, total, err := r.poll(ctx)
		switch {
		case err == nil:
			r.trips.Measure(ctx, r.policy) // again: the smaller of two is charged
			c := r.policy.Record(safety.NewCost(safety.Full, meta.At, meta.Wait, meta.Duration, meta.Bytes))
			spaced := ""
			if wait := r.policy.Wait(start, false); wait > r.policy.Interval {
				spaced = fmt.Sprintf("  (stalled it %s: next in %s, to keep its stall share ≤ %s)", c.Stall.Round(time.Millisecond), wait.Round(100*time.Millisecond), stallBudget(r.policy.MaxShare))
			}
			fmt.Fprintf(r.log, "%s  %s goroutines  %s  → %s: %s, %s%s\n", meta.At.Format("15:04:05"),
				export.Thousands(total), sizeOf(meta.Bytes), r.w.Path(), snapshots(r.w.Count()), sizeOf(r.w.Size()), spaced)
		case errors.Is(err, io.EOF), ctx.Err() != nil:
			return nil
		case errors.Is(err, source.ErrFile) && r.src.Live():
			return err // the recording failed (a full disk): polling on would record nothing
		case !errors.Is(err, errNotDump) && !r.src.Live():
			return err
		default:
			lastErr = err
			msg := err.Error()
			if errors.Is(err, errNotDump) {
				msg = r.src.String() + ": " + msg
			}
			fmt.Fprintf(r.log, "%s  %s\n", start.Format("15:04:05"), oneLine(msg))
		}
		if !r.src.Live() {
			continue
		}
		next := start.Add(r.policy.Wait(start, false))
		if next.After(deadline) {
			if r.w.Count() == 0 {
				return lastErr
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(next)):
		}
	}
}

// poll records one dump and returns its Meta and goroutine count.
func (r *recorder) poll(ctx context.Context) (source.Meta, int, error) {
	total := 0
	read := func(body io.Reader) error {
		snap, err := r.parser.Parse(body)
		if err != nil {
			return err
		}
		if snap == nil || snap.Total == 0 {
			return errNotDump
		}
		total = snap.Total
		return nil
	}
	if now := time.Now(); r.proof.Due(now) {
		if meta, ok, err := r.proof.Next(ctx, now, read); ok {
			return meta, total, err
		}
	}
	meta, err := r.src.Next(ctx, read)
	return meta, total, err
}

func snapshots(n int) string {
	if n == 1 {
		return "1 snapshot"
	}
	return fmt.Sprintf("%d snapshots", n)
}

// sizeOf prints a size in KiB or MiB.
func sizeOf(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// printWarnings prints what a source noticed without failing, such as a
// recording cut off by a crash, one line each.
func printWarnings(stderr io.Writer, src source.Source) {
	for _, warning := range source.Warnings(src) {
		fmt.Fprintf(stderr, "gorotop: warning: %s\n", oneLine(warning))
	}
}

// lastSample reads a finite source to its end and returns its last
// sample: what a snapshot of a recording shows.
func lastSample(ctx context.Context, s *sampler) (sample, error) {
	last, err := s.next(ctx)
	for err == nil {
		var smp sample
		if smp, err = s.next(ctx); err == nil {
			last = smp
		}
	}
	if errors.Is(err, io.EOF) && last.snap != nil {
		return last, nil
	}
	return last, err
}
