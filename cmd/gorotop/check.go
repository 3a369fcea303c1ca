package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

const checkUsage = `Usage: gorotop check [flags] TARGET

Watch TARGET headless for --for, polling every --interval, then report the
groups suspected of leaking. Exit status: 0 no suspected leak, 1 suspected
leak (each is named), 2 unreachable target or unusable input. What a load
test or a CI job runs.

A directory of dumps or a stream on standard input is checked as the time
series it holds.

Examples:
  gorotop check --for 2m :6060
  gorotop check --for 20s --interval 500ms --format json -o leaks.json :6060
  gorotop check ./dumps/
`

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o options
	fs := newFlags("check", checkUsage)
	o.register(fs, commandFlags["check"])
	rest, err := parseArgs(fs, "check", args, stdout)
	if err != nil {
		return err
	}
	target, err := oneTarget("check", rest)
	if err != nil {
		return err
	}
	if o.interval <= 0 || o.forDur <= 0 {
		return usagef("check", "--interval and --for must be positive")
	}
	s, format, err := o.open(ctx, "check", target, stdin, true)
	if err != nil {
		return err
	}
	defer s.close()
	tr := track.New(track.Options{})
	last, polls, err := watch(ctx, s, tr, o.interval, o.forDur)
	printWarnings(stderr, s.src)
	if err != nil {
		return err
	}
	in := export.Input{Source: last.meta.Source, TakenAt: last.meta.At, Snap: last.snap, Tracker: tr}
	err = writeOutput(o.output, o.force, stdout, func(w io.Writer) error {
		if format == export.FormatJSON {
			return export.JSON(w, in)
		}
		return checkReport(w, in, polls)
	})
	if err != nil {
		return err
	}
	if n := len(tr.Suspects()); n > 0 {
		return &leakError{n: n}
	}
	return nil
}

// watch polls a sampler into a tracker for a while, or until a finite
// source ends. A live target that fails is retried until the time is up;
// it is an error only if no poll succeeded at all.
func watch(ctx context.Context, s *sampler, tr *track.Tracker, interval, span time.Duration) (last sample, polls int, err error) {
	deadline := time.Now().Add(span)
	for {
		smp, err := s.next(ctx)
		switch {
		case errors.Is(err, io.EOF):
			if polls == 0 {
				return last, 0, errors.New(s.src.String() + ": no goroutine dump found")
			}
			return last, polls, nil
		case err != nil && (!s.src.Live() || ctx.Err() != nil):
			return last, polls, err
		case err != nil:
			if time.Now().Add(interval).After(deadline) && polls == 0 {
				return last, 0, err
			}
		default:
			tr.Observe(smp.meta.At, smp.snap)
			last = smp
			polls++
		}
		if !s.src.Live() {
			continue // files, directories and streams: read them whole
		}
		if polls > 0 && time.Now().Add(interval).After(deadline) {
			return last, polls, nil
		}
		select {
		case <-ctx.Done():
			if polls == 0 {
				return last, 0, ctx.Err()
			}
			return last, polls, nil
		case <-time.After(interval):
		}
	}
}

// checkReport prints the verdict of a check for people. It reports a
// failed write (a full disk), so that -o never leaves a cut report.
func checkReport(out io.Writer, in export.Input, polls int) error {
	w := bufio.NewWriter(out)
	suspects := in.Tracker.Suspects()
	fmt.Fprintf(w, "gorotop check of %s: %d polls, %s goroutines in %d groups at the end\n",
		stackparse.Clean(in.Source, 0), polls, export.Thousands(in.Snap.Total), len(in.Snap.Groups))
	if len(suspects) == 0 {
		fmt.Fprintln(w, "no suspected leak")
		return w.Flush()
	}
	fmt.Fprintf(w, "%d suspected leak(s):\n", len(suspects))
	for _, tr := range suspects {
		g := tr.Group
		top := g.Top()
		fmt.Fprintf(w, "  LEAK %s goroutines  %s  %s  %s\n       %s\n", export.Thousands(tr.Count), g.State, top.Site(), top.Func, tr.Reason)
		if g.CreatedBy != nil {
			fmt.Fprintf(w, "       created by %s  %s\n", g.CreatedBy.Func, g.CreatedBy.Site())
		}
	}
	return w.Flush()
}
