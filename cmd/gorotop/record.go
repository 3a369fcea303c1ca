package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/record"
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

A Kubernetes target (k8s:deploy/api and the like) is recorded pod by pod:
-o names a directory (made if missing), which gets DIR/POD.rec for each
pod as it comes, or POD-2.rec, POD-3.rec … when that name is taken;
nothing is replaced. Replay them one by one, or several at once, a tab
each: gorotop DIR/*.rec.

--metrics ADDR serves what the recording sees as Prometheus metrics while
it runs (see 'gorotop watch --help').

Examples:
  gorotop record -o api.rec --for 10m :6060
  gorotop record -o night.rec --for 8h --interval 30s http://10.0.0.7:6060
  gorotop record -o api/ --for 1h k8s:deploy/api
  gorotop api.rec                          # replay it in the UI
  gorotop check api.rec                    # was anything leaking?
`

func runRecord(ctx context.Context, o options, rest []string, e env) error {
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
	ms, err := o.serveMetrics(ctx, "record", e.stderr)
	if err != nil {
		return err
	}
	defer ms.Close()
	if kube.IsTarget(target) {
		return recordFleet(ctx, o, target, g, ms, e.stderr)
	}
	t, err := source.ParseTarget(target)
	if err != nil {
		return err
	}
	src, err := source.Open(t, o.sourceOptions(e.stdin))
	if err != nil {
		return err
	}
	w, err := record.Create(o.output, o.force)
	if err != nil {
		src.Close()
		return err
	}
	defer w.Close()
	// Full dumps only, spaced by the budget: a recording holds dumps, and
	// those of the goroutineleak profile too, so that a replay shows what
	// the session saw, the runtime's proof included.
	l := poll.NewLoop(source.Tee(src, w), poll.Options{Interval: o.interval, MaxShare: float64(o.maxStall), Groupings: []stackparse.Grouping{g}, FullOnly: true})
	defer l.Close()
	_, err = poll.Watch(ctx, l, o.forDur, func(s poll.Sample, err error) error {
		if err == nil {
			ms.observe(src.String(), s)
		}
		return progress(e.stderr, w, src, s, err, o.maxStall)
	})
	if errors.Is(err, context.Canceled) {
		err = nil // interrupted: what was recorded stays
	}
	printWarnings(e.stderr, src)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", o.output, cerr)
	}
	if errors.Is(err, record.ErrReplaced) {
		return err // the file at the path is another recorder's
	}
	if w.Count() == 0 {
		w.Remove()
		if err == nil || errors.Is(err, poll.ErrNotDump) {
			err = errors.New(src.String() + ": no goroutine dump recorded")
		}
		return err
	}
	fmt.Fprintf(e.stderr, "recorded %s of %s in %s: %s of dumps in %s (%.1f %%)\n",
		snapshots(w.Count()), stackparse.Clean(src.String(), 0), o.output, human.ProgressSize(w.Raw()), human.ProgressSize(w.Size()), 100*float64(w.Size())/float64(max(w.Raw(), 1)))
	return err
}

// progress says on stderr, a line a poll, how a recording goes: the dump
// recorded and how the budget spaces the next, or the poll's failure. A
// recording that fails (a full disk) ends it.
func progress(log io.Writer, w *record.Writer, src source.Source, s poll.Sample, err error, budget stallBudget) error {
	switch {
	case err == nil:
		spaced := ""
		if p := s.Pace; p.Stretched {
			spaced = fmt.Sprintf("  (stalled it %s: next in %s, to keep its stall share ≤ %s)", s.Cost.Stall.Round(time.Millisecond), p.Wait.Round(100*time.Millisecond), budget)
		}
		fmt.Fprintf(log, "%s  %s goroutines  %s  → %s: %s, %s%s\n", s.Meta.At.Format("15:04:05"),
			human.Count(s.Snap.Total), human.ProgressSize(s.Meta.Bytes), w.Path(), snapshots(w.Count()), human.ProgressSize(w.Size()), spaced)
	case errors.Is(err, source.ErrFile) && src.Live():
		return err // the recording failed: polling on would record nothing
	default:
		fmt.Fprintf(log, "%s  %s\n", time.Now().Format("15:04:05"), oneLine(err.Error()))
	}
	return nil
}

func snapshots(n int) string {
	if n == 1 {
		return "1 snapshot"
	}
	return fmt.Sprintf("%d snapshots", n)
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
func lastSample(ctx context.Context, l *poll.Loop) (poll.Sample, error) {
	last, err := l.Next(ctx)
	for err == nil {
		var s poll.Sample
		if s, err = l.Next(ctx); err == nil {
			last = s
		}
	}
	if errors.Is(err, io.EOF) && last.Snap != nil {
		return last, nil
	}
	return last, err
}
